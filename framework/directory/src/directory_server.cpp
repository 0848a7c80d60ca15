#include "netchan/directory_server.hpp"

#include "netchan/internal/io_loop.hpp"

#include "internal/directory_protocol.hpp"
#include "internal/directory_store.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace netchan {

namespace detail {

namespace proto = internal::dirproto;

/// The server's state and request handling; everything runs under the io_loop's lock.
/// Guarded by the loop lock: use only from the loop's work (except construction and size()).
class directory_server_impl final : public internal::io_loop::handler {
public:
    directory_server_impl(const std::string& endpoint, directory_server_options options)
        : options_(options), store_(options.max_lease) {
        auto s = make_socket(internal::context(), zmq::socket_type::router);
        try {
            s.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(options.max_message_bytes));
            // Without ROUTER_MANDATORY a reply to a peer that does not read is dropped at the
            // high-water mark instead of blocking the loop: a flood cannot wedge the server.
            s.set(zmq::sockopt::sndhwm, 10000);
            s.set(zmq::sockopt::rcvhwm, 10000);
        } catch (const zmq::error_t& e) {
            throw transport_error("directory " + endpoint + ": cannot set socket options", e);
        }
        endpoint_ = bind(s, endpoint);
        const auto tick = std::clamp(options.max_lease / 20, std::chrono::milliseconds(5),
                                     std::chrono::milliseconds(50));
        loop_.start(std::move(s), *this, tick, "netchan-dir");
    }

    ~directory_server_impl() override { loop_.stop(); }

    const std::string& endpoint() const noexcept { return endpoint_; }

    std::size_t size() {
        std::size_t n = 0;
        loop_.call([&] { n = store_.size(); });
        return n;
    }

    std::size_t watchers() {
        std::size_t n = 0;
        loop_.call([&] { n = watchers_.size(); });
        return n;
    }

    void on_message(std::vector<zmq::message_t>& parts) override {
        if (parts.size() < 2) {
            return; // no body: nothing to answer
        }
        peer p{parts[0].to_string(), false};
        const zmq::message_t* body = &parts[1];
        if (parts.size() == 3 && parts[1].size() == 0) {
            p.delimited = true; // a REQ peer: answer with the empty delimiter it expects
            body = &parts[2];
        } else if (parts.size() != 2) {
            reply(p, proto::encode_error(0, proto::errc::bad_message,
                                         "directory protocol: a message is one frame"));
            return;
        }
        const std::span<const std::byte> bytes(static_cast<const std::byte*>(body->data()),
                                               body->size());
        try {
            handle(p, proto::parse(bytes, options_.max_message_bytes, proto::side::directory));
        } catch (const proto::protocol_error& e) {
            reply(p, proto::encode_error(e.req_id(), e.code(), e.what()));
        }
        flush_events();
    }

    // No error stream here: the directory is a daemon, and its operator reads stderr.
    void on_failure(const std::string& what) noexcept override {
        std::fprintf(stderr, "%s\n", what.c_str());
    }

    void on_tick() override {
        const auto now = clock::now();
        store_.expire(now, pending_);
        std::erase_if(watchers_, [&](const auto& w) { return w.second.expires <= now; });
        flush_events();
    }

private:
    using clock = internal::directory_store::clock;

    struct peer {
        std::string id;
        bool delimited = false;
    };
    struct watcher {
        clock::time_point expires;
        std::uint64_t seq = 0;
        bool delimited = false;
    };

    static constexpr std::size_t max_watchers = 4096;
    static constexpr std::size_t events_per_message = 512;

    void handle(const peer& p, proto::message m) {
        using proto::kind;
        const auto now = clock::now();
        switch (m.what) {
        case kind::register_entries:
            for (auto& e : m.entries) {
                pending_.push_back(store_.put(std::move(e), now));
            }
            reply(p, proto::encode_number(kind::registered, m.req_id,
                                          static_cast<std::uint64_t>(store_.max_lease().count())));
            return;
        case kind::unregister:
            for (const auto& k : m.keys) {
                store_.erase(k, pending_);
            }
            reply(p, proto::encode_empty(kind::ok, m.req_id));
            return;
        case kind::list: {
            std::vector<directory_entry> out;
            store_.list(now, out);
            reply(p, proto::encode_entries(m.req_id, out));
            return;
        }
        case kind::resolve: {
            std::vector<directory_entry> out;
            store_.resolve(m.name, now, out);
            reply(p, proto::encode_entries(m.req_id, out));
            return;
        }
        case kind::watch: {
            if (!watchers_.contains(p.id) && watchers_.size() >= max_watchers) {
                reply(p, proto::encode_error(m.req_id, proto::errc::too_large,
                                             "directory: too many watchers"));
                return;
            }
            auto& w = watchers_[p.id];
            w.expires = now + options_.watch_lease;
            w.delimited = p.delimited;
            reply(p,
                  proto::encode_number(kind::watching, m.req_id,
                                       static_cast<std::uint64_t>(options_.watch_lease.count())));
            return;
        }
        case kind::unwatch:
            watchers_.erase(p.id);
            reply(p, proto::encode_empty(kind::ok, m.req_id));
            return;
        case kind::ping:
            reply(p, proto::encode_empty(kind::ok, m.req_id));
            return;
        default: // parse() lets requests only through
            return;
        }
    }

    void reply(const peer& p, const std::vector<std::byte>& bytes) {
        const std::span<const std::byte> id(reinterpret_cast<const std::byte*>(p.id.data()),
                                            p.id.size());
        if (p.delimited) {
            const std::array<std::span<const std::byte>, 3> parts{id, {}, bytes};
            (void)loop_.send(parts);
        } else {
            const std::array<std::span<const std::byte>, 2> parts{id, bytes};
            (void)loop_.send(parts);
        }
    }

    void flush_events() {
        if (pending_.empty()) {
            return;
        }
        if (!watchers_.empty()) {
            const std::span<const directory_event> all(pending_);
            for (std::size_t first = 0; first < all.size(); first += events_per_message) {
                const auto part =
                    all.subspan(first, std::min(events_per_message, all.size() - first));
                for (auto& [id, w] : watchers_) {
                    reply(peer{id, w.delimited}, proto::encode_events(++w.seq, part));
                }
            }
        }
        pending_.clear();
    }

    directory_server_options options_;
    std::string endpoint_;
    internal::directory_store store_;
    std::map<std::string, watcher> watchers_;
    std::vector<directory_event> pending_; // changes not yet pushed to watchers
    internal::io_loop loop_;               // last: stopped before the state it uses goes
};

} // namespace detail

directory_server::directory_server(const std::string& endpoint, directory_server_options options)
    : impl_(std::make_unique<detail::directory_server_impl>(endpoint, options)) {
}

directory_server::~directory_server() = default;

const std::string& directory_server::endpoint() const noexcept {
    return impl_->endpoint();
}

std::size_t directory_server::size() const {
    return impl_->size();
}

std::size_t directory_server::watchers() const {
    return impl_->watchers();
}

} // namespace netchan
