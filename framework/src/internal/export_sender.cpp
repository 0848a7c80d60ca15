#include "export_sender.hpp"

#include "send_source.hpp"

#include <algorithm>

namespace netchan::internal {

void export_sender::send(export_entry& e) {
    while (!e.pending.empty()) {
        export_link* best = nullptr;
        std::uint64_t best_free = 0;
        const std::size_t n = e.links.size();
        for (std::size_t i = 0; i < n; ++i) {
            auto& l = links_.at(e.links[(e.rotate + i) % n]);
            const auto f = l.out.close_sent() ? 0 : l.out.free_credit();
            if (f > best_free) {
                best = &l;
                best_free = f;
            }
        }
        if (best == nullptr) {
            break;
        }
        ++e.rotate;
        const std::size_t k = static_cast<std::size_t>(
            std::min<std::uint64_t>({best_free, e.pending.size(), send_source::max_batch}));
        owner_.send_to(best->peer, best->out.send(best->id, e.pending, k));
        e.stats.sent += k;
        if (best->out.limit_reached()) {
            send_close(*best);
        }
    }
    // Close only once everything is acknowledged: until then a lost importer's values
    // may have to go to the others, which must still be open for them.
    if (e.source_done && e.pending.empty() && all_acknowledged(e)) {
        for (auto lid : e.links) {
            auto& l = links_.at(lid);
            if (!l.out.close_sent()) {
                send_close(l);
            }
        }
    }
    take_more(e);
}

bool export_sender::all_acknowledged(const export_entry& e) const {
    return std::all_of(e.links.begin(), e.links.end(),
                       [&](std::uint64_t lid) { return links_.at(lid).out.all_acknowledged(); });
}

// Takes values from a send export's channel while importers have room for them, then sends
// them; arms the watch when the channel is empty.
void export_sender::take_more(export_entry& e) {
    if (e.d != dir::send || e.source_done) {
        return;
    }
    std::uint64_t free = 0;
    for (auto lid : e.links) {
        const auto& l = links_.at(lid);
        free = saturating_add(free, l.out.close_sent() ? 0 : l.out.free_credit());
    }
    const std::size_t room = send_source::room(free, e.pending.size());
    if (room == 0) {
        return; // no importer could take more now; an ack or a new importer calls again
    }
    const auto t = send_source::take(*e.p, e.pending, room, 0, [&](bool on) {
        e.p->core().want(detail::chan_observer::values_offered, on);
    });
    if (t.count == 0 && !t.drained) {
        return; // the next value offered calls service()
    }
    if (t.drained) {
        e.source_done = true;
    }
    send(e); // sends what was taken, and comes back here while there is room
}

void export_sender::send_close(export_link& l) {
    owner_.send_to(l.peer, wire::encode(l.out.close(l.id)));
}

} // namespace netchan::internal
