#include "import_link.hpp"

namespace netchan::internal {

void import_link::on_value_offered() noexcept {
    if (d == dir::send && armed.load() && armed.exchange(false)) { // load first: see value_watch
        importer->dispatch_service(*this);
    }
}

void import_link::value_offered() noexcept {
    importer->dispatch_service(*this);
}

void import_link::room() noexcept {
    importer->dispatch_ack(*this, consumed_seen.load()); // delivers, then acknowledges what is new
}

void import_link::on_recv_request() noexcept {
    if (d != dir::recv) {
        return;
    }
    if (group != nullptr) {
        group->on_recv_request(); // it knows which link each consumed value came from
        return;
    }
    // The application asks for a value: everything it took before is consumed.
    const std::uint64_t in_chan = delivered.load();
    const std::uint64_t q = p->queued();
    count_consumed(in_chan > q ? in_chan - q : 0, q);
}

// A receiver about to sleep waits on the importer's socket itself: the value it waits for
// arrives there.
detail::value_source* import_link::enter_source() noexcept {
    return d == dir::recv ? importer->enter() : nullptr;
}

void import_link::count_consumed(std::uint64_t consumed, std::uint64_t q) noexcept {
    raise_to(consumed_seen, consumed);
    const std::uint64_t posted = ack_posted.load();
    if (consumed > posted && receive_window::worth_reporting(consumed - posted, credit, q)) {
        std::uint64_t seen = posted;
        if (ack_posted.compare_exchange_strong(seen, consumed)) {
            importer->dispatch_ack(*this, consumed);
        }
    }
}

} // namespace netchan::internal
