#include "netchan/internal/send_window.hpp"

#include <algorithm>

namespace netchan::internal {

std::vector<std::byte> send_window::send(std::uint64_t link, wire::value_batch& pending,
                                         std::size_t k) {
    auto frame = wire::encode_data(link, next_seq_, pending, 0, k);
    sent_values s;
    s.first_seq = next_seq_;
    pending.move_front(k, s.values); // pending keeps its buffers for the next values
    retained_.push_back(std::move(s));
    next_seq_ += k;
    return frame;
}

std::uint64_t send_window::on_ack(const wire::ack& m) {
    const std::uint64_t next = std::min(m.next, next_seq_); // never beyond what was sent
    const std::uint64_t newly = next > acked_ ? next - acked_ : 0;
    acked_ += newly;
    window_ = std::max<std::uint64_t>(m.credit, 1);
    while (!retained_.empty() &&
           retained_.front().first_seq + retained_.front().values.size() <= acked_) {
        retained_.pop_front();
    }
    return newly;
}

wire::value_batch send_window::take_unacknowledged() {
    wire::value_batch again;
    for (auto& s : retained_) {
        const std::uint64_t skip = acked_ > s.first_seq ? acked_ - s.first_seq : 0;
        if (skip < s.values.size()) {
            s.values.move_tail(static_cast<std::size_t>(skip), again);
        }
    }
    retained_.clear();
    return again;
}

} // namespace netchan::internal
