#include "import_resume.hpp"

namespace netchan::internal {

void import_resume::lose(import_link& l, const std::string& why) {
    ++l.stats.peers_lost;
    owner_.report({errc::peer_lost, l.name, endpoint_, why});
    if (l.group != nullptr) {
        // Imported by name: the importer finds the exporters again through the directory.
        owner_.send(wire::encode(wire::hangup{l.id})); // in case it was only a network cut
        // import_n (a limit) stays with its one exporter: its channel closes.
        owner_.end_link(l, close_when_exporter_lost_ || l.limit != 0);
        return;
    }
    if (close_when_exporter_lost_ || (l.limit != 0 && l.stats.received >= l.limit)) {
        owner_.end_link(l, false);
        return;
    }
    l.resuming = true;
    l.refusal_reported = false;
    reqs_.erase(l.resume_req);
    l.resume_req = next_req_++;
    reqs_[l.resume_req] = l.id;
    request(l);
}

void import_resume::request(import_link& l) {
    const std::uint64_t req_id = l.resume_req;
    const std::uint64_t limit = l.limit != 0 ? l.limit - l.stats.received : 0;
    owner_.send(wire::encode(wire::import_req{
        req_id, l.name, l.p->type(),
        l.d == dir::recv ? wire::direction::send : wire::direction::recv, l.credit, limit}));
}

bool import_resume::answered(std::uint64_t req_id, const wire::message& m, std::uint64_t link_id) {
    auto r = reqs_.find(req_id);
    if (r == reqs_.end()) {
        return false;
    }
    resumed(r->second, m, link_id);
    return true;
}

// The link starts again under its new id, from sequence 0.
void import_resume::resumed(std::uint64_t old_id, const wire::message& m, std::uint64_t new_id) {
    auto it = links_.find(old_id);
    if (it == links_.end() || it->second->ended || !it->second->resuming) {
        if (new_id != 0 && new_id != old_id) { // after a hangup: undo the import
            owner_.send(wire::encode(wire::hangup{new_id}));
        }
        return; // or answered again: resumed already
    }
    import_link& l = *it->second;
    if (new_id == 0) {
        const auto& r = std::get<wire::refused>(m);
        if (!l.refusal_reported) { // the exporter may export it soon: keep asking
            l.refusal_reported = true;
            owner_.report({r.code, l.name, endpoint_, "while resuming: " + r.message});
        }
        return;
    }
    auto node = links_.extract(it);
    node.key() = new_id;
    links_.insert(std::move(node));
    l.id = new_id;
    reqs_[l.resume_req] = new_id;
    l.resuming = false;
    ++l.stats.resumed;
    if (l.d == dir::recv) {
        l.in.restart(l.stats.received);
        owner_.ack_consumed(l, l.consumed_seen.load());
    } else {
        // What the lost exporter had not acknowledged goes first, again.
        wire::value_batch again = l.out.take_unacknowledged();
        l.stats.redelivered += again.size();
        l.pending.move_tail(0, again);
        l.pending = std::move(again);
        l.out = send_window(l.credit);
        owner_.flush(l);
    }
}

} // namespace netchan::internal
