#include "internal/io_loop.hpp"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

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

void io_loop::start(zmq::socket_t socket, handler& h, std::chrono::milliseconds tick,
                    const char* name) {
    socket_ = std::move(socket);
    socket_opened();
    thread_ = std::thread([this, &h, tick] { run(h, tick); });
    ::pthread_setname_np(thread_.native_handle(), name);
    thread_id_ = thread_.get_id();
}

void io_loop::post(std::function<void()> fn) {
    bool wake = false;
    {
        std::lock_guard lock(mu_);
        wake = posted_.empty();
        posted_.push_back(std::move(fn));
    }
    if (wake) {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
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
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
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
    std::deque<std::function<void()>> batch;
    {
        std::lock_guard lock(mu_);
        batch.swap(posted_);
    }
    for (auto& fn : batch) {
        fn();
    }
}

void io_loop::run(handler& h, std::chrono::milliseconds tick) noexcept {
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, wake_fd_, ZMQ_POLLIN, 0}};
    auto next_tick = std::chrono::steady_clock::now() + tick;
    std::vector<zmq::message_t> parts;
    for (;;) {
        try {
            const auto now = std::chrono::steady_clock::now();
            const auto wait =
                std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - now);
            zmq::poll(items, 2, std::max(wait, std::chrono::milliseconds(0)));
            if (items[1].revents & ZMQ_POLLIN) {
                std::uint64_t n = 0;
                [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
            }
            run_posted();
            {
                std::lock_guard lock(mu_);
                if (stopping_) {
                    break;
                }
            }
            // Drain the socket: poll() reports readiness once per batch of messages.
            for (int i = 0; i < 1024; ++i) {
                parts.clear();
                zmq::message_t msg;
                if (!socket_.recv(msg, zmq::recv_flags::dontwait)) {
                    break;
                }
                parts.push_back(std::move(msg));
                while (parts.back().more()) {
                    zmq::message_t more;
                    (void)socket_.recv(more, zmq::recv_flags::none);
                    parts.push_back(std::move(more));
                }
                h.on_message(parts);
            }
            if (std::chrono::steady_clock::now() >= next_tick) {
                h.on_tick();
                next_tick = std::chrono::steady_clock::now() + tick;
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
}

} // namespace netchan::internal
