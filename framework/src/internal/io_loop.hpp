#pragma once

#include "netchan/zmq_socket.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace netchan::internal {

/// Returns the process-wide ZeroMQ context (inproc endpoints need one context).
zmq::context_t& context();

/// Count the sockets of context() that are open. At exit, when none is, the context is
/// terminated, which sends what closed sockets still hold (a last CLOSE or HANGUP), waiting at
/// most their linger; with one still open (an object never destroyed) it would wait forever,
/// so the context is then left alone. io_loop counts its socket itself. @threadsafe
void socket_opened() noexcept;
void socket_closed() noexcept;

/// One socket, its handler, and the thread that waits for both (CAF's multiplexer model). Other
/// threads reach them through post(), which queues work and wakes the loop through an eventfd
/// polled next to the socket.
///
/// The loop's work (posted functions, handler calls, sends) runs under the *loop lock*, which
/// the loop thread holds except while it waits for the socket or a wake-up. A thread that posts
/// while the loop waits takes the lock itself and runs the work at once, instead of paying for
/// a wake-up of the loop thread and a switch to it: that is a message's latency. The lock hands
/// the socket over with the full barrier ZeroMQ asks for when a socket changes threads.
/// Thread-safe: post(), call(), wait_until() and stop(); everything else: only by the loop
/// lock's holder, that is from posted work and handler calls.
class io_loop {
public:
    /// What the loop calls, on its thread.
    class handler {
    public:
        virtual ~handler() = default;
        /// A message arrived: `parts` are its frames (a ROUTER's first part is the peer id).
        virtual void on_message(std::vector<zmq::message_t>& parts) = 0;
        /// Called about every `tick` even when idle: timeouts and heartbeats go here.
        virtual void on_tick() = 0;
    };

    io_loop();
    ~io_loop();
    io_loop(const io_loop&) = delete;
    io_loop& operator=(const io_loop&) = delete;

    /// Starts the loop thread, which takes ownership of `socket`. `name` (at most 15 chars)
    /// names the thread in top, ps and debuggers.
    void start(zmq::socket_t socket, handler& h, std::chrono::milliseconds tick, const char* name);

    /// Runs `fn` under the loop lock soon: at once on this thread when the loop is idle (after
    /// any work posted earlier), else on the loop thread. So it may run before post() returns,
    /// and with the caller's locks held: the work must not need them (the network layers post
    /// from inside channel operations, so a value's codec may run on the sending thread).
    /// @threadsafe
    void post(std::function<void()> fn);

    /// Runs `fn` under the loop lock and waits for it (at once when the caller holds the loop
    /// lock). @threadsafe
    void call(const std::function<void()>& fn);

    /// Evaluates `done` under the loop lock every millisecond until it returns true (returns
    /// true) or `timeout` passes (returns false). @threadsafe (not under the loop lock)
    bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

    /// Stops the loop after the work already posted and joins it; closes the socket. Idempotent.
    /// @threadsafe (not under the loop lock)
    void stop() noexcept;

    /// Sends a message of `parts` frames; by the loop lock's holder only. Returns false when
    /// ZeroMQ refused it (peer unknown or gone).
    bool send(std::span<const std::span<const std::byte>> parts) noexcept;

    /// Returns whether the calling thread holds the loop lock (the loop thread, or a thread
    /// running posted work itself).
    bool holds_lock() const noexcept { return holder_.load() == std::this_thread::get_id(); }

private:
    void run(handler& h, std::chrono::milliseconds tick) noexcept;
    void run_posted();
    static void run_guarded(const std::function<void()>& fn) noexcept;
    /// Receives and handles messages until none is ready (returns false) or a batch is done.
    bool drain(handler& h);
    /// Whether the socket has a message: also takes in the commands ZeroMQ queued for it,
    /// after which ZMQ_FD signals only new ones. So the loop may wait on ZMQ_FD right after.
    bool readable();
    /// Runs `fn` on this thread if the loop is idle; returns false (fn untouched) if it is not.
    bool try_run_here(std::function<void()>& fn);
    void wake() noexcept;
    static std::int64_t now_ns() noexcept;

    /// A post sooner than this after the loop's last work goes to the loop thread: it is part
    /// of a stream (a producer sending value after value), and the loop thread, woken once,
    /// sends what collected meanwhile in one frame instead of a frame per value.
    static constexpr std::int64_t stream_gap_ns = 5'000;

    int wake_fd_ = -1;
    zmq::socket_t socket_; // guarded by run_mu_; open from start() until the loop ends
    std::thread thread_;
    std::mutex run_mu_;                          // the loop lock
    std::atomic<std::thread::id> holder_{};      // the thread holding run_mu_, if any
    std::atomic<std::int64_t> idle_since_ns_{0}; // when the last holder left the loop lock
    std::mutex mu_;
    std::vector<std::function<void()>> posted_;  // guarded by mu_
    std::vector<std::function<void()>> running_; // by the loop lock's holder: run_posted()
    std::vector<zmq::message_t> parts_;          // by the loop lock's holder: drain()
    bool stopping_ = false;                      // guarded by mu_
};

} // namespace netchan::internal
