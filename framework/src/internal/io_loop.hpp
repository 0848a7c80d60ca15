#pragma once

#include "netchan/zmq_socket.hpp"

#include <chrono>
#include <deque>
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

/// The thread that owns one socket and everything that touches it (CAF's multiplexer model).
/// Other threads reach it only through post(), which queues work and wakes the loop through an
/// eventfd polled next to the socket.
/// Thread-safe: post(), call() and stop(); everything else: thread-confined to the loop thread.
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

    /// Runs `fn` on the loop thread soon. @threadsafe
    void post(std::function<void()> fn);

    /// Runs `fn` on the loop thread and waits for it (or runs it at once on the loop thread).
    /// @threadsafe
    void call(const std::function<void()>& fn);

    /// Evaluates `done` on the loop thread every millisecond until it returns true (returns
    /// true) or `timeout` passes (returns false). @threadsafe (not from the loop thread)
    bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

    /// Stops the loop after the work already posted and joins it; closes the socket. Idempotent.
    /// @threadsafe (not from the loop thread)
    void stop() noexcept;

    /// Sends a message of `parts` frames; on the loop thread only. Returns false when ZeroMQ
    /// refused it (peer unknown or gone).
    bool send(std::span<const std::span<const std::byte>> parts) noexcept;

    bool on_loop_thread() const noexcept { return std::this_thread::get_id() == thread_id_; }

private:
    void run(handler& h, std::chrono::milliseconds tick) noexcept;
    void run_posted();

    int wake_fd_ = -1;
    zmq::socket_t socket_; // confined to the loop thread once started
    std::thread thread_;
    std::thread::id thread_id_;
    std::mutex mu_;
    std::deque<std::function<void()>> posted_; // guarded by mu_
    bool stopping_ = false;                    // guarded by mu_
};

} // namespace netchan::internal
