#include "netchan/exporter.hpp"

#include "netchan/directory_endpoints.hpp"
#include "netchan/directory_registrar.hpp"
#include "netchan/internal/io_loop.hpp"
#include "netchan/internal/receive_window.hpp"
#include "netchan/internal/send_window.hpp"

#include "internal/export_entry.hpp"
#include "internal/export_heartbeat.hpp"
#include "internal/export_receiver.hpp"
#include "internal/export_sender.hpp"
#include "internal/recv_delivery.hpp"
#include "internal/registry.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <random>

namespace netchan::detail {

using internal::io_loop;

namespace {

std::span<const std::byte> bytes_of(const zmq::message_t& m) {
    return {static_cast<const std::byte*>(m.data()), m.size()};
}

wire::direction to_wire(dir d) {
    return d == dir::send ? wire::direction::send : wire::direction::recv;
}

const char* name_of(dir d) {
    return d == dir::send ? "send" : "recv";
}

// Link ids start at a random point: frames from importers of a predecessor at the same
// endpoint must not match links of this exporter.
std::uint64_t random_first_id() {
    std::random_device rd;
    return ((std::uint64_t{rd()} << 20) ^ rd()) | 1;
}

} // namespace

using internal::export_entry;
using internal::export_link;

/// The exporter's state; everything but the members marked otherwise is under the loop lock.
class exporter_impl final : public io_loop::handler,
                            public internal::local_exports,
                            public internal::export_heartbeat::owner {
public:
    exporter_impl(const std::string& endpoint, exporter_options options)
        : options_(options), errors_(options.errors_capacity) {
        auto sock = make_socket(internal::context(), zmq::socket_type::router);
        sock.set(zmq::sockopt::router_mandatory, 1);
        // An importer reconnecting after a cut takes its routing id over from the connection
        // the cut left half-open.
        sock.set(zmq::sockopt::router_handover, 1);
        sock.set(zmq::sockopt::sndhwm, 0);
        sock.set(zmq::sockopt::rcvhwm, 0);
        endpoint_ = bind(sock, endpoint);
        loop_.start(std::move(sock), *this, std::chrono::milliseconds(100), "netchan-export");
        internal::register_exporter(endpoint_, this);
        if (!options_.directories.empty()) {
            registrar_.emplace(options_.directories, options_.lease,
                               [this](const std::string& name) { return counters(name); });
        }
    }

    ~exporter_impl() override {
        registrar_.reset(); // unregisters while the exports still answer for their counters
        internal::unregister_exporter(endpoint_);
        std::vector<std::unique_ptr<export_entry>> all;
        loop_.call([&] {
            for (auto& [id, e] : exports_) {
                hangup_links(*e);
                all.push_back(std::move(e));
            }
            exports_.clear();
            by_name_.clear();
        });
        for (auto& e : all) {
            stop_pump(*e);
        }
        loop_.stop();
    }

    const std::string& endpoint() const noexcept { return endpoint_; }
    chan<error_event> errors() const { return errors_; }

    void add(const std::string& name, std::unique_ptr<port> p, dir d, export_options o) {
        auto e = std::make_unique<export_entry>();
        e->name = name;
        e->d = d;
        e->opts = o;
        e->p = std::move(p);
        export_entry* raw = e.get();
        if (d == dir::recv) { // before the loop can see the entry
            raw->delivery = std::make_unique<internal::recv_delivery>(
                *raw->p, [this] { return loop_.enter(); },
                [this, raw] {
                    loop_.dispatch([this, raw] {
                        // Still exported? (A hung-up entry is kept until the exporter goes.)
                        if (auto it = exports_.find(raw->id);
                            it != exports_.end() && it->second.get() == raw) {
                            raw->delivery->posted(); // first: later counts post again
                            receiver_.credit_consumed(*raw);
                        }
                    });
                });
        }
        bool taken = false;
        loop_.call([&] {
            if (by_name_.count(name) != 0) {
                taken = true;
                return;
            }
            e->id = next_id_++;
            by_name_[name] = e->id;
            exports_[e->id] = std::move(e);
        });
        if (taken) {
            throw error("netchan: a channel named '" + name + "' is already exported at " +
                        endpoint_);
        }
        if (registrar_) {
            directory_entry entry;
            entry.name = name;
            entry.type = raw->p->type();
            entry.direction = d;
            entry.endpoints = {advertised_endpoint(endpoint_)};
            registrar_->add(std::move(entry));
        }
        if (raw->d == dir::send) {
            const std::uint64_t id = raw->id;
            raw->watch.core = &raw->p->core();
            raw->watch.wake = [this, id] { loop_.dispatch([this, id] { service(id); }); };
            raw->p->core().observer(&raw->watch);
            loop_.dispatch([this, id] { service(id); }); // notice a channel closed before export
        } else {
            raw->delivery->start([this, raw](const std::exception& ex) {
                report({errc::bad_value, raw->name, "", ex.what()});
            });
        }
    }

    void hangup(const std::string& name) {
        std::unique_ptr<export_entry> e;
        loop_.call([&] {
            auto it = by_name_.find(name);
            if (it == by_name_.end()) {
                return;
            }
            e = std::move(exports_[it->second]);
            exports_.erase(it->second);
            by_name_.erase(it);
            hangup_links(*e);
        });
        if (!e) {
            throw error("netchan: no channel named '" + name + "' is exported at " + endpoint_);
        }
        if (registrar_) {
            registrar_->remove(name);
        }
        stop_pump(*e);
        // Kept until the exporter goes: a sender may still be inside the entry's observer
        // callback it loaded just before stop_pump() unregistered it.
        std::lock_guard lock(retired_mu_);
        retired_.push_back(std::move(e));
    }

    bool wait_acknowledged(std::chrono::milliseconds timeout, bool require_empty) {
        return loop_.wait_until(
            [&] {
                for (auto& [id, e] : exports_) {
                    if (e->d != dir::send) {
                        continue;
                    }
                    if (!e->pending.empty() || (require_empty && e->p->queued() != 0)) {
                        return false;
                    }
                    for (auto lid : e->links) {
                        const auto& l = links_.at(lid);
                        if (!l.out.all_acknowledged()) {
                            return false;
                        }
                    }
                }
                return true;
            },
            timeout);
    }

    bool wait_registered(std::chrono::milliseconds timeout) {
        return registrar_ && registrar_->sync(timeout);
    }

    // What `netchan stat` shows, refreshed with each renewal (on the registrar's thread).
    std::map<std::string, std::uint64_t> counters(const std::string& name) {
        try {
            const export_stats s = stats(name);
            return {{"sent", s.sent},
                    {"received", s.received},
                    {"acknowledged", s.acknowledged},
                    {"in_flight", s.in_flight},
                    {"importers", s.importers},
                    {"errors", s.errors},
                    {"redelivered", s.redelivered},
                    {"duplicates_dropped", s.duplicates_dropped},
                    {"peers_lost", s.peers_lost}};
        } catch (const error&) {
            return {}; // hung up meanwhile
        }
    }

    export_stats stats(const std::string& name) {
        std::optional<export_stats> s;
        loop_.call([&] {
            auto it = by_name_.find(name);
            if (it == by_name_.end()) {
                return;
            }
            auto& e = *exports_.at(it->second);
            export_stats r = e.stats;
            r.importers = e.links.size();
            r.in_flight = 0;
            for (auto lid : e.links) {
                const auto& l = links_.at(lid);
                r.in_flight += e.d == dir::send ? l.out.in_flight() : l.in.in_flight();
            }
            s = r;
        });
        if (!s) {
            throw error("netchan: no channel named '" + name + "' is exported at " + endpoint_);
        }
        return *s;
    }

    // -- local_exports (any thread) --

    std::shared_ptr<void> local_handle(const std::string& name, const std::type_info& type,
                                       dir d) override {
        std::shared_ptr<void> h;
        loop_.call([&] {
            auto it = by_name_.find(name);
            if (it == by_name_.end()) {
                return;
            }
            auto& e = *exports_.at(it->second);
            if (e.d == d && e.p->cpp_type() == type) {
                h = e.p->handle();
            }
        });
        return h;
    }

    // -- io_loop::handler (under the loop lock) --

    void on_message(std::vector<zmq::message_t>& parts) override {
        if (parts.size() != 2) {
            report({errc::bad_frame, "", "",
                    "message of " + std::to_string(parts.size()) +
                        " parts (expected 1 after the routing id)"});
            return;
        }
        const std::string peer(static_cast<const char*>(parts[0].data()), parts[0].size());
        wire::message m;
        try {
            m = wire::parse(bytes_of(parts[1]), options_.max_frame_bytes);
        } catch (const wire::frame_error& e) {
            report({e.code(), "", peer_name(peer), e.what()});
            send_to(peer, wire::encode(wire::error{0, e.code(), e.what()}));
            return;
        }
        heartbeat_.heard(peer, std::chrono::steady_clock::now());
        std::visit([&](auto& msg) { handle(peer, msg); }, m);
    }

    void on_failure(const std::string& what) noexcept override {
        try {
            report({errc::internal_error, "", "", what});
        } catch (...) {
            // Out of memory: io_loop::failures() still counts it.
        }
    }

    void on_tick() override {
        const auto now = std::chrono::steady_clock::now();
        for (auto& [lid, l] : links_) {
            if (l.exp->d == dir::recv) {
                ack(l); // a remainder below a quarter window
            }
        }
        heartbeat_.tick(now);
        for (auto& [id, e] : exports_) {
            if (e->d == dir::recv) {
                receiver_.credit_consumed(*e); // counts a busy loop has not got to yet
            }
        }
    }

private:
    static std::string peer_name(const std::string& peer) {
        static const char* hex = "0123456789abcdef";
        std::string s = "peer-";
        for (unsigned char c : peer) {
            s += hex[c >> 4];
            s += hex[c & 15];
        }
        return s;
    }

    // A full error stream (nobody reads errors()) drops the event: the loop must never wait
    // for the application. The counters in stats() still count what went wrong.
    void report(error_event ev) { (void)errors_.try_send(std::move(ev)); }

    void send_to(const std::string& peer, const std::vector<std::byte>& frame) override {
        const std::span<const std::byte> parts[] = {
            {reinterpret_cast<const std::byte*>(peer.data()), peer.size()}, frame};
        (void)loop_.send(parts);
    }

    export_link* find_link(const std::string& peer, std::uint64_t id, wire::kind k) {
        auto it = links_.find(id);
        if (it == links_.end() || it->second.peer != peer) {
            report({errc::unknown_link, "", peer_name(peer),
                    "frame of kind " + std::to_string(static_cast<int>(k)) + " for unknown link " +
                        std::to_string(id)});
            send_to(peer, wire::encode(wire::error{id, errc::unknown_link, "unknown link"}));
            return nullptr;
        }
        return &it->second;
    }

    void handle(const std::string& peer, wire::import_req& m) {
        auto refuse = [&](errc code, const std::string& why) {
            send_to(peer, wire::encode(wire::refused{m.req_id, code, why}));
        };
        auto it = by_name_.find(m.name);
        if (it == by_name_.end()) {
            return refuse(errc::unknown_channel,
                          "netchan: no channel named '" + m.name + "' is exported at " + endpoint_);
        }
        auto& e = *exports_.at(it->second);
        // An importer resuming asks again until answered, with one request id: a request
        // that arrives twice (queued while we were away) gets the same link.
        if (auto seen = by_request_.find({peer, m.req_id}); seen != by_request_.end()) {
            send_to(peer, wire::encode(wire::imported{m.req_id, seen->second}));
            return;
        }
        if (to_wire(e.d) != m.dir) {
            return refuse(errc::wrong_direction,
                          "netchan: channel '" + m.name + "' is exported for " + name_of(e.d) +
                              "ing; import it with dir::" + (e.d == dir::send ? "recv" : "send"));
        }
        if (e.p->type() != m.type) {
            return refuse(errc::type_mismatch, "netchan: channel '" + m.name + "' carries " +
                                                   e.p->type() + ", not " + m.type);
        }
        const std::uint64_t id = next_id_++;
        export_link& l = links_[id];
        l.id = id;
        l.peer = peer;
        l.req_id = m.req_id;
        by_request_[{peer, m.req_id}] = id;
        l.exp = &e;
        if (e.d == dir::send) {
            l.out = internal::send_window(m.credit, m.limit);
        } else {
            l.in = internal::receive_window(m.credit);
        }
        e.links.push_back(id);
        e.ever_connected = true;
        send_to(peer, wire::encode(wire::imported{m.req_id, id}));
        if (e.d == dir::send) {
            sender_.send(e);
        }
    }

    void handle(const std::string& peer, wire::data& m) {
        export_link* l = find_link(peer, m.link, wire::kind::data);
        if (l == nullptr) {
            return;
        }
        export_entry& e = *l->exp;
        if (e.d != dir::recv) {
            report({errc::bad_frame, e.name, peer_name(peer), "data frame on a send export"});
            return;
        }
        bool queued = false;
        for (std::size_t i = 0; i < m.values.size(); ++i) {
            const auto arrival = l->in.arrive(m.first_seq, i);
            if (arrival == internal::receive_window::arrival::duplicate) {
                ++e.stats.duplicates_dropped; // sent again after a reconnect
                continue;
            }
            if (arrival == internal::receive_window::arrival::beyond_credit) {
                ++e.stats.errors;
                report(
                    {errc::bad_frame, e.name, peer_name(peer),
                     "value " + std::to_string(m.first_seq + i) + " is beyond the credit given"});
                break;
            }
            if (arrival == internal::receive_window::arrival::gap) {
                break; // earlier values were lost on the way: the sender sends them again
            }
            ++e.stats.received;
            try {
                // Decoded first, then announced: the pump only takes announced values.
                e.p->decode_one(m.values[i]);
                e.delivery->decoded(l->id);
                ++l->good_received;
                queued = true;
            } catch (const decode_error& ex) {
                ++e.stats.errors;
                l->in.bad_value(l->good_received);
                l->in.consume(l->good_consumed);
                report({errc::bad_value, e.name, peer_name(peer), ex.what()});
            }
        }
        if (queued) {
            e.delivery->hand_over();
        }
        receiver_.send_acks(e);
    }

    void handle(const std::string& peer, wire::ack& m) {
        export_link* l = find_link(peer, m.link, wire::kind::ack);
        if (l == nullptr) {
            return;
        }
        export_entry& e = *l->exp;
        e.stats.acknowledged += l->out.on_ack(m);
        sender_.send(e);
    }

    void handle(const std::string& peer, wire::close& m) {
        export_link* l = find_link(peer, m.link, wire::kind::close);
        if (l == nullptr) {
            return;
        }
        l->in.on_close(m);
        receiver_.ack(*l); // the importer may be draining
        receiver_.check_sink_done(*l->exp);
    }

    // Idempotent: an importer that already hung up a link hangs it up again when our HEARTBEAT
    // (sent before its HANGUP arrived) still lists it. Not an error, so not reported.
    void handle(const std::string& peer, wire::hangup& m) {
        if (auto it = links_.find(m.link); it != links_.end() && it->second.peer == peer) {
            drop_link(it->second);
        }
    }

    void handle(const std::string& peer, wire::heartbeat& m) { heartbeat_.on_heartbeat(peer, m); }

    void handle(const std::string& peer, wire::error& m) {
        std::string channel;
        if (auto it = links_.find(m.link); it != links_.end()) {
            channel = it->second.exp->name;
        }
        report({m.code, channel, peer_name(peer), "peer reports: " + m.message});
    }

    template <class M>
    void handle(const std::string& peer, M&) {
        report({errc::bad_frame, "", peer_name(peer), "unexpected frame for an exporter"});
    }

    // -- export_heartbeat::owner --

    // An importer went silent: its link ends, and what it held goes to the others.
    void lose(export_link& l) override {
        ++l.exp->stats.peers_lost;
        report({errc::peer_lost, l.exp->name, peer_name(l.peer),
                "importer " + peer_name(l.peer) + " of '" + l.exp->name + "' is lost: silent for " +
                    std::to_string(options_.peer_timeout.count()) + " ms"});
        drop_link(l);
    }

    // Removes a link; what it had not acknowledged is sent again to the others.
    void drop_link(export_link& l) {
        export_entry& e = *l.exp;
        if (wire::value_batch again = l.out.take_unacknowledged(); !again.empty()) {
            e.stats.redelivered += again.size();
            e.pending.move_tail(0, again);
            e.pending = std::move(again);
        }
        std::erase(e.links, l.id);
        const std::uint64_t id = l.id;
        by_request_.erase({l.peer, l.req_id});
        links_.erase(id);
        if (e.d == dir::send) {
            sender_.send(e);
        } else {
            receiver_.check_sink_done(e);
        }
    }

    void hangup_links(export_entry& e) {
        for (auto lid : e.links) {
            auto& l = links_.at(lid);
            send_to(l.peer, wire::encode(wire::hangup{lid}));
            by_request_.erase({l.peer, l.req_id});
            links_.erase(lid);
        }
        e.links.clear();
    }

    void service(std::uint64_t id) {
        if (auto it = exports_.find(id); it != exports_.end()) {
            sender_.send(*it->second);
        }
    }

    void ack(export_link& l) override { receiver_.ack(l); }

    static void stop_pump(export_entry& e) {
        e.p->core().observer(nullptr);
        if (e.delivery) {
            e.delivery->stop();
        }
    }

    exporter_options options_;
    chan<error_event> errors_;
    std::string endpoint_;
    io_loop loop_; // declared after what its handlers use: it stops first
    std::optional<directory_registrar> registrar_; // with options_.directories
    // Under the loop lock only:
    std::uint64_t next_id_ = random_first_id();
    std::map<std::uint64_t, std::unique_ptr<export_entry>> exports_;
    std::map<std::string, std::uint64_t> by_name_;
    std::map<std::uint64_t, export_link> links_;
    internal::export_sender sender_{*this, links_};
    internal::export_receiver receiver_{*this, links_};
    internal::export_heartbeat heartbeat_{*this, links_, options_};
    std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> by_request_; // -> link id
    std::mutex retired_mu_;
    std::vector<std::unique_ptr<export_entry>> retired_; // guarded by retired_mu_
};

} // namespace netchan::detail

namespace netchan {

exporter::exporter(const std::string& endpoint, exporter_options options)
    : impl_(std::make_unique<detail::exporter_impl>(endpoint, options)) {
}

exporter::~exporter() = default;

const std::string& exporter::endpoint() const noexcept {
    return impl_->endpoint();
}

void exporter::add(const std::string& name, std::unique_ptr<detail::port> p, dir d,
                   export_options o) {
    impl_->add(name, std::move(p), d, o);
}

void exporter::hangup(const std::string& name) {
    impl_->hangup(name);
}

bool exporter::drain(std::chrono::milliseconds timeout) {
    return impl_->wait_acknowledged(timeout, true);
}

bool exporter::wait_registered(std::chrono::milliseconds timeout) {
    return impl_->wait_registered(timeout);
}

bool exporter::sync(std::chrono::milliseconds timeout) {
    return impl_->wait_acknowledged(timeout, false);
}

export_stats exporter::stats(const std::string& name) const {
    return impl_->stats(name);
}

chan<error_event> exporter::errors() const {
    return impl_->errors();
}

} // namespace netchan
