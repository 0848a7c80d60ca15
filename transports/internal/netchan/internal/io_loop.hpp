#pragma once

#include "netchan/detail/chan_core.hpp"
#include "netchan/zmq_socket.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
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
/// threads reach them through dispatch(), which runs work at once when the loop is idle, or else
/// queues it and wakes the loop through an eventfd polled next to the socket.
///
/// The loop's work (posted functions, handler calls, sends) runs under the *loop lock*, which
/// the loop thread holds except while it waits for the socket or a wake-up. A thread that
/// dispatches while the loop waits takes the lock itself and runs the work at once, instead of
/// paying for a wake-up of the loop thread and a switch to it: that is a message's latency. The
/// lock hands the socket over with the full barrier ZeroMQ asks for when a socket changes threads.
///
/// Likewise a thread about to sleep until a message brings it a value may wait on the socket
/// itself, as a value_source (a *leader*): it then receives and handles what arrives, its own
/// value included, instead of being woken by the loop thread. While leaders wait, the loop
/// thread leaves the socket to them; the last to leave wakes it.
/// Thread-safe: dispatch(), call(), wait_until(), enter(), wait() and stop(); everything else: only
/// by the loop lock's holder, that is from posted work and handler calls.
class io_loop final : public detail::value_source {
public:
    /// What the loop calls, on its thread.
    class handler {
    public:
        virtual ~handler() = default;
        /// A message arrived: `parts` are its frames (a ROUTER's first part is the peer id).
        virtual void on_message(std::vector<zmq::message_t>& parts) = 0;
        /// Called about every `tick` even when idle: timeouts and heartbeats go here.
        virtual void on_tick() = 0;
        /// A handler call or posted work threw `what`; the loop went on with the next work.
        /// The handler reports it where its users look (an error stream). Must not throw.
        virtual void on_failure(const std::string& what) noexcept = 0;
    };

    io_loop();
    ~io_loop();
    io_loop(const io_loop&) = delete;
    io_loop& operator=(const io_loop&) = delete;

    /// Starts the loop thread, which takes ownership of `socket`. `name` (at most 15 chars)
    /// names the thread in top, ps and debuggers.
    void start(zmq::socket_t socket, handler& h, std::chrono::milliseconds tick, const char* name);

    /// Runs `fn` under the loop lock soon: at once on this thread when the loop is idle (after
    /// any work posted earlier), else on the loop thread. So it may run before dispatch() returns
    /// (Asio's dispatch, not post), and with the caller's locks held: the work must not need
    /// them (the network layers dispatch from inside channel operations, so a value's codec may run
    /// on the sending thread).
    /// @threadsafe
    void dispatch(std::function<void()> fn);

    /// Runs `fn` under the loop lock and waits for it (at once when the caller holds the loop
    /// lock). @threadsafe
    void call(const std::function<void()>& fn);

    /// Waits until `done` returns true (returns true) or `timeout` passes (returns false).
    /// `done` runs under the loop lock: once now, then after each round of the loop's work
    /// (messages handled, posted work run, a tick), so it must only depend on the loop's state.
    /// @threadsafe (not under the loop lock)
    bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

    /// Returns how many handler calls or posted works threw (each also went to on_failure).
    /// @threadsafe
    std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

    /// Returns this loop as a source a receiver may wait on (a wait() must follow), or nullptr
    /// when the loop is stopping. @threadsafe
    value_source* enter() noexcept;

    /// Waits for `p` to be unparked, receiving and handling messages meanwhile (see above).
    /// @threadsafe (not under the loop lock), after enter()
    waited wait(detail::parker& p,
                const std::chrono::steady_clock::time_point* deadline) noexcept override;

    /// Stops the loop after the work already posted and joins it; closes the socket; waits for
    /// the leaders to leave. Idempotent. @threadsafe (not under the loop lock)
    void stop() noexcept;

    /// Sends a message of `parts` frames; by the loop lock's holder only. Returns false when
    /// ZeroMQ refused it (peer unknown or gone).
    bool send(std::span<const std::span<const std::byte>> parts) noexcept;

    /// Returns whether the loop is idle: started, nobody holds the loop lock, and the last work
    /// ended long enough ago that a dispatch() would run on the dispatching thread. @threadsafe
    bool idle() const noexcept {
        return socket_fd_ >= 0 && holder_.load() == std::thread::id{} &&
               now_ns() - idle_since_ns_.load(std::memory_order_relaxed) >= stream_gap_ns;
    }

    /// Returns whether the calling thread holds the loop lock (the loop thread, or a thread
    /// running posted work itself).
    bool holds_lock() const noexcept { return holder_.load() == std::this_thread::get_id(); }

private:
    void run(handler& h, std::chrono::milliseconds tick) noexcept;
    void run_posted();
    void run_guarded(const std::function<void()>& fn) noexcept;
    /// Counts a failure and tells the handler, if there is one yet.
    void failed(const char* what) noexcept;
    /// Receives and handles messages until none is ready (returns false) or a batch is done.
    bool receive_batch(handler& h);
    /// Evaluates the conditions of wait_until() callers and wakes those whose came true. By the
    /// loop lock's holder, at the end of each round of work.
    void run_checks() noexcept;
    /// Whether the socket has a message: also takes in the commands ZeroMQ queued for it,
    /// after which ZMQ_FD signals only new ones. So the loop may wait on ZMQ_FD right after.
    bool readable();
    /// Runs `work` under the loop lock on this thread if the loop is idle (started, not ended,
    /// the lock free), then wakes the loop thread if `work` returned true. Returns false if the
    /// loop was not idle.
    template <class Work>
    bool run_if_idle(Work&& work);
    /// Runs `fn` on this thread if the loop is idle; returns false (fn untouched) if it is not.
    bool try_run_here(std::function<void()>& fn);
    /// Runs the posted work and handles what arrived, on this thread, if the loop is idle.
    /// Returns false if it is not, or has ended.
    bool try_lead(bool& more) noexcept;
    /// The loop thread's wait: leaves the socket to the leaders while there are some.
    void wait_idle(std::chrono::steady_clock::time_point until) noexcept;
    /// Ends what enter() began.
    void leave() noexcept;
    void wake() noexcept;
    static std::int64_t now_ns() noexcept;

    /// A dispatch sooner than this after the loop's last work goes to the loop thread: it is part
    /// of a stream (a producer sending value after value), and the loop thread, woken once,
    /// sends what collected meanwhile in one frame instead of a frame per value.
    static constexpr std::int64_t stream_gap_ns = 5'000;

    int wake_fd_ = -1;
    int stop_fd_ = -1;           // an eventfd, readable once the loop stops: leaders leave
    int socket_fd_ = -1;         // the socket's ZMQ_FD, from start()
    zmq::socket_t socket_;       // guarded by run_mu_; open from start() until the loop ends
    handler* handler_ = nullptr; // from start()
    std::atomic<bool> stopped_{false};
    std::atomic<int> leaders_{0}; // threads between enter() and the end of wait()
    std::atomic<int> inside_{0};  // the same, until their last use of this loop
    /// How the loop thread waits: with the socket, or leaving it to the leaders.
    enum following : std::uint8_t { not_following, follow_briefly, follow_until_woken };
    /// While leaders come and go, the loop thread looks at the socket this often.
    static constexpr int follow_ms = 10;
    std::atomic<std::uint8_t> following_{not_following};
    std::atomic<std::uint64_t> departures_{0}; // leaders that left
    std::uint64_t departures_seen_ = 0;        // by the loop thread
    std::thread thread_;
    std::mutex run_mu_;                          // the loop lock
    std::atomic<std::thread::id> holder_{};      // the thread holding run_mu_, if any
    std::atomic<std::int64_t> idle_since_ns_{0}; // when the last holder left the loop lock
    std::mutex mu_;
    std::vector<std::function<void()>> posted_;  // guarded by mu_
    std::vector<std::function<void()>> running_; // by the loop lock's holder: run_posted()
    std::vector<zmq::message_t> parts_;          // by the loop lock's holder: receive_batch()
    struct check;                                // a wait_until() caller's condition
    std::vector<check*> checks_;                 // by the loop lock's holder
    std::atomic<std::uint64_t> failures_{0};
    bool leading_ = false;  // by the loop lock's holder: in try_lead()
    bool stopping_ = false; // guarded by mu_
};

} // namespace netchan::internal
