#include "netchan/internal/receive_window.hpp"

#include <algorithm>

namespace netchan::internal {

void receive_window::bad_value(std::uint64_t good_before) {
    bad_after_.push_back(good_before);
}

std::uint64_t receive_window::with_bad(std::uint64_t good) const noexcept {
    const auto n =
        std::upper_bound(bad_after_.begin(), bad_after_.end(), good) - bad_after_.begin();
    return good + bad_settled_ + static_cast<std::uint64_t>(n);
}

void receive_window::consume(std::uint64_t good) {
    while (!bad_after_.empty() && bad_after_.front() <= good) {
        bad_after_.pop_front();
        ++bad_settled_;
    }
    consumed_ = std::max(consumed_, seq_of(good + bad_settled_));
}

void receive_window::restart(std::uint64_t base) noexcept {
    base_ = base;
    expected_ = 0;
    consumed_ = 0;
    ack_sent_ = 0;
    close_seen_ = false;
    end_ = 0;
}

} // namespace netchan::internal
