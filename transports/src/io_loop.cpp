#include "netchan/internal/io_loop.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>

namespace netchan::internal {

namespace {

struct shared_context {
    zmq::context_t* ctx = new zmq::context_t();
    std::atomic<int> open_sockets{0};

    ~shared_context() {
        if (open_sockets.load() == 0) {
            delete ctx; // zmq_ctx_term: flushes closed sockets, each within its linger
        }
    }
};

shared_context& shared() {
    static shared_context s;
    return s;
}

} // namespace

zmq::context_t& context() {
    return *shared().ctx;
}

void socket_opened() noexcept {
    shared().open_sockets.fetch_add(1);
}

void socket_closed() noexcept {
    shared().open_sockets.fetch_sub(1);
}

io_loop::io_loop()
    : wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      stop_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd_ < 0 || stop_fd_ < 0) {
        if (wake_fd_ >= 0) {
            ::close(wake_fd_);
        }
        throw transport_error("cannot create eventfd");
    }
}

io_loop::~io_loop() {
    stop();
    ::close(wake_fd_);
    ::close(stop_fd_);
}

void io_loop::start(zmq::socket_t socket, handler& h, std::chrono::milliseconds tick,
                    const char* name) {
    {
        std::lock_guard run_lock(run_mu_);
        socket_fd_ = socket.get(zmq::sockopt::fd);
        handler_ = &h;
        socket_ = std::move(socket);
    }
    socket_opened();
    thread_ = std::thread([this, &h, tick] { run(h, tick); });
    ::pthread_setname_np(thread_.native_handle(), name);
}

void io_loop::wake() noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

std::int64_t io_loop::now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

template <class Work>
bool io_loop::run_if_idle(Work&& work) {
    if (!run_mu_.try_lock()) {
        return false;
    }
    std::unique_lock run_lock(run_mu_, std::adopt_lock);
    if (!socket_) {
        return false; // not started, or the loop ended
    }
    holder_.store(std::this_thread::get_id());
    const bool wake_loop = work();
    holder_.store(std::thread::id{});
    run_lock.unlock();
    if (wake_loop) {
        wake();
    }
    return true;
}

bool io_loop::try_run_here(std::function<void()>& fn) {
    // A holder dispatching to itself queues: the work runs after what it is doing now.
    if (holds_lock() || now_ns() - idle_since_ns_.load(std::memory_order_relaxed) < stream_gap_ns) {
        return false;
    }
    return run_if_idle([&] {
        run_posted();     // what was posted before fn goes first
        run_guarded(fn);  // what it dispatches goes to the loop thread, which the dispatch wakes
        bool more = true; // after a throw, let the loop look again
        try {
            // The sends may have taken in the command that says a message arrived, and with
            // it ZMQ_FD's signal: the loop thread is woken to receive it.
            more = readable();
        } catch (...) {
            // The context ended: the loop thread, woken, ends too.
        }
        run_checks();
        idle_since_ns_.store(now_ns(), std::memory_order_relaxed);
        return more;
    });
}

void io_loop::dispatch(std::function<void()> fn) {
    if (try_run_here(fn)) {
        return;
    }
    bool wake_loop = false;
    {
        std::lock_guard lock(mu_);
        wake_loop = posted_.empty();
        posted_.push_back(std::move(fn));
    }
    // A receiver running the loop's work runs what it dispatches itself (try_lead).
    if (wake_loop && !(holds_lock() && leading_)) {
        wake();
    }
}

void io_loop::call(const std::function<void()>& fn) {
    if (holds_lock()) {
        fn();
        return;
    }
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    dispatch([&] {
        fn();
        std::lock_guard lock(m);
        done = true;
        cv.notify_one();
    });
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return done; });
}

struct io_loop::check {
    const std::function<bool()>* done = nullptr;
    std::mutex mu;
    std::condition_variable cv;
    bool met = false; // guarded by mu
};

bool io_loop::wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    check c;
    c.done = &done;
    bool met = false;
    call([&] {
        met = done();
        if (!met) {
            checks_.push_back(&c);
        }
    });
    if (met) {
        return true;
    }
    {
        std::unique_lock lock(c.mu);
        met = c.cv.wait_for(lock, timeout, [&] { return c.met; });
    }
    // Withdrawn under the loop lock: once this returns, no round of work can touch `c`.
    call([&] {
        std::erase(checks_, &c);
        met = met || done();
    });
    return met;
}

void io_loop::run_checks() noexcept {
    if (checks_.empty()) {
        return;
    }
    std::erase_if(checks_, [this](check* c) {
        bool met = false;
        try {
            met = (*c->done)();
        } catch (const std::exception& e) {
            failed(e.what());
        } catch (...) {
            failed("unknown exception");
        }
        if (met) {
            std::lock_guard lock(c->mu);
            c->met = true;
            c->cv.notify_one();
        }
        return met;
    });
}

detail::value_source* io_loop::enter() noexcept {
    if (holds_lock()) {
        return nullptr; // a handler or posted work waits: the socket is its own thread's already
    }
    leaders_.fetch_add(1);
    inside_.fetch_add(1);
    if (stopped_.load()) {
        leave();
        return nullptr;
    }
    return this;
}

void io_loop::leave() noexcept {
    // Decrement first, then look: the loop thread sets following_ first, then looks at leaders_.
    departures_.fetch_add(1, std::memory_order_relaxed);
    if (leaders_.fetch_sub(1) == 1 && following_.load() == follow_until_woken) {
        wake(); // nobody waits on the socket now: the loop thread must
    }
    inside_.fetch_sub(1); // the last use of this loop: stop() may return once it is done
}

bool io_loop::try_lead(bool& more) noexcept {
    bool led = true;
    const bool ran = run_if_idle([&] {
        leading_ = true;
        try {
            run_posted();
            const bool full_batch = receive_batch(*handler_);
            run_posted(); // what handling posted (an acknowledgement): dispatch() left it to us
            // Last: the posted work may have sent, and taken in ZMQ_FD's news with it.
            more = full_batch || readable();
        } catch (const zmq::error_t&) {
            led = false; // the context ended: the loop thread deals with it
        } catch (const std::exception& e) {
            failed(e.what()); // a handler bug: reported, and the loop thread looks again
            led = false;
        } catch (...) {
            failed("unknown exception");
            led = false;
        }
        run_checks();
        leading_ = false;
        // idle_since_ns_ stays: a receiver is no stream of sends (try_run_here)
        std::lock_guard lock(mu_);
        return !led || !posted_.empty(); // the loop thread runs what the work posted
    });
    return ran && led;
}

detail::value_source::waited
io_loop::wait(detail::parker& p, const std::chrono::steady_clock::time_point* deadline) noexcept {
    waited result = waited::gave_up;
    const int fds[] = {socket_fd_, stop_fd_};
    while (p.pollable()) {
        bool more = false;
        if (stopped_.load() || !try_lead(more)) {
            break; // another thread has the socket now, and brings the value: park
        }
        const bool unparked = p.unparked();
        if (unparked || (deadline != nullptr && std::chrono::steady_clock::now() >= *deadline)) {
            if (more) {
                wake(); // ZMQ_FD's news was taken in: the rest is the loop thread's
            }
            result = unparked ? waited::unparked : waited::timed_out;
            break;
        }
        if (more) {
            continue; // a batch was not the last
        }
        // try_lead() asked ZMQ_EVENTS last: ZMQ_FD now signals what arrives after it.
        const auto woke = p.park_or_poll(fds, deadline);
        if (woke == detail::parker::woke::unparked) {
            result = waited::unparked;
            break;
        }
        if (woke == detail::parker::woke::timed_out) {
            result = waited::timed_out;
            break;
        }
    }
    leave();
    return result;
}

void io_loop::stop() noexcept {
    {
        std::lock_guard lock(mu_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
    }
    stopped_.store(true);
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one); // stays readable: leaders leave
    wake();
    if (thread_.joinable()) {
        thread_.join();
    }
    while (inside_.load() != 0) {
        std::this_thread::yield();
    }
}

bool io_loop::send(std::span<const std::span<const std::byte>> parts) noexcept {
    try {
        for (std::size_t i = 0; i < parts.size(); ++i) {
            // Never block the loop: with unlimited HWMs a send can only wait when the socket
            // has no peer at all (an inproc binder that went away): the frame is then dropped,
            // as for a peer that is gone, and heartbeats and resumes take it from there.
            const auto flags = i + 1 < parts.size()
                                   ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                   : zmq::send_flags::dontwait;
            if (!socket_.send(zmq::const_buffer(parts[i].data(), parts[i].size()), flags)) {
                return false;
            }
        }
        return true;
    } catch (const zmq::error_t&) {
        return false; // EHOSTUNREACH: the peer is gone (ROUTER_MANDATORY)
    }
}

void io_loop::run_posted() {
    {
        std::lock_guard lock(mu_);
        if (posted_.empty()) {
            return;
        }
        running_.swap(posted_); // both keep their capacity: no allocation per pass
    }
    for (auto& fn : running_) {
        run_guarded(fn);
    }
    running_.clear();
}

void io_loop::run_guarded(const std::function<void()>& fn) noexcept {
    // A handler bug must not escape, nor drop the work after it (a call() waiting for it).
    try {
        fn();
    } catch (const std::exception& e) {
        failed(e.what());
    } catch (...) {
        failed("unknown exception");
    }
}

void io_loop::failed(const char* what) noexcept {
    failures_.fetch_add(1, std::memory_order_relaxed);
    if (handler_ != nullptr) {
        try {
            handler_->on_failure(std::string("netchan: I/O loop work failed: ") + what);
        } catch (...) {
            // Out of memory for the message: the count above still says it.
        }
    }
}

bool io_loop::receive_batch(handler& h) {
    // At most a batch per pass, so that posted work and ticks are not starved by a flood.
    for (int i = 0; i < 1024; ++i) {
        parts_.clear();
        zmq::message_t msg;
        if (!socket_.recv(msg, zmq::recv_flags::dontwait)) {
            return false;
        }
        parts_.push_back(std::move(msg));
        while (parts_.back().more()) {
            zmq::message_t more;
            (void)socket_.recv(more, zmq::recv_flags::none);
            parts_.push_back(std::move(more));
        }
        h.on_message(parts_);
    }
    parts_.clear();
    return true;
}

bool io_loop::readable() {
    return (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
}

void io_loop::wait_idle(std::chrono::steady_clock::time_point until) noexcept {
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {socket_fd_, POLLIN, 0}};
    for (;;) {
        // While leaders come and go, the socket has nobody between them: the loop looks at it
        // every follow_ms. After a spell without departures it sleeps until the last leader
        // leaves. following_ is set first, then leaders_ read; a leaving leader does the
        // opposite, so one of the two sees the other.
        const std::uint64_t departures = departures_.load();
        const bool quiet = departures == departures_seen_;
        departures_seen_ = departures;
        following_.store(quiet ? follow_until_woken : follow_briefly);
        const bool follow = leaders_.load() != 0;
        if (!follow) {
            following_.store(not_following);
        }
        auto wait =
            std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now())
                .count();
        if (follow && !quiet) {
            wait = std::min<decltype(wait)>(wait, follow_ms);
        }
        const int ready =
            ::poll(fds, follow ? 1 : 2, static_cast<int>(std::max<decltype(wait)>(wait, 0)));
        following_.store(not_following);
        if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
            std::uint64_t n = 0;
            [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
            return;
        }
        if (ready <= 0 || leaders_.load() == 0) {
            return; // a tick, a look between leaders, or a message nobody else waits for
        }
        // A message, and a leader came meanwhile: the leader, awake on it too, takes it.
    }
}

void io_loop::run(handler& h, std::chrono::milliseconds tick) noexcept {
    // The loop waits with ::poll on the socket's ZMQ_FD and the wake eventfd, without the loop
    // lock, so that other threads can use the socket meanwhile (zmq_poll would touch it).
    // ZMQ_FD only signals that the socket's command mailbox has news, and any use of the socket
    // may take that news in: so the loop asks ZMQ_EVENTS last before it waits.
    std::unique_lock run_lock(run_mu_);
    holder_.store(std::this_thread::get_id());
    auto next_tick = std::chrono::steady_clock::now() + tick;
    for (;;) {
        try {
            run_posted();
            run_checks();
            {
                std::lock_guard lock(mu_);
                if (stopping_) {
                    break;
                }
            }
            if (std::chrono::steady_clock::now() >= next_tick) {
                h.on_tick();
                next_tick = std::chrono::steady_clock::now() + tick;
            }
            if (receive_batch(h) || readable()) {
                continue; // a batch was not the last: first what is posted, then more
            }
            // Idle: other threads may now run posted work themselves (try_run_here).
            idle_since_ns_.store(now_ns(), std::memory_order_relaxed);
            holder_.store(std::thread::id{});
            run_lock.unlock();
            wait_idle(next_tick);
            run_lock.lock();
            holder_.store(std::this_thread::get_id());
        } catch (const zmq::error_t& e) {
            if (e.num() == ETERM) {
                break;
            }
            failed(e.what());
        } catch (const std::exception& e) {
            failed(e.what()); // a handler bug must not kill the loop
        } catch (...) {
            failed("unknown exception");
        }
    }
    socket_.close();
    socket_closed();
    holder_.store(std::thread::id{});
}

} // namespace netchan::internal
