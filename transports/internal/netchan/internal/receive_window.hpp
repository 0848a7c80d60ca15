#pragma once

#include "netchan/internal/send_window.hpp"
#include "netchan/internal/wire.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>

namespace netchan::internal {

/// Raises `a` to `v` unless it is higher already (counts of consumption seen by racing
/// receivers).
inline void raise_to(std::atomic<std::uint64_t>& a, std::uint64_t v) noexcept {
    std::uint64_t cur = a.load();
    while (v > cur && !a.compare_exchange_weak(cur, v)) {
    }
}

/// The receiving side of one link (docs/protocol.md sections 5.2-5.5 and 6.1): the next
/// expected sequence number, the classification of each value of a DATA frame, the count of
/// values consumed (bad values included, in order), when to acknowledge, and the sender's
/// CLOSE. Knows frames, not sockets. Used by recv exports and recv imports alike.
///
/// Counts of good values are the caller's (since the import began, across resumes); the
/// window's own counts are the link's sequence numbers: `restart(base)` starts a new link
/// whose sequence number 0 is the `base`-th value received.
///
/// The credit rule (section 5.2): the window is `max(credit, 1)`; a value is beyond the credit
/// when `seq >= consumed + window` (saturating, so a credit of 2^64-1 never refuses a value).
/// `consumed` is never below what this side acknowledged, so a sender that respects its free
/// credit is never refused.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class receive_window {
public:
    /// What to do with one value of a DATA frame.
    enum class arrival : std::uint8_t {
        accept,       ///< the next value: use it (expected() has advanced)
        duplicate,    ///< received already (sent again after a cut): drop it, go on
        gap,          ///< values before it were lost: drop it and the rest of the frame
        beyond_credit ///< the sender ignored the window: an error; drop the rest of the frame
    };

    explicit receive_window(std::uint64_t credit = 1) noexcept
        : window_(credit == 0 ? 1 : credit) {}

    /// Returns whether `fresh` values newly consumed are worth acknowledging now: a quarter of
    /// the window, or every value when the window is below 8 and nothing else is `queued`.
    /// Smaller remainders wait for the tick, the sender's CLOSE or its HEARTBEAT.
    static bool worth_reporting(std::uint64_t fresh, std::uint64_t window,
                                std::uint64_t queued) noexcept {
        return fresh >= (window / 4 > 0 ? window / 4 : 1) || (queued == 0 && window < 8);
    }

    /// Returns the window: the credit this side grants, at least 1.
    std::uint64_t window() const noexcept { return window_; }
    /// Returns the sequence number of the next new value.
    std::uint64_t expected() const noexcept { return expected_; }
    /// Returns how many values of this link are consumed, bad values included.
    std::uint64_t consumed() const noexcept { return consumed_; }
    /// Returns the `next` of the latest ACK sent.
    std::uint64_t ack_sent() const noexcept { return ack_sent_; }
    /// Returns how many values arrived and are not consumed yet.
    std::uint64_t in_flight() const noexcept { return expected_ - consumed_; }
    /// Returns whether the sender sent CLOSE.
    bool close_seen() const noexcept { return close_seen_; }
    /// Returns the `end` of the sender's CLOSE.
    std::uint64_t end() const noexcept { return end_; }

    /// Classifies value `i` of a DATA frame numbered from `first_seq`: duplicate, then gap,
    /// then beyond the credit, else accepted (and expected() advances). Inline: once per value.
    arrival arrive(std::uint64_t first_seq, std::uint64_t i) noexcept {
        if (first_seq > std::numeric_limits<std::uint64_t>::max() - i) {
            return arrival::gap; // numbered past 2^64-1: never the next value
        }
        const std::uint64_t seq = first_seq + i;
        if (seq < expected_) {
            return arrival::duplicate;
        }
        if (seq > expected_) {
            return arrival::gap;
        }
        if (seq >= saturating_add(consumed_, window_)) {
            return arrival::beyond_credit;
        }
        ++expected_;
        return arrival::accept;
    }

    /// A value did not decode; it came after `good_before` good values. It counts as
    /// consumed once those are (counting it at once would let an ACK cover them).
    void bad_value(std::uint64_t good_before);

    /// Returns `good` plus the bad values that came after at most `good` good values.
    std::uint64_t with_bad(std::uint64_t good) const noexcept;

    /// `good` good values are consumed (a count that never goes back): updates consumed().
    void consume(std::uint64_t good);

    /// Returns whether what is consumed but not acknowledged is worth an ACK now, with
    /// `queued` values received and not consumed (worth_reporting).
    bool ack_due(std::uint64_t queued) const noexcept {
        return consumed_ > ack_sent_ && worth_reporting(consumed_ - ack_sent_, window_, queued);
    }

    /// Returns the ACK for what is consumed, if news, and records it as sent.
    std::optional<wire::ack> take_ack(std::uint64_t link) noexcept {
        if (consumed_ <= ack_sent_) {
            return std::nullopt;
        }
        ack_sent_ = consumed_;
        return wire::ack{link, consumed_, window_};
    }

    /// Returns the latest ACK again, for a heartbeat tick (a cut may have lost it), if any.
    std::optional<wire::ack> repeat_ack(std::uint64_t link) const noexcept {
        if (ack_sent_ == 0) {
            return std::nullopt;
        }
        return wire::ack{link, ack_sent_, window_};
    }

    /// The sender closed the stream after `end` values.
    void on_close(const wire::close& m) noexcept {
        close_seen_ = true;
        end_ = m.end;
    }

    /// Returns whether the stream is complete: CLOSE came, every value below its end arrived,
    /// and `good` good values (consumed or delivered, as the caller counts) cover them.
    bool complete(std::uint64_t good) const noexcept {
        return close_seen_ && expected_ >= end_ && seq_of(with_bad(good)) >= end_;
    }

    /// A new link replaces this one (a resume): numbering starts again at 0 with the
    /// `base`-th value received; bad values not yet settled stay.
    void restart(std::uint64_t base) noexcept;

private:
    std::uint64_t seq_of(std::uint64_t count) const noexcept {
        return count > base_ ? count - base_ : 0;
    }

    std::uint64_t window_;
    std::uint64_t base_ = 0;
    std::uint64_t expected_ = 0;
    std::uint64_t consumed_ = 0;
    std::uint64_t ack_sent_ = 0;
    bool close_seen_ = false;
    std::uint64_t end_ = 0;
    std::deque<std::uint64_t> bad_after_; // good values before each bad value not settled
    std::uint64_t bad_settled_ = 0;
};

} // namespace netchan::internal
