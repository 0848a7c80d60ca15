#include "import_receiver.hpp"

namespace netchan::internal {

void import_receiver::deliver(import_link& l) {
    try {
        l.delivered.fetch_add(l.group != nullptr ? l.group->deliver(l, *l.p)
                                                 : l.p->deliver_ready());
        // A receiver asleep already asked for the next value but may have counted before
        // this delivery was: count for it (the other half of chan_observer's handshake).
        if (l.p->core().queue(false).size() != 0) {
            l.on_recv_request();
        }
    } catch (const closed_error&) {
        // The application closed its own channel: nothing more can be delivered.
    }
}

void import_receiver::ack_consumed(import_link& l, std::uint64_t consumed) {
    const std::uint64_t before = l.in.ack_sent();
    l.in.consume(consumed);
    if (auto a = l.in.take_ack(l.id)) {
        l.stats.acknowledged += a->next - before;
        owner_.send(wire::encode(*a));
    }
}

void import_receiver::maybe_close_local(import_link& l) {
    if (!l.closed_local && l.in.complete(l.delivered.load())) {
        l.closed_local = true;
        if (l.group != nullptr) {
            l.group->finish(l); // the channel closes when every exporter's stream is done
        } else {
            l.p->close();
        }
    }
}

} // namespace netchan::internal
