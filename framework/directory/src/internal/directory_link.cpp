#include "internal/directory_link.hpp"

#include "netchan/directory_error.hpp"
#include "netchan/internal/io_loop.hpp"

#include <atomic>
#include <thread>

namespace netchan::detail {

namespace proto = internal::dirproto;

namespace {
// Replies are bounded by what the directory holds; 10,000 entries are a few megabytes.
constexpr std::size_t max_reply_bytes = std::size_t{1} << 30;
} // namespace

directory_link::directory_link(std::string endpoint, bool immediate)
    : endpoint_(std::move(endpoint)), immediate_(immediate) {
}

zmq::socket_t& directory_link::socket() {
    if (!socket_) {
        // Linger 0: a request nobody answered is worthless once the caller gave up on it.
        auto s = make_socket(internal::context(), zmq::socket_type::dealer,
                             std::chrono::milliseconds(0));
        try {
            s.set(zmq::sockopt::immediate, immediate_ ? 1 : 0);
            s.set(zmq::sockopt::sndhwm, 1000);
        } catch (const zmq::error_t& e) {
            throw transport_error("directory " + endpoint_ + ": cannot set socket options", e);
        }
        connect(s, endpoint_);
        socket_ = std::move(s);
        internal::socket_opened(); // see there: the context waits at exit only for counted ones
    }
    return *socket_;
}

void directory_link::reset() noexcept {
    if (socket_) {
        socket_.reset();
        internal::socket_closed();
    }
}

bool directory_link::try_send(std::span<const std::byte> bytes) noexcept {
    try {
        return socket()
            .send(zmq::const_buffer(bytes.data(), bytes.size()), zmq::send_flags::dontwait)
            .has_value();
    } catch (...) {
        return false;
    }
}

std::optional<proto::message> directory_link::try_recv() {
    for (;;) {
        zmq::message_t msg;
        try {
            if (!socket().recv(msg, zmq::recv_flags::dontwait)) {
                return std::nullopt;
            }
            if (msg.more()) { // not from a directory, which sends one frame: skip it whole
                zmq::message_t rest;
                do {
                    (void)socket().recv(rest, zmq::recv_flags::none);
                } while (rest.more());
                continue;
            }
        } catch (const zmq::error_t& e) {
            throw transport_error("directory " + endpoint_, e);
        }
        try {
            return proto::parse(
                std::span<const std::byte>(static_cast<const std::byte*>(msg.data()), msg.size()),
                max_reply_bytes, proto::side::client);
        } catch (const proto::protocol_error&) {
            continue; // garbage from the socket: skip it, look at the next message
        }
    }
}

std::uint64_t next_request_id() noexcept {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

namespace {

std::string endpoint_list(std::span<const std::unique_ptr<directory_link>> links) {
    std::string s;
    for (const auto& l : links) {
        s += (s.empty() ? "" : ", ") + l->endpoint();
    }
    return s;
}

} // namespace

proto::message ask(std::span<const std::unique_ptr<directory_link>> links, std::size_t& preferred,
                   std::uint64_t req_id, std::span<const std::byte> request,
                   std::chrono::milliseconds timeout) {
    using clock = std::chrono::steady_clock;
    const std::size_t n = links.size();
    const auto start = clock::now();
    const auto deadline = start + timeout;
    const auto stagger = timeout / static_cast<long>(n);
    std::vector<bool> sent(n, false);
    std::vector<zmq::pollitem_t> items;
    std::vector<std::size_t> polled;
    for (;;) {
        auto now = clock::now();
        auto wake = deadline;
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = (preferred + k) % n;
            const auto due = start + stagger * static_cast<long>(k);
            if (sent[i]) {
                continue;
            }
            if (now >= due && links[i]->try_send(request)) {
                sent[i] = true;
            } else {
                // Not due yet, or its queue is full: try again soon.
                wake = std::min(wake, now >= due ? now + std::chrono::milliseconds(10) : due);
            }
        }
        items.clear();
        polled.clear();
        for (std::size_t i = 0; i < n; ++i) {
            if (sent[i]) {
                items.push_back({links[i]->socket().handle(), 0, ZMQ_POLLIN, 0});
                polled.push_back(i);
            }
        }
        const auto wait = std::max(std::chrono::milliseconds(0),
                                   std::chrono::ceil<std::chrono::milliseconds>(wake - now));
        try {
            if (items.empty()) {
                std::this_thread::sleep_for(wait);
            } else {
                zmq::poll(items.data(), items.size(), wait);
            }
        } catch (const zmq::error_t& e) {
            throw transport_error("directory poll", e);
        }
        for (std::size_t j = 0; j < items.size(); ++j) {
            if (!(items[j].revents & ZMQ_POLLIN)) {
                continue;
            }
            const std::size_t i = polled[j];
            while (auto m = links[i]->try_recv()) {
                if (m->req_id != req_id || m->what == proto::kind::event) {
                    continue; // a late reply to an earlier request
                }
                preferred = i;
                if (m->what == proto::kind::error) {
                    throw directory_error("netchan: directory " + links[i]->endpoint() +
                                          " refused the request: " + m->text);
                }
                return std::move(*m);
            }
        }
        now = clock::now();
        if (now >= deadline) {
            for (const auto& l : links) {
                l->reset(); // drop the unanswered request rather than deliver it late
            }
            throw directory_error("netchan: no directory answered within " +
                                  std::to_string(timeout.count()) +
                                  " ms (tried: " + endpoint_list(links) + ")");
        }
    }
}

} // namespace netchan::detail
