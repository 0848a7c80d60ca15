#include "import_sender.hpp"

#include "send_source.hpp"

#include <algorithm>

namespace netchan::internal {

// Send side: send what is pending within the exporter's credit; close when done.
void import_sender::flush(import_link& l) {
    const std::size_t k =
        static_cast<std::size_t>(std::min<std::uint64_t>(l.out.free_credit(), l.pending.size()));
    if (k > 0) {
        owner_.send(l.out.send(l.id, l.pending, k));
        l.stats.sent += k;
    }
    if (l.source_done && l.pending.empty() && !l.out.close_sent() && may_close(l)) {
        owner_.send(wire::encode(l.out.close(l.id)));
    }
    take_more(l);
}

// Send side of a group: a link closes its stream only once every link has all it sent
// acknowledged, as a lost one gives back what was not, for the others to send.
bool import_sender::may_close(import_link& l) {
    if (l.group == nullptr) {
        return true;
    }
    const bool settled = l.out.all_acknowledged();
    if (settled != l.settled) {
        l.settled = settled;
        l.group->settle(l, settled);
    }
    return settled && l.group->quiet();
}

// Send side: takes values from the channel while the exporter has room for them; arms the
// watch when the channel is empty (arm, then look again: a value offered in between is seen).
void import_sender::take_more(import_link& l) {
    if (l.source_done && l.group == nullptr) {
        return;
    }
    const std::size_t room = send_source::room(l.out.free_credit(), l.pending.size());
    if (room == 0) {
        return; // the exporter's next ack calls again
    }
    // Values a lost link of the group gave back go first, also after the channel drained.
    const std::size_t back = l.group != nullptr ? l.group->take_back(l.pending, room) : 0;
    if (l.source_done) {
        if (back != 0) {
            flush(l);
        }
        return;
    }
    const auto t = send_source::take(*l.p, l.pending, room, back, [&](bool on) {
        if (l.group == nullptr) {
            l.armed.store(on);
        } else if (on) {
            l.group->armed(l);
        } else {
            l.group->disarm(l);
        }
    });
    if (t.count == 0 && !t.drained) {
        return;
    }
    if (t.drained) {
        l.source_done = true;
    }
    flush(l);
}

} // namespace netchan::internal
