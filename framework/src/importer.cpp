#include "netchan/importer.hpp"

#include "netchan/internal/io_loop.hpp"
#include "netchan/internal/receive_window.hpp"
#include "netchan/internal/send_window.hpp"

#include "internal/directory_importer.hpp"
#include "internal/import_connection.hpp"
#include "internal/import_group.hpp"
#include "internal/import_heartbeat.hpp"
#include "internal/import_link.hpp"
#include "internal/import_receiver.hpp"
#include "internal/import_resume.hpp"
#include "internal/import_sender.hpp"
#include "internal/registry.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace netchan::detail {

using internal::io_loop;

namespace {

std::span<const std::byte> bytes_of(const zmq::message_t& m) {
    return {static_cast<const std::byte*>(m.data()), m.size()};
}

} // namespace

using internal::import_link;

class importer_impl final : public io_loop::handler,
                            public internal::import_connection,
                            public internal::import_link::owner,
                            public internal::import_resume::owner {
public:
    importer_impl(const std::string& endpoint, importer_options options, chan<error_event> errors)
        : options_(options), endpoint_(endpoint), errors_(std::move(errors)) {
        auto sock = make_socket(internal::context(), zmq::socket_type::dealer);
        // Our own routing id, so that the exporter knows us again after a reconnect.
        std::random_device rd;
        std::string id = "nc-";
        for (int i = 0; i < 4; ++i) {
            id += std::to_string(rd());
        }
        sock.set(zmq::sockopt::routing_id, zmq::buffer(id));
        sock.set(zmq::sockopt::sndhwm, 0);
        sock.set(zmq::sockopt::rcvhwm, 0);
        connect(sock, endpoint);
        loop_.start(std::move(sock), *this, std::chrono::milliseconds(100), "netchan-import");
    }

    ~importer_impl() override { shut(); }

    // Hangs up every import, closes their channels and stops the loop; the links stay
    // allocated until this connection is destroyed (a group may still name them). Idempotent.
    void shut() override {
        if (shut_) {
            return;
        }
        shut_ = true;
        loop_.call([&] {
            for (auto& [id, l] : links_) {
                if (!l->ended && !l->resuming) {
                    send(wire::encode(wire::hangup{id}));
                }
                retired_.push_back(std::move(l));
            }
            links_.clear();
        });
        for (auto& l : retired_) {
            l->p->core().observer(nullptr);
            l->p->close(); // nobody feeds or drains it any more: do not leave users blocked
        }
        loop_.stop();
    }

    const std::string& endpoint() const noexcept { return endpoint_; }
    chan<error_event> errors() const { return errors_; }
    // -- import_link::owner (any thread) --

    // Links are never freed before the loop stops, so posted work may hold them (their ids
    // change when they resume).
    void dispatch_service(import_link& l) override {
        loop_.dispatch([this, &l] { service(l); });
    }
    value_source* enter() noexcept override { return loop_.enter(); }

    std::shared_ptr<void> find_local(const std::string& name, const std::type_info& type, dir d) {
        if (!options_.local_fast_path) {
            return nullptr;
        }
        return internal::find_local(endpoint_, name, type, d == dir::recv ? dir::send : dir::recv);
    }

    // Imports `name` through the port `p`; with `group`, as one of the group's links. Throws
    // error when the exporter refuses or does not answer in time.
    void add(const std::string& name, std::unique_ptr<port> p, dir d, std::size_t credit,
             std::size_t limit, internal::import_group* group = nullptr) {
        auto l = std::make_unique<import_link>();
        l->group = group;
        l->name = name;
        l->d = d;
        l->credit = std::max<std::size_t>(credit, 1);
        l->limit = limit;
        if (d == dir::recv) {
            l->in = internal::receive_window(l->credit);
        } else {
            l->out = internal::send_window(l->credit);
        }
        l->p = std::move(p);
        l->importer = this;
        const wire::import_req req{0,
                                   name,
                                   l->p->type(),
                                   d == dir::recv ? wire::direction::send : wire::direction::recv,
                                   l->credit,
                                   limit};
        auto answer = std::make_shared<std::promise<wire::message>>();
        auto fut = answer->get_future();
        std::uint64_t req_id = 0;
        loop_.call([&] {
            req_id = next_req_++;
            waiting_[req_id] = {std::move(l), answer};
            auto r = req;
            r.req_id = req_id;
            send(wire::encode(r));
        });
        if (fut.wait_for(options_.import_timeout) != std::future_status::ready) {
            loop_.call([&] { waiting_.erase(req_id); });
            throw error("netchan: importing '" + name + "' from " + endpoint_ +
                        ": no answer from the exporter within " +
                        std::to_string(options_.import_timeout.count()) + " ms");
        }
        const wire::message m = fut.get();
        if (const auto* r = std::get_if<wire::refused>(&m)) {
            throw error(r->message);
        }
        // Imported: the loop already owns the link and moves values between the wire and the
        // channel itself, in both directions.
    }

    void hangup(const std::string& name) {
        bool found = false;
        loop_.call([&] {
            for (auto& [id, l] : links_) {
                if (l->name == name && !l->ended) {
                    found = true;
                    if (!l->resuming) {
                        send(wire::encode(wire::hangup{id}));
                    }
                    end_link(*l);
                    return;
                }
            }
        });
        if (!found) {
            throw error("netchan: nothing named '" + name + "' is imported from " + endpoint_);
        }
    }

    void add_link(internal::import_group& g, std::uint64_t limit) override {
        add(g.name(), g.new_port(), g.direction(), g.credit(), limit, &g);
    }

    // Ends every link of `g` (its channel is closed already).
    void hangup(const internal::import_group& g) override {
        loop_.call([&] {
            for (auto& [id, l] : links_) {
                if (l->group == &g && !l->ended) {
                    if (!l->resuming) {
                        send(wire::encode(wire::hangup{id}));
                    }
                    end_link(*l);
                }
            }
        });
    }

    // Adds the counters of every link of `g` to `sum`; returns whether there was one.
    bool add_stats(const internal::import_group& g, import_stats& sum) override {
        bool any = false;
        loop_.call([&] {
            for (auto& [id, l] : links_) {
                if (l->group == &g) {
                    any = true;
                    const import_stats& s = l->stats;
                    sum.sent += s.sent;
                    sum.received += s.received;
                    sum.acknowledged += s.acknowledged;
                    sum.in_flight += l->ended ? 0 : in_flight(*l);
                    sum.errors += s.errors;
                    sum.redelivered += s.redelivered;
                    sum.duplicates_dropped += s.duplicates_dropped;
                    sum.peers_lost += s.peers_lost;
                    sum.resumed += s.resumed;
                }
            }
        });
        return any;
    }

    bool drain(std::chrono::milliseconds timeout) override {
        // A heartbeat now: the exporter answers it with what it has not acknowledged yet.
        loop_.call([&] { heartbeat_.beat_now(std::chrono::steady_clock::now()); });
        return loop_.wait_until(
            [&] {
                for (auto& [id, l] : links_) {
                    if (l->d == dir::send && !l->ended &&
                        (!l->pending.empty() || l->p->queued() != 0 ||
                         !l->out.all_acknowledged())) {
                        return false;
                    }
                }
                return true;
            },
            timeout);
    }

    import_stats stats(const std::string& name) {
        std::optional<import_stats> s;
        loop_.call([&] {
            for (auto& [id, l] : links_) {
                if (l->name == name) {
                    import_stats r = l->stats;
                    r.in_flight = in_flight(*l);
                    s = r;
                }
            }
        });
        if (!s) {
            throw error("netchan: nothing named '" + name + "' is imported from " + endpoint_);
        }
        return *s;
    }

    // -- io_loop::handler --

    void on_message(std::vector<zmq::message_t>& parts) override {
        if (parts.size() != 1) {
            report({errc::bad_frame, "", endpoint_,
                    "message of " + std::to_string(parts.size()) + " parts"});
            return;
        }
        wire::message m;
        try {
            m = wire::parse(bytes_of(parts[0]), options_.max_frame_bytes);
        } catch (const wire::frame_error& e) {
            report({e.code(), "", endpoint_, e.what()});
            return;
        }
        heartbeat_.heard(std::chrono::steady_clock::now());
        std::visit([&](auto& msg) { handle(msg); }, m);
    }

    void on_failure(const std::string& what) noexcept override {
        try {
            report({errc::internal_error, "", endpoint_, what});
        } catch (...) {
            // Out of memory: io_loop::failures() still counts it.
        }
    }

    void on_tick() override {
        for (auto& [id, l] : links_) {
            if (l->ended || l->d != dir::recv) {
                continue;
            }
            receiver_.deliver(*l);
            if (!l->resuming) {
                receiver_.maybe_close_local(*l);
                // Small remainders of consumption are acknowledged here.
                if (l->group != nullptr) {
                    l->group->count_now();
                }
                ack_consumed(*l, l->consumed_seen.load());
            }
        }
        heartbeat_.tick(std::chrono::steady_clock::now());
    }

    // A value was offered on a send import's channel.
    void service(import_link& l) {
        if (!l.ended && !l.resuming && l.d == dir::send) {
            flush(l);
        }
    }

    // Consumption reported by a receiving application thread (via the observer).
    void dispatch_ack(import_link& l, std::uint64_t consumed) override {
        loop_.dispatch([this, &l, consumed] {
            if (l.ended) {
                return;
            }
            receiver_.deliver(l); // room was made: values held back by a full channel can go in
            if (!l.resuming) {
                ack_consumed(l, consumed);
            }
        });
    }

    // -- import_resume::owner (under the loop lock) --

    void report(error_event ev) override { (void)errors_.try_send(std::move(ev)); }

    void send(const std::vector<std::byte>& frame) override {
        const std::span<const std::byte> parts[] = {frame};
        (void)loop_.send(parts);
    }

private:
    static std::uint64_t in_flight(const import_link& l) {
        return l.d == dir::send ? l.out.in_flight() : l.in.expected() - l.in.ack_sent();
    }

    import_link* live(std::uint64_t id) {
        auto it = links_.find(id);
        return it == links_.end() || it->second->ended || it->second->resuming ? nullptr
                                                                               : it->second.get();
    }

    void ack_consumed(import_link& l, std::uint64_t consumed) override {
        receiver_.ack_consumed(l, consumed);
    }

    void answer(std::uint64_t req_id, const wire::message& m, std::uint64_t link_id) {
        if (resume_.answered(req_id, m, link_id)) {
            return;
        }
        auto it = waiting_.find(req_id);
        if (it == waiting_.end()) {
            if (link_id != 0) { // answered after the caller gave up: undo the import
                send(wire::encode(wire::hangup{link_id}));
            }
            return;
        }
        auto [link, promise] = std::move(it->second);
        waiting_.erase(it);
        if (link_id != 0) {
            link->id = link_id;
            if (link->group != nullptr) {
                link->group->join(*link, endpoint_);
            } else {
                link->p->core().observer(link.get());
            }
            import_link& l = *link;
            links_[link_id] = std::move(link);
            if (l.d == dir::send) {
                flush(l); // values sent before the answer came are waiting
            }
        }
        promise->set_value(m);
    }

    void handle(wire::imported& m) { answer(m.req_id, m, m.link); }
    void handle(wire::refused& m) { answer(m.req_id, m, 0); }

    void handle(wire::data& m) {
        import_link* l = live(m.link);
        if (l == nullptr || l->d != dir::recv) {
            return; // after a hangup: values of a link we ended
        }
        std::uint64_t queued = 0;
        for (std::size_t i = 0; i < m.values.size(); ++i) {
            const auto arrival = l->in.arrive(m.first_seq, i);
            if (arrival == internal::receive_window::arrival::duplicate) {
                ++l->stats.duplicates_dropped; // sent again after a reconnect
                continue;
            }
            if (arrival == internal::receive_window::arrival::gap) {
                break; // earlier values were lost on the way: the exporter sends them again
            }
            if (arrival == internal::receive_window::arrival::beyond_credit) {
                ++l->stats.errors;
                report({errc::bad_frame, l->name, endpoint_,
                        "the exporter sent value " + std::to_string(m.first_seq + i) +
                            " beyond our credit"});
                break;
            }
            ++l->stats.received;
            try {
                l->p->decode_one(m.values[i]);
                ++queued;
            } catch (const decode_error& ex) {
                // Counted as consumed, so that credit keeps flowing (internal::bad_values).
                ++l->stats.errors;
                if (l->group != nullptr) {
                    l->delivered.fetch_add(1);
                    l->group->skip(*l, 1);
                } else {
                    l->in.bad_value(l->delivered.load() + l->p->decoded());
                }
                report({errc::bad_value, l->name, endpoint_, ex.what()});
            }
        }
        if (queued != 0) {
            receiver_.deliver(*l);
        }
        if (queued != m.values.size()) { // report bad values consumed now, or credit stalls
            if (l->group != nullptr) {
                l->on_recv_request();
            } else {
                ack_consumed(*l, l->consumed_seen.load());
            }
        }
        receiver_.maybe_close_local(*l);
    }

    void handle(wire::ack& m) {
        import_link* l = live(m.link);
        if (l == nullptr || l->d != dir::send) {
            return;
        }
        l->stats.acknowledged += l->out.on_ack(m);
        flush(*l);
    }

    void handle(wire::close& m) {
        import_link* l = live(m.link);
        if (l == nullptr) {
            return;
        }
        l->in.on_close(m);
        receiver_.maybe_close_local(*l);
    }

    void handle(wire::hangup& m) {
        import_link* l = live(m.link);
        if (l == nullptr) {
            return;
        }
        if (!l->closed_local) { // after a complete stream, a hang-up is just the goodbye
            report({errc::peer_lost, l->name, endpoint_, "the exporter hung up '" + l->name + "'"});
        }
        end_link(*l);
    }

    void handle(wire::heartbeat& m) { heartbeat_.on_heartbeat(m); }

    void handle(wire::error& m) {
        if (m.code == errc::unknown_link) {
            if (auto it = links_.find(m.link); it != links_.end()) {
                if (!it->second->ended && !it->second->resuming) {
                    resume_.lose(*it->second, "the exporter at " + endpoint_ +
                                                  " no longer knows '" + it->second->name +
                                                  "' (it restarted, or gave this importer up)");
                }
                return; // ended or resuming already: a late answer
            }
        }
        std::string channel;
        if (auto it = links_.find(m.link); it != links_.end()) {
            channel = it->second->name;
        }
        report({m.code, channel, endpoint_, "exporter reports: " + m.message});
    }

    template <class M>
    void handle(M&) {
        report({errc::bad_frame, "", endpoint_, "unexpected frame for an importer"});
    }

    // `finished`: a link of a group counts as a completed stream (the group closes its channel
    // when no other link is left).
    void end_link(import_link& l, bool finished = false) override {
        l.ended = true;
        if (l.group != nullptr) {
            if (l.d == dir::send) { // what the exporter did not acknowledge goes to another
                wire::value_batch again = l.out.take_unacknowledged();
                l.stats.redelivered += again.size();
                l.pending.move_tail(0, again);
                l.group->give_back(std::move(again));
            }
            l.group->leave(l, finished);
            return;
        }
        l.p->core().observer(nullptr);
        l.p->close();
    }

    void flush(import_link& l) override { sender_.flush(l); }

    importer_options options_;
    std::string endpoint_;
    chan<error_event> errors_;
    io_loop loop_;
    // Under the loop lock only:
    std::uint64_t next_req_ = 1;
    std::map<std::uint64_t,
             std::pair<std::unique_ptr<import_link>, std::shared_ptr<std::promise<wire::message>>>>
        waiting_;
    std::map<std::uint64_t, std::unique_ptr<import_link>> links_;
    internal::import_receiver receiver_{*this};
    internal::import_sender sender_{*this};
    internal::import_resume resume_{*this, links_, next_req_, endpoint_,
                                    options_.close_when_exporter_lost};
    internal::import_heartbeat heartbeat_{*this, links_, resume_, endpoint_, options_};
    bool shut_ = false;                                 // caller's thread (shut, destructor)
    std::vector<std::unique_ptr<import_link>> retired_; // after shut()
};

} // namespace netchan::detail

namespace netchan {

namespace internal {

std::unique_ptr<import_connection> connect_exporter(const std::string& endpoint,
                                                    const importer_options& options,
                                                    chan<error_event> errors) {
    return std::make_unique<detail::importer_impl>(endpoint, options, std::move(errors));
}

} // namespace internal

importer::importer(const std::string& endpoint, importer_options options)
    : impl_(std::make_unique<detail::importer_impl>(endpoint, options,
                                                    chan<error_event>(options.errors_capacity))) {
}

importer::importer(const directories& where, importer_options options)
    : named_(std::make_unique<detail::directory_importer>(where.endpoints, options)) {
}

importer::~importer() = default;

std::shared_ptr<void> importer::find_local(const std::string& name, const std::type_info& type,
                                           dir d) {
    return named_ ? named_->find_local(name, type, d) : impl_->find_local(name, type, d);
}

void importer::add(const std::string& name, const port_factory& make_port, dir d,
                   std::size_t credit, std::size_t limit) {
    if (named_) {
        named_->add(name, make_port, d, credit, limit);
    } else {
        impl_->add(name, make_port(), d, credit, limit);
    }
}

void importer::hangup(const std::string& name) {
    named_ ? named_->hangup(name) : impl_->hangup(name);
}

bool importer::drain(std::chrono::milliseconds timeout) {
    return named_ ? named_->drain(timeout) : impl_->drain(timeout);
}

import_stats importer::stats(const std::string& name) const {
    return named_ ? named_->stats(name) : impl_->stats(name);
}

chan<error_event> importer::errors() const {
    return named_ ? named_->errors() : impl_->errors();
}

const std::string& importer::endpoint() const noexcept {
    return named_ ? named_->endpoint() : impl_->endpoint();
}

} // namespace netchan
