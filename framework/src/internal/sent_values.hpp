#pragma once

#include "netchan/internal/wire.hpp"

#include <algorithm>
#include <chrono>
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

/// Sends again what a broken connection lost: the receiver's heartbeat says it has `received`
/// values in order; those sent before its previous heartbeat came (`l.seq_at_beat`) and still
/// missing are sent again with their sequence numbers, by `send(first_seq, batch, first, last)`
/// for values [first, last) of each retained batch. Heartbeats that come less than `min_gap`
/// after the previous one (queued while this process was stopped) are ignored. Returns how many.
template <class L, class Send>
std::uint64_t resend_lost(L& l, std::uint64_t received, std::chrono::steady_clock::time_point now,
                          std::chrono::milliseconds min_gap, Send&& send) {
    if (now - l.beat_at < min_gap) {
        return 0;
    }
    std::uint64_t n = 0;
    if (received >= l.acked && received < l.seq_at_beat) {
        for (const auto& s : l.in_flight) {
            if (s.first_seq + s.values.size() <= received) {
                continue;
            }
            const std::size_t skip =
                received > s.first_seq ? static_cast<std::size_t>(received - s.first_seq) : 0;
            send(s.first_seq + skip, s.values, skip, s.values.size());
            n += s.values.size() - skip;
        }
    }
    l.seq_at_beat = l.next_seq;
    l.beat_at = now;
    return n;
}

} // namespace netchan::internal
