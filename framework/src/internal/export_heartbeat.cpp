#include "export_heartbeat.hpp"

namespace netchan::internal {

void export_heartbeat::tick(std::chrono::steady_clock::time_point now) {
    if (liveness_.beat_due(now)) {
        std::map<std::string, wire::heartbeat> beats;
        for (const auto& [lid, l] : links_) {
            auto& beat = beats[l.peer];
            beat.links.push_back(lid);
            beat.received.push_back(l.exp->d == dir::recv ? l.in.expected() : 0);
        }
        for (const auto& [peer, beat] : beats) {
            owner_.send_to(peer, wire::encode(beat));
        }
        for (const auto& [lid, l] : links_) {
            // Again: a broken connection may have lost them, and the importer would wait
            // for credit, or for the end, forever.
            if (l.exp->d == dir::recv) {
                if (auto a = l.in.repeat_ack(lid)) {
                    owner_.send_to(l.peer, wire::encode(*a));
                }
            } else if (auto c = l.out.repeat_close(lid)) {
                owner_.send_to(l.peer, wire::encode(*c));
            }
        }
    }
    for (const auto& peer : liveness_.lost(now)) {
        lose_peer(peer);
    }
}

void export_heartbeat::on_heartbeat(const std::string& peer, const wire::heartbeat& m) {
    for (std::size_t i = 0; i < m.links.size(); ++i) {
        const auto id = m.links[i];
        auto it = links_.find(id);
        if (it == links_.end() || it->second.peer != peer) {
            owner_.send_to(peer, wire::encode(wire::error{id, errc::unknown_link, "unknown link"}));
            continue;
        }
        export_link& l = it->second;
        if (l.exp->d == dir::recv) {
            owner_.ack(l); // the remainder, for an importer draining (or to say we are here)
        } else {
            l.exp->stats.redelivered += l.out.resend_lost(
                id, m.received[i], std::chrono::steady_clock::now(), liveness_.min_resend_gap(),
                [&](const std::vector<std::byte>& frame) { owner_.send_to(peer, frame); });
        }
    }
}

// An importer went silent: every link to it ends, and what it held goes to the others.
void export_heartbeat::lose_peer(const std::string& peer) {
    std::vector<std::uint64_t> ids;
    for (const auto& [lid, l] : links_) {
        if (l.peer == peer) {
            ids.push_back(lid);
        }
    }
    for (auto lid : ids) {
        owner_.lose(links_.at(lid));
    }
}

} // namespace netchan::internal
