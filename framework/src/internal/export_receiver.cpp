#include "export_receiver.hpp"

namespace netchan::internal {

void export_receiver::credit_consumed(export_entry& e) {
    const auto counts = e.delivery->take_consumed();
    if (counts.empty()) {
        return;
    }
    for (const auto& [lid, n] : counts) {
        if (auto l = links_.find(lid); l != links_.end()) {
            l->second.good_consumed += n;
            l->second.in.consume(l->second.good_consumed);
            e.stats.acknowledged += n;
        }
    }
    send_acks(e);
    check_sink_done(e);
}

// Acks in steps of a quarter window: fewer frames (and wake-ups of the importer), and the
// sender never waits long. A small window is acked as soon as everything is consumed;
// smaller remainders go with the tick, the importer's close and its heartbeats.
void export_receiver::send_acks(export_entry& e) {
    for (auto lid : e.links) {
        auto& l = links_.at(lid);
        if (l.in.ack_due(l.in.in_flight())) {
            ack(l);
        }
    }
}

void export_receiver::ack(export_link& l) {
    if (auto a = l.in.take_ack(l.id)) {
        owner_.send_to(l.peer, wire::encode(*a));
    }
}

void export_receiver::check_sink_done(export_entry& e) {
    if (e.d != dir::recv || e.sink_closed || !e.opts.close_when_importers_done ||
        !e.ever_connected) {
        return;
    }
    for (auto lid : e.links) {
        const auto& l = links_.at(lid);
        if (!l.in.complete(l.good_consumed)) {
            return;
        }
    }
    e.sink_closed = true;
    e.p->close();
}

} // namespace netchan::internal
