#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

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

} // namespace netchan::internal
