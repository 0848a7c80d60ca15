#pragma once

#include "netchan/wire.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>

namespace netchan::internal {

/// Values sent on a link and not yet acknowledged, kept to send again if the link is lost.
struct sent_values {
    std::uint64_t first_seq = 0;
    wire::value_batch values;
};

/// Applies an ACK to the sending side of a link (exporter or importer: any `L` with next_seq,
/// acked, window and in_flight): advances `acked`, takes the receiver's window, and releases
/// retained values. Returns how many values this ACK newly acknowledged.
template <class L>
std::uint64_t apply_ack(L& l, const wire::ack& m) {
    const std::uint64_t next = std::min(m.next, l.next_seq); // never beyond what was sent
    const std::uint64_t newly = next > l.acked ? next - l.acked : 0;
    l.acked += newly;
    l.window = std::max<std::uint64_t>(m.credit, 1);
    while (!l.in_flight.empty() &&
           l.in_flight.front().first_seq + l.in_flight.front().values.size() <= l.acked) {
        l.in_flight.pop_front();
    }
    return newly;
}

/// Takes every value of `l.in_flight` (as for apply_ack) not yet acknowledged, in order, to
/// send again on another link; `l.in_flight` is left empty.
template <class L>
wire::value_batch take_unacknowledged(L& l) {
    wire::value_batch again;
    for (auto& s : l.in_flight) {
        const std::uint64_t skip = l.acked > s.first_seq ? l.acked - s.first_seq : 0;
        if (skip < s.values.size()) {
            s.values.move_tail(static_cast<std::size_t>(skip), again);
        }
    }
    l.in_flight.clear();
    return again;
}

} // namespace netchan::internal
