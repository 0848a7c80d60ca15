#include "internal/io_loop.hpp"

#include <poll.h>
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

io_loop::io_loop() : wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd_ < 0) {
        throw transport_error("cannot create eventfd");
    }
}

io_loop::~io_loop() {
    stop();
    ::close(wake_fd_);
}

void io_loop::start(zmq::socket_t socket, handler& h, std::chrono::milliseconds tick) {
    socket_ = std::move(socket);
    handler_ = &h;
    socket_opened();
    thread_ = std::thread([this, &h, tick] { run(h, tick); });
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

bool io_loop::try_run_here(std::function<void()>& fn) {
    // A holder posting to itself queues: the work runs after what it is doing now.
    if (handler_ == nullptr || on_loop_thread()) {
        return false;
    }
    // Work posted right after the loop last worked is part of a stream (a producer sending
    // value after value): queued, it waits for the loop thread, which meanwhile collects
    // more of it, and sends them in one frame instead of one frame per value.
    if (now_ns() - idle_since_ns_.load(std::memory_order_relaxed) < stream_gap_ns) {
        return false;
    }
    if (!run_mu_.try_lock()) {
        return false;
    }
    std::unique_lock run_lock(run_mu_, std::adopt_lock);
    {
        std::lock_guard lock(mu_);
        if (stopping_) {
            return false; // the loop thread may have closed the socket
        }
    }
    holder_.store(std::this_thread::get_id());
    // Each step as the loop would take it: a handler bug must not escape, nor stop the rest.
    try {
        run_posted(); // what was posted before fn goes first
    } catch (...) {
    }
    try {
        fn();
    } catch (...) {
    }
    bool more = true; // after a throw, let the loop look again
    try {
        // The sends may have taken the socket's signal for messages that arrived meanwhile
        // (see run()): receive until nothing is left, as the loop would before waiting.
        more = drain(*handler_, parts_);
    } catch (...) {
    }
    idle_since_ns_.store(now_ns(), std::memory_order_relaxed);
    holder_.store(std::thread::id{});
    run_lock.unlock();
    if (more) {
        wake();
    }
    return true;
}

void io_loop::post(std::function<void()> fn) {
    if (try_run_here(fn)) {
        return;
    }
    bool wake_loop = false;
    {
        std::lock_guard lock(mu_);
        wake_loop = posted_.empty();
        posted_.push_back(std::move(fn));
    }
    if (wake_loop) {
        wake();
    }
}

void io_loop::call(const std::function<void()>& fn) {
    if (on_loop_thread()) {
        fn();
        return;
    }
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    post([&] {
        fn();
        std::lock_guard lock(m);
        done = true;
        cv.notify_one();
    });
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return done; });
}

bool io_loop::wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        bool ok = false;
        call([&] { ok = done(); });
        if (ok) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

void io_loop::stop() noexcept {
    {
        std::lock_guard lock(mu_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
    }
    wake();
    if (thread_.joinable()) {
        thread_.join();
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
    try {
        for (auto& fn : running_) {
            fn();
        }
    } catch (...) {
        running_.clear(); // as before: the rest of a batch whose work threw is dropped
        throw;
    }
    running_.clear();
}

bool io_loop::drain(handler& h, std::vector<zmq::message_t>& parts) {
    // At most a batch per pass, so that posted work and ticks are not starved by a flood.
    for (int i = 0; i < 1024; ++i) {
        parts.clear();
        zmq::message_t msg;
        if (!socket_.recv(msg, zmq::recv_flags::dontwait)) {
            return false; // parts is empty: no frame is held between passes
        }
        parts.push_back(std::move(msg));
        while (parts.back().more()) {
            zmq::message_t more;
            (void)socket_.recv(more, zmq::recv_flags::none);
            parts.push_back(std::move(more));
        }
        h.on_message(parts);
    }
    parts.clear();
    return true;
}

void io_loop::run(handler& h, std::chrono::milliseconds tick) noexcept {
    // The loop waits with ::poll on the socket's ZMQ_FD and the wake eventfd, not zmq_poll:
    // zmq_poll makes a zero-timeout pass first and asks ZMQ_EVENTS before and after waiting,
    // each a few system calls: a fifth of all the calls of a round trip went there.
    // ZMQ_FD only signals that the socket's command mailbox has news; any socket operation
    // (a send too) may consume that news. So the loop blocks only right after a receive found
    // nothing: that receive processed every pending command, and the next one signals the fd.
    std::unique_lock run_lock(run_mu_);
    holder_.store(std::this_thread::get_id());
    pollfd fds[2] = {{socket_.get(zmq::sockopt::fd), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    auto next_tick = std::chrono::steady_clock::now() + tick;
    for (;;) {
        try {
            run_posted();
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
            // Last before waiting: the receive that finds nothing comes after every send.
            const bool more = drain(h, parts_);
            const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                next_tick - std::chrono::steady_clock::now());
            const int timeout = more ? 0
                                     : static_cast<int>(std::max<std::int64_t>(
                                           wait.count() + 1, 0)); // +1: not a tick early
            // Idle: other threads may now run posted work themselves (try_run_here).
            idle_since_ns_.store(now_ns(), std::memory_order_relaxed);
            holder_.store(std::thread::id{});
            run_lock.unlock();
            const int ready = ::poll(fds, 2, timeout);
            run_lock.lock();
            holder_.store(std::this_thread::get_id());
            if (ready > 0 && (fds[1].revents & POLLIN) != 0) {
                std::uint64_t n = 0;
                [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
            }
        } catch (const zmq::error_t& e) {
            if (e.num() == ETERM) {
                break;
            }
        } catch (...) {
            // A handler bug must not kill the loop; handlers report their own errors.
        }
    }
    socket_.close();
    socket_closed();
    holder_.store(std::thread::id{});
}

} // namespace netchan::internal
