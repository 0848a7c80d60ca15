#include "import_heartbeat.hpp"

namespace netchan::internal {

import_heartbeat::import_heartbeat(import_wire& o, import_resume::link_table& links,
                                   import_resume& resume, const std::string& endpoint,
                                   const importer_options& options)
    : owner_(o), links_(links), resume_(resume), endpoint_(endpoint),
      peer_timeout_(options.peer_timeout),
      liveness_(options.heartbeat_interval, options.peer_timeout) {
    liveness_.heard(exporter_, std::chrono::steady_clock::now());
}

void import_heartbeat::tick(std::chrono::steady_clock::time_point now) {
    bool any = false;
    wire::heartbeat beat;
    for (auto& [id, l] : links_) {
        if (!l->ended) {
            any = true;
            if (!l->resuming) {
                beat.links.push_back(id);
                beat.received.push_back(l->d == dir::recv ? l->in.expected() : 0);
            }
        }
    }
    if (!any) {
        liveness_.heard(exporter_, now); // nothing to watch: the clock starts with the next import
        return;
    }
    if (liveness_.beat_due(now)) {
        owner_.send(wire::encode(beat));
        for (auto& [id, l] : links_) {
            if (l->resuming && !l->ended) {
                resume_.request(*l);
            } else if (!l->ended) {
                // Again: a broken connection may have lost them, and the exporter would
                // wait for credit, or for the end, forever.
                if (l->d == dir::recv) {
                    if (auto a = l->in.repeat_ack(id)) {
                        owner_.send(wire::encode(*a));
                    }
                } else if (auto c = l->out.repeat_close(id)) {
                    owner_.send(wire::encode(*c));
                }
            }
        }
    }
    if (!liveness_.lost(now).empty()) {
        for (auto& [id, l] : links_) {
            if (!l->ended && !l->resuming) {
                resume_.lose(*l, "the exporter at " + endpoint_ + " is lost: silent for " +
                                     std::to_string(peer_timeout_.count()) + " ms");
            }
        }
    }
}

void import_heartbeat::on_heartbeat(const wire::heartbeat& m) {
    for (std::size_t i = 0; i < m.links.size(); ++i) {
        const auto id = m.links[i];
        auto it = links_.find(id);
        if (it == links_.end()) {
            owner_.send(wire::encode(wire::hangup{id}));
            continue;
        }
        import_link& l = *it->second;
        if (!l.ended && !l.resuming && l.d == dir::send) {
            l.stats.redelivered += l.out.resend_lost(
                id, m.received[i], std::chrono::steady_clock::now(), liveness_.min_resend_gap(),
                [&](const std::vector<std::byte>& frame) { owner_.send(frame); });
        }
    }
}

} // namespace netchan::internal
