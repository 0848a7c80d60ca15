#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>

namespace netchan::internal {

/// Raises `a` to `v` unless it is higher already (counts seen by racing receivers).
inline void raise_to(std::atomic<std::uint64_t>& a, std::uint64_t v) noexcept {
    std::uint64_t cur = a.load();
    while (v > cur && !a.compare_exchange_weak(cur, v)) {
    }
}

/// Whether `fresh` values newly consumed are worth reporting now: a quarter of the credit, or
/// every value when the credit is tiny and nothing else waits. The I/O loop's tick reports
/// smaller remainders, so the sender never waits long for credit.
inline bool worth_reporting(std::uint64_t fresh, std::uint64_t credit,
                            std::uint64_t queued) noexcept {
    return fresh >= std::max<std::uint64_t>(1, credit / 4) || (queued == 0 && credit < 8);
}

/// One link's bad values (values that did not decode), counted as consumed in order: each once
/// every good value before it is, since an ACK says that every value below it is consumed.
/// Counting one at once would let an ACK cover good values the application still has.
/// Thread-compatible.
class bad_values {
public:
    /// A bad value came after `good_before` good values.
    void add(std::uint64_t good_before) { after_.push_back(good_before); }

    /// Returns how many bad values come after at most `good` good values.
    std::uint64_t within(std::uint64_t good) const noexcept {
        const auto n = std::upper_bound(after_.begin(), after_.end(), good) - after_.begin();
        return settled_ + static_cast<std::uint64_t>(n);
    }

    /// `good` good values are consumed, and the count never goes back: forgets the bad values
    /// within them (within() still counts them).
    void settle(std::uint64_t good) {
        while (!after_.empty() && after_.front() <= good) {
            after_.pop_front();
            ++settled_;
        }
    }

private:
    std::deque<std::uint64_t> after_; // good values before each bad value not settled yet
    std::uint64_t settled_ = 0;
};

} // namespace netchan::internal
