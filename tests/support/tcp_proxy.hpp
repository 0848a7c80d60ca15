#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace netchan::test {

/// A TCP relay on 127.0.0.1 between clients and one target port, which a test can cut: every
/// connection through it is reset and new ones are refused until it is joined again. What was
/// in flight is lost, as in a real network cut.
/// Thread-safe: cut() and join() from any thread.
class tcp_proxy {
public:
    explicit tcp_proxy(std::uint16_t target) : target_(target) {
        listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = loopback(0);
        const int one = 1;
        ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(listen_, 16) != 0) {
            throw std::runtime_error("tcp_proxy: cannot listen");
        }
        socklen_t len = sizeof a;
        ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
    }
    tcp_proxy(const tcp_proxy&) = delete;
    tcp_proxy& operator=(const tcp_proxy&) = delete;
    ~tcp_proxy() {
        thread_.request_stop();
        thread_.join();
        for (auto [a, b] : pairs_) {
            ::close(a);
            ::close(b);
        }
        ::close(listen_);
    }

    /// The port clients connect to.
    std::uint16_t port() const noexcept { return port_; }

    /// Resets every connection and refuses new ones until join().
    void cut() { cut_ = true; }
    /// Lets connections through again.
    void join() { cut_ = false; }

private:
    static sockaddr_in loopback(std::uint16_t port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return a;
    }

    static void reset(int fd) {
        const linger hard{1, 0}; // close with RST, dropping unsent bytes
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        ::close(fd);
    }

    void run(const std::stop_token& stop) {
        while (!stop.stop_requested()) {
            if (cut_ && !pairs_.empty()) {
                for (auto [a, b] : pairs_) {
                    reset(a);
                    reset(b);
                }
                pairs_.clear();
            }
            std::vector<pollfd> fds{{listen_, POLLIN, 0}};
            for (auto [a, b] : pairs_) {
                fds.push_back({a, POLLIN, 0});
                fds.push_back({b, POLLIN, 0});
            }
            if (::poll(fds.data(), fds.size(), 20) <= 0) {
                continue;
            }
            if (fds[0].revents & POLLIN) {
                accept_one();
            }
            std::vector<std::size_t> broken;
            for (std::size_t i = 1; i < fds.size(); ++i) {
                if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                    continue;
                }
                const auto& [a, b] = pairs_[(i - 1) / 2];
                const int from = fds[i].fd;
                const int to = from == a ? b : a;
                char buf[65536];
                const auto n = ::read(from, buf, sizeof buf);
                if (n <= 0 || !write_all(to, buf, static_cast<std::size_t>(n))) {
                    broken.push_back((i - 1) / 2);
                }
            }
            for (auto k = broken.rbegin(); k != broken.rend(); ++k) {
                if (*k < pairs_.size()) {
                    reset(pairs_[*k].first);
                    reset(pairs_[*k].second);
                    pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*k));
                }
            }
        }
    }

    void accept_one() {
        const int c = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            return;
        }
        if (cut_) {
            reset(c);
            return;
        }
        const int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = loopback(target_);
        if (::connect(t, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            reset(c);
            ::close(t);
            return;
        }
        pairs_.emplace_back(c, t);
    }

    static bool write_all(int fd, const char* p, std::size_t n) {
        while (n > 0) {
            const auto w = ::write(fd, p, n);
            if (w <= 0) {
                return false;
            }
            p += w;
            n -= static_cast<std::size_t>(w);
        }
        return true;
    }

    std::uint16_t target_;
    std::uint16_t port_ = 0;
    int listen_ = -1;
    std::atomic<bool> cut_{false};
    std::vector<std::pair<int, int>> pairs_; // proxy thread only
    std::jthread thread_;
};

} // namespace netchan::test
