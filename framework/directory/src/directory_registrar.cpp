#include "netchan/directory_registrar.hpp"

#include "netchan/directory_endpoints.hpp"
#include "netchan/error.hpp"

#include "internal/directory_link.hpp"
#include "internal/directory_protocol.hpp"
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>

namespace netchan {

namespace proto = internal::dirproto;

namespace detail {

/// The registrar's state (guarded by mu_) and its renewal thread, which alone uses the links.
/// Thread-safe: add(), remove(), sync(); the links are thread-confined to the renewal thread.
class directory_registrar_impl {
public:
    directory_registrar_impl(std::vector<std::string> directories, std::chrono::milliseconds lease,
                             directory_counters_fn counters)
        : lease_(lease), counters_(std::move(counters)), host_(advertise_host()) {
        if (directories.empty()) {
            throw error("netchan: directory_registrar needs at least one directory endpoint");
        }
        if (lease < std::chrono::milliseconds(30)) {
            throw error("netchan: directory lease of " + std::to_string(lease.count()) +
                        " ms is under the minimum of 30 ms");
        }
        for (auto& d : directories) {
            links_.push_back({std::make_unique<directory_link>(std::move(d), true)});
            // Connect now, so that a malformed endpoint is the caller's transport_error; the
            // sockets then belong to the renewal thread.
            (void)links_.back().link->socket();
        }
        wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake_fd_ < 0) {
            throw error("netchan: directory_registrar cannot create an eventfd");
        }
        thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
    }

    ~directory_registrar_impl() {
        thread_.request_stop();
        wake();
        if (thread_.joinable()) {
            thread_.join();
        }
        ::close(wake_fd_);
    }

    void add(directory_entry e) {
        if (e.name.empty() || e.endpoints.empty()) {
            throw error("netchan: directory entry \"" + e.name +
                        "\" needs a name and at least one endpoint");
        }
        if (e.host.empty()) {
            e.host = host_;
        }
        if (e.pid == 0) {
            e.pid = static_cast<std::int64_t>(::getpid());
        }
        if (e.start == std::chrono::system_clock::time_point{}) {
            e.start = std::chrono::system_clock::now();
        }
        e.lease = lease_;
        {
            std::lock_guard lock(mu_);
            proto::entry_key key{e.name, e.endpoints};
            entries_[key] = e;
            std::erase(removed_, key);
            added_.push_back(std::move(e));
            ++generation_;
        }
        wake();
    }

    void remove(const std::string& name) {
        {
            std::lock_guard lock(mu_);
            for (auto it = entries_.lower_bound(proto::entry_key{name, {}});
                 it != entries_.end() && it->first.name == name;) {
                removed_.push_back(it->first);
                std::erase_if(added_, [&](const directory_entry& a) {
                    return a.name == name && a.endpoints == it->first.endpoints;
                });
                it = entries_.erase(it);
            }
            ++generation_;
        }
        wake();
    }

    bool sync(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        const auto target = generation_;
        return acked_cv_.wait_for(lock, timeout, [&] { return acked_ >= target; });
    }

private:
    using clock = std::chrono::steady_clock;

    /// What this registrar knows of one directory.
    struct directory_state {
        std::unique_ptr<directory_link> link;
        bool behind = true; ///< must be sent every entry (new, or a send failed)
        clock::time_point next_full{};
        std::chrono::milliseconds granted{0}; ///< lease the directory granted (0: not known)
    };

    static constexpr std::size_t chunk_bytes = std::size_t{1} << 20;
    static constexpr auto retry = std::chrono::milliseconds(50);
    static constexpr auto unregister_wait = std::chrono::milliseconds(500);

    static bool writable(directory_state& l) {
        return (l.link->socket().get(zmq::sockopt::events) & ZMQ_POLLOUT) != 0;
    }

    void wake() noexcept {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    }

    std::chrono::milliseconds renew_interval(const directory_state& l) const {
        const auto lease = l.granted.count() > 0 ? std::min(lease_, l.granted) : lease_;
        return std::max(lease / 3, std::chrono::milliseconds(10));
    }

    // Returns the entries with fresh counters.
    std::vector<directory_entry> with_counters(std::vector<directory_entry> entries) const {
        if (counters_) {
            for (auto& e : entries) {
                try {
                    e.counters = counters_(e.name);
                } catch (...) {
                    // A failing callback costs only its counters, never the registration.
                }
            }
        }
        return entries;
    }

    // Encodes `entries` into REGISTER messages of about chunk_bytes each.
    static std::vector<std::pair<std::uint64_t, std::vector<std::byte>>>
    register_messages(const std::vector<directory_entry>& entries) {
        std::vector<std::pair<std::uint64_t, std::vector<std::byte>>> out;
        std::vector<std::byte> body;
        std::size_t count = 0;
        const auto flush = [&] {
            const auto req = next_request_id();
            out.emplace_back(
                req, proto::encode_with_entries(proto::kind::register_entries, req, count, body));
            body.clear();
            count = 0;
        };
        for (const auto& e : entries) {
            const auto bytes = proto::encode_entry(e, false);
            if (count > 0 && body.size() + bytes.size() > chunk_bytes) {
                flush();
            }
            body.insert(body.end(), bytes.begin(), bytes.end());
            ++count;
        }
        if (count > 0) {
            flush();
        }
        return out;
    }

    // Sends all messages on `l`; on failure marks it behind (everything is sent again soon).
    void send_all(directory_state& l,
                  const std::vector<std::pair<std::uint64_t, std::vector<std::byte>>>& messages,
                  std::uint64_t generation) {
        for (const auto& [req, bytes] : messages) {
            if (!l.link->try_send(bytes)) {
                l.behind = true;
                return;
            }
        }
        if (!messages.empty()) {
            note_request(messages.back().first, generation);
        }
    }

    void note_request(std::uint64_t req, std::uint64_t generation) {
        pending_acks_[req] = generation;
        while (pending_acks_.size() > 1024) {
            pending_acks_.erase(pending_acks_.begin());
        }
    }

    void on_reply(directory_state& l, const proto::message& m) {
        if (m.what == proto::kind::registered) {
            l.granted = std::chrono::milliseconds(m.number);
        }
        const auto it = pending_acks_.find(m.req_id);
        if (it == pending_acks_.end()) {
            return;
        }
        {
            std::lock_guard lock(mu_);
            acked_ = std::max(acked_, it->second);
        }
        acked_cv_.notify_all();
        pending_acks_.erase(pending_acks_.begin(), std::next(it));
    }

    void run(const std::stop_token& stop) noexcept {
        try {
            loop(stop);
            unregister_all();
        } catch (...) {
            // The registrar's thread must not die by an exception; entries then lapse.
        }
    }

    void loop(const std::stop_token& stop) {
        std::vector<zmq::pollitem_t> items;
        while (!stop.stop_requested()) {
            // A link is sent every entry when its renewal is due or it fell behind, but only once
            // it can take messages: while a directory is down nothing is encoded for it.
            auto now = clock::now();
            std::vector<bool> full(links_.size(), false);
            for (std::size_t i = 0; i < links_.size(); ++i) {
                auto& l = links_[i];
                if (l.behind || now >= l.next_full) {
                    full[i] = writable(l);
                    l.behind = !full[i];
                }
            }
            const bool any_full = std::find(full.begin(), full.end(), true) != full.end();
            std::vector<directory_entry> all, added;
            std::vector<proto::entry_key> removed;
            std::uint64_t generation = 0;
            {
                std::lock_guard lock(mu_);
                added.swap(added_);
                removed.swap(removed_);
                generation = generation_;
                if (any_full) {
                    all.reserve(entries_.size());
                    for (const auto& [key, e] : entries_) {
                        all.push_back(e);
                    }
                }
            }
            const auto all_messages = register_messages(with_counters(std::move(all)));
            const auto added_messages = register_messages(with_counters(std::move(added)));
            std::vector<std::byte> unregister;
            std::uint64_t unregister_req = 0;
            if (!removed.empty()) {
                unregister_req = next_request_id();
                unregister = proto::encode_unregister(unregister_req, removed);
            }
            now = clock::now();
            for (std::size_t i = 0; i < links_.size(); ++i) {
                auto& l = links_[i];
                if (full[i]) {
                    l.next_full = now + renew_interval(l);
                    send_all(l, all_messages, generation);
                    if (all_messages.empty()) {
                        // Nothing registered: an empty REGISTER still acknowledges a sync.
                        const auto req = next_request_id();
                        if (l.link->try_send(proto::encode_with_entries(
                                proto::kind::register_entries, req, 0, {}))) {
                            note_request(req, generation);
                        } else {
                            l.behind = true;
                        }
                    }
                } else if (!l.behind) {
                    send_all(l, added_messages, generation);
                } // else: the full set sent once it is back covers the adds
                if (!unregister.empty() && l.link->try_send(unregister)) {
                    note_request(unregister_req, generation);
                }
            }
            wait_and_read(items, stop);
        }
    }

    // Waits for replies, a wake-up or the next renewal, and handles the replies.
    void wait_and_read(std::vector<zmq::pollitem_t>& items, const std::stop_token& stop) {
        auto wake_at = clock::now() + std::chrono::seconds(1);
        for (const auto& l : links_) {
            wake_at = std::min(wake_at, l.behind ? clock::now() + retry : l.next_full);
        }
        items.clear();
        for (auto& l : links_) {
            items.push_back({l.link->socket().handle(), 0, ZMQ_POLLIN, 0});
        }
        items.push_back({nullptr, wake_fd_, ZMQ_POLLIN, 0});
        const auto wait =
            std::max(std::chrono::milliseconds(0),
                     std::chrono::ceil<std::chrono::milliseconds>(wake_at - clock::now()));
        if (!stop.stop_requested()) {
            zmq::poll(items.data(), items.size(), wait);
        }
        if (items.back().revents & ZMQ_POLLIN) {
            std::uint64_t n = 0;
            [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
        }
        for (std::size_t i = 0; i < links_.size(); ++i) {
            if (items[i].revents & ZMQ_POLLIN) {
                while (auto m = links_[i].link->try_recv()) {
                    on_reply(links_[i], *m);
                }
            }
        }
    }

    // Tells every directory that answers within unregister_wait that the entries are gone.
    void unregister_all() {
        std::vector<proto::entry_key> keys;
        {
            std::lock_guard lock(mu_);
            for (const auto& [key, e] : entries_) {
                keys.push_back(key);
            }
        }
        if (keys.empty()) {
            return;
        }
        const auto req = next_request_id();
        const auto bytes = proto::encode_unregister(req, keys);
        std::vector<bool> waiting(links_.size(), false);
        for (std::size_t i = 0; i < links_.size(); ++i) {
            waiting[i] = links_[i].link->try_send(bytes);
        }
        const auto deadline = clock::now() + unregister_wait;
        while (std::find(waiting.begin(), waiting.end(), true) != waiting.end() &&
               clock::now() < deadline) {
            std::vector<zmq::pollitem_t> items;
            for (auto& l : links_) {
                items.push_back({l.link->socket().handle(), 0, ZMQ_POLLIN, 0});
            }
            zmq::poll(items.data(), items.size(), std::chrono::milliseconds(10));
            for (std::size_t i = 0; i < links_.size(); ++i) {
                while (auto m = links_[i].link->try_recv()) {
                    if (m->req_id == req) {
                        waiting[i] = false;
                    }
                }
            }
        }
    }

    const std::chrono::milliseconds lease_;
    const directory_counters_fn counters_;
    const std::string host_;
    int wake_fd_ = -1;

    std::mutex mu_;
    std::condition_variable acked_cv_;
    std::map<proto::entry_key, directory_entry> entries_; // guarded by mu_
    std::vector<directory_entry> added_;                  // guarded by mu_: not yet sent
    std::vector<proto::entry_key> removed_;               // guarded by mu_: not yet sent
    std::uint64_t generation_ = 0;                        // guarded by mu_: adds + removes
    std::uint64_t acked_ = 0;                             // guarded by mu_

    // Used by the renewal thread only.
    std::vector<directory_state> links_;
    std::map<std::uint64_t, std::uint64_t> pending_acks_; // req id -> generation it covers

    std::jthread thread_; // last: joined before the members it uses go
};

} // namespace detail

directory_registrar::directory_registrar(std::vector<std::string> directories,
                                         std::chrono::milliseconds lease,
                                         directory_counters_fn counters)
    : impl_(std::make_unique<detail::directory_registrar_impl>(std::move(directories), lease,
                                                               std::move(counters))) {
}

directory_registrar::~directory_registrar() = default;

void directory_registrar::add(directory_entry entry) {
    impl_->add(std::move(entry));
}

void directory_registrar::remove(const std::string& name) {
    impl_->remove(name);
}

bool directory_registrar::sync(std::chrono::milliseconds timeout) {
    return impl_->sync(timeout);
}

} // namespace netchan
