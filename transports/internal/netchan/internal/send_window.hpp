#pragma once

#include "netchan/internal/wire.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <vector>

namespace netchan::internal {

/// Returns `a + b`, or 2^64-1 when the sum does not fit (credit arithmetic never wraps).
constexpr std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) noexcept {
    return a > std::numeric_limits<std::uint64_t>::max() - b
               ? std::numeric_limits<std::uint64_t>::max()
               : a + b;
}

/// The sending side of one link (docs/protocol.md sections 5 and 6.3-6.4): sequence numbers,
/// the receiver's credit and limit, and the values sent but not yet acknowledged, kept to send
/// again. Knows frames, not sockets: its callers send what it returns. Used by send exports and
/// send imports alike.
///
/// Credit (section 5.2): the window is `max(credit, 1)`, so a credit of 0 lets one value be in
/// flight; `acked + window` saturates at 2^64-1, so a credit of 2^64-1 means "no limit but the
/// IMPORT's limit", never an overflow that stalls the link.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class send_window {
public:
    using clock = std::chrono::steady_clock;

    /// A link whose receiver granted `credit` (from its IMPORT) and, if not 0, a `limit`.
    explicit send_window(std::uint64_t credit = 1, std::uint64_t limit = 0) noexcept
        : window_(credit == 0 ? 1 : credit), limit_(limit) {}

    /// Returns the sequence number of the next value, which is also the number of values sent.
    std::uint64_t next_seq() const noexcept { return next_seq_; }
    /// Returns how many values the receiver has acknowledged.
    std::uint64_t acked() const noexcept { return acked_; }
    /// Returns the receiver's window (its latest credit, at least 1).
    std::uint64_t window() const noexcept { return window_; }
    /// Returns the IMPORT's limit (0: none).
    std::uint64_t limit() const noexcept { return limit_; }
    /// Returns how many values are sent and not acknowledged.
    std::uint64_t in_flight() const noexcept { return next_seq_ - acked_; }
    /// Returns whether everything sent is acknowledged.
    bool all_acknowledged() const noexcept { return acked_ == next_seq_; }
    /// Returns whether the limit is reached: the link must be closed.
    bool limit_reached() const noexcept { return limit_ != 0 && next_seq_ >= limit_; }
    /// Returns whether CLOSE was sent (no DATA may follow).
    bool close_sent() const noexcept { return close_sent_; }

    /// Returns how many values the receiver has room for: `min(acked + window, limit) -
    /// next_seq`, saturating. CLOSE is the caller's to respect (no DATA may follow it).
    std::uint64_t free_credit() const noexcept {
        std::uint64_t cap = saturating_add(acked_, window_);
        if (limit_ != 0 && limit_ < cap) {
            cap = limit_;
        }
        return cap > next_seq_ ? cap - next_seq_ : 0;
    }

    /// Returns the DATA frame for the first `k` values of `pending` and moves them to the
    /// retained values. @pre k <= min(free_credit(), pending.size())
    std::vector<std::byte> send(std::uint64_t link, wire::value_batch& pending, std::size_t k);

    /// Applies an ACK (section 5.4): `acked` rises to `min(next, next_seq)` (a smaller `next`
    /// changes nothing), the window becomes `max(credit, 1)`, and acknowledged values are
    /// released. Returns how many values it newly acknowledged.
    std::uint64_t on_ack(const wire::ack& m);

    /// Returns the CLOSE frame for this link and marks it sent. Idempotent.
    wire::close close(std::uint64_t link) noexcept {
        close_sent_ = true;
        return wire::close{link, next_seq_};
    }

    /// Returns the CLOSE again, for a heartbeat tick (a cut may have lost it), if it was sent.
    std::optional<wire::close> repeat_close(std::uint64_t link) const noexcept {
        if (!close_sent_) {
            return std::nullopt;
        }
        return wire::close{link, next_seq_};
    }

    /// Takes every value sent and not acknowledged, in order, to send again elsewhere; the
    /// retained values are left empty.
    wire::value_batch take_unacknowledged();

    /// Re-sends what a broken connection lost: the receiver's HEARTBEAT says it has `received`
    /// values in order; those sent before its previous heartbeat came and still missing are
    /// sent again with their sequence numbers, as frames passed to `out`. A heartbeat less than
    /// `min_gap` after the previous one (queued while this process was stopped) is not used; a
    /// `received` below `acked` or at or beyond what was sent is a lie and changes nothing.
    /// Returns how many values were sent again.
    template <class Out>
    std::uint64_t resend_lost(std::uint64_t link, std::uint64_t received, clock::time_point now,
                              clock::duration min_gap, Out&& out) {
        if (now - beat_at_ < min_gap) {
            return 0;
        }
        std::uint64_t n = 0;
        if (received >= acked_ && received < seq_at_beat_) {
            for (const auto& s : retained_) {
                if (s.first_seq + s.values.size() <= received) {
                    continue;
                }
                const std::size_t skip =
                    received > s.first_seq ? static_cast<std::size_t>(received - s.first_seq) : 0;
                out(wire::encode_data(link, s.first_seq + skip, s.values, skip, s.values.size()));
                n += s.values.size() - skip;
            }
        }
        seq_at_beat_ = next_seq_;
        beat_at_ = now;
        return n;
    }

private:
    struct sent_values {
        std::uint64_t first_seq = 0;
        wire::value_batch values;
    };

    std::uint64_t next_seq_ = 0;
    std::uint64_t acked_ = 0;
    std::uint64_t window_;
    std::uint64_t limit_;
    bool close_sent_ = false;
    std::uint64_t seq_at_beat_ = 0; // next_seq when the receiver's previous heartbeat came
    clock::time_point beat_at_{};   // when it came
    std::deque<sent_values> retained_;
};

} // namespace netchan::internal
