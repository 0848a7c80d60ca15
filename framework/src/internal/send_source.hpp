#pragma once

#include "netchan/detail/port.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace netchan::internal {

/// The loop's side of a send channel, the same for an export and an import: how many values to
/// take while the peers have credit, and the handshake with the channel's senders when it is
/// empty. The caller sends what was taken and decides when a stream closes.
/// Thread-confined: use only under the owning loop lock.
struct send_source {
    /// At most this many values are taken, or sent in one frame, at once.
    static constexpr std::uint64_t max_batch = 4096;

    /// Returns how many more values to take when the peers have `free` credit and `pending`
    /// values wait already: 0 when they could take no more now (an ack or a new peer calls
    /// again), else at most max_batch.
    static std::size_t room(std::uint64_t free, std::size_t pending) noexcept {
        if (free <= pending) {
            return 0;
        }
        return static_cast<std::size_t>(std::min<std::uint64_t>(free - pending, max_batch));
    }

    /// Takes up to `room - taken_before` ready values from `p` into `pending` (`taken_before`:
    /// values the caller put there already, counted in the result). When that makes none, it
    /// arms the watch (`arm(true)`) and looks again, so that a value offered in between is seen;
    /// if that finds one, it disarms (`arm(false)`). Nothing taken and not drained means armed:
    /// the next value offered calls the loop back.
    template <class Arm>
    static detail::port::taken take(detail::port& p, detail::value_batch& pending, std::size_t room,
                                    std::size_t taken_before, Arm&& arm) {
        auto t = p.take_ready(pending, room - taken_before);
        t.count += taken_before;
        if (t.count == 0 && !t.drained) {
            arm(true);
            t = p.take_ready(pending, room); // a value offered before is seen here
            if (t.count == 0 && !t.drained) {
                return t;
            }
            arm(false);
        }
        return t;
    }
};

} // namespace netchan::internal
