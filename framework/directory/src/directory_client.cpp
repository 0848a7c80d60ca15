#include "netchan/directory_client.hpp"

#include "internal/directory_link.hpp"
#include "internal/directory_protocol.hpp"

#include <stop_token>
#include <thread>

namespace netchan {

namespace proto = internal::dirproto;

const char* to_string(directory_event::kind k) noexcept {
    switch (k) {
    case directory_event::kind::added:
        return "added";
    case directory_event::kind::renewed:
        return "renewed";
    case directory_event::kind::gone:
        return "gone";
    }
    return "unknown";
}

namespace detail {

/// The watch thread: holds the subscription with one directory and moves it to the next when
/// that one stops answering. Thread-confined: the links are used by the thread only, once
/// started.
class directory_watch_impl {
public:
    directory_watch_impl(std::vector<std::string> endpoints, std::chrono::milliseconds timeout,
                         chan<directory_event> events)
        : timeout_(timeout), events_(std::move(events)) {
        for (auto& ep : endpoints) {
            links_.push_back(std::make_unique<directory_link>(std::move(ep)));
            (void)links_.back()->socket(); // a malformed endpoint is a transport_error now
        }
        // Subscribe before returning, so that an unreachable directory is the caller's error.
        const auto per_link = timeout / static_cast<long>(links_.size());
        for (std::size_t i = 0; i < links_.size(); ++i) {
            if (subscribe(i, per_link)) {
                current_ = i;
                thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
                return;
            }
        }
        std::string tried;
        for (const auto& l : links_) {
            tried += (tried.empty() ? "" : ", ") + l->endpoint();
        }
        throw directory_error("netchan: no directory accepted a watch within " +
                              std::to_string(timeout.count()) + " ms (tried: " + tried + ")");
    }

    ~directory_watch_impl() {
        thread_.request_stop();
        if (thread_.joinable()) {
            thread_.join();
        }
        events_.close();
    }

private:
    using clock = std::chrono::steady_clock;

    // Sends WATCH on link i and waits for WATCHING; true when it came within `budget`.
    bool subscribe(std::size_t i, std::chrono::milliseconds budget) {
        std::size_t preferred = 0;
        const std::span<const std::unique_ptr<directory_link>> one(&links_[i], 1);
        const auto req = next_request_id();
        try {
            const auto m =
                ask(one, preferred, req, proto::encode_empty(proto::kind::watch, req), budget);
            lease_ = std::chrono::milliseconds(std::max<std::uint64_t>(m.number, 30));
            next_renewal_ = clock::now() + lease_ / 3;
            return true;
        } catch (const netchan::error&) {
            return false;
        }
    }

    void run(const std::stop_token& stop) noexcept {
        try {
            std::uint64_t awaiting = 0; // request id of an unanswered WATCH
            auto asked_at = clock::now();
            while (!stop.stop_requested()) {
                auto& link = *links_[current_];
                zmq::pollitem_t item{link.socket().handle(), 0, ZMQ_POLLIN, 0};
                zmq::poll(&item, 1, std::chrono::milliseconds(50));
                while (auto m = link.try_recv()) {
                    if (m->what == proto::kind::event) {
                        for (auto& ev : m->events) {
                            if (!deliver(std::move(ev), stop)) {
                                return;
                            }
                        }
                    } else if (m->what == proto::kind::watching && m->req_id == awaiting) {
                        awaiting = 0;
                        lease_ = std::chrono::milliseconds(std::max<std::uint64_t>(m->number, 30));
                        next_renewal_ = clock::now() + lease_ / 3;
                    }
                }
                const auto now = clock::now();
                if (awaiting != 0 && now - asked_at > timeout_) {
                    // The directory stopped answering: move to the next one.
                    link.reset();
                    current_ = (current_ + 1) % links_.size();
                    awaiting = 0;
                    next_renewal_ = now;
                }
                if (awaiting == 0 && now >= next_renewal_) {
                    awaiting = next_request_id();
                    asked_at = now;
                    (void)links_[current_]->try_send(
                        proto::encode_empty(proto::kind::watch, awaiting));
                }
            }
            const auto req = next_request_id();
            (void)links_[current_]->try_send(proto::encode_empty(proto::kind::unwatch, req));
        } catch (...) {
            // A watch that cannot go on ends: its channel closes (in the destructor).
        }
    }

    // Puts an event on the channel, waiting while it is full; false when asked to stop.
    bool deliver(directory_event ev, const std::stop_token& stop) {
        while (!stop.stop_requested()) {
            if (events_.send_for(ev, std::chrono::milliseconds(50))) {
                return true;
            }
            if (events_.closed()) {
                return false;
            }
        }
        return false;
    }

    std::chrono::milliseconds timeout_;
    chan<directory_event> events_;
    std::vector<std::unique_ptr<directory_link>> links_;
    std::size_t current_ = 0;
    std::chrono::milliseconds lease_{10000};
    clock::time_point next_renewal_;
    std::jthread thread_; // last: joined before the members it uses go
};

} // namespace detail

// -- directory_watch --

directory_watch::directory_watch(std::unique_ptr<detail::directory_watch_impl> impl,
                                 chan<directory_event> ev)
    : impl_(std::move(impl)), events_(std::move(ev)) {
}
directory_watch::directory_watch(directory_watch&&) noexcept = default;
directory_watch& directory_watch::operator=(directory_watch&&) noexcept = default;
directory_watch::~directory_watch() = default;

// -- directory_client --

directory_client::directory_client(std::vector<std::string> endpoints,
                                   directory_client_options options)
    : endpoints_(std::move(endpoints)), options_(options) {
    if (endpoints_.empty()) {
        throw error("netchan: directory_client needs at least one directory endpoint");
    }
    for (const auto& ep : endpoints_) {
        links_.push_back(std::make_unique<detail::directory_link>(ep));
        (void)links_.back()->socket(); // a malformed endpoint is a transport_error now
    }
}

directory_client::~directory_client() = default;

std::vector<directory_entry> directory_client::list() const {
    std::lock_guard lock(mu_);
    const auto req = detail::next_request_id();
    auto m = detail::ask(links_, preferred_, req, proto::encode_empty(proto::kind::list, req),
                         options_.timeout);
    return std::move(m.entries);
}

std::vector<directory_entry> directory_client::resolve(const std::string& name) const {
    std::lock_guard lock(mu_);
    const auto req = detail::next_request_id();
    auto m =
        detail::ask(links_, preferred_, req, proto::encode_resolve(req, name), options_.timeout);
    return std::move(m.entries);
}

directory_watch directory_client::watch(std::size_t capacity) const {
    chan<directory_event> events(capacity);
    auto impl =
        std::make_unique<detail::directory_watch_impl>(endpoints_, options_.timeout, events);
    return directory_watch(std::move(impl), std::move(events));
}

} // namespace netchan
