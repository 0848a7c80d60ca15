#include "recv_delivery.hpp"

namespace netchan::internal {

recv_delivery::recv_delivery(detail::port& p, std::function<detail::value_source*()> enter,
                             std::function<void()> dispatch_consumed)
    : p_(p), enter_(std::move(enter)), dispatch_consumed_(std::move(dispatch_consumed)) {
    watch_.self = this;
}

void recv_delivery::start(std::function<void(const std::exception&)> failed) {
    p_.core().observer(&watch_);
    pump_ = std::thread([this, failed = std::move(failed)] {
        try {
            run_pump();
        } catch (const std::exception& ex) {
            failed(ex);
        }
    });
}

void recv_delivery::decoded(std::uint64_t link) {
    std::lock_guard lock(mu_);
    link_of_.push_back(link);
}

void recv_delivery::hand_over() {
    if (!deliver_direct()) {
        cv_.notify_one();
    }
}

std::map<std::uint64_t, std::uint64_t> recv_delivery::take_consumed() {
    std::map<std::uint64_t, std::uint64_t> counts;
    const std::uint64_t c = consumed_max_.load();
    if (c <= consumed_) {
        return counts;
    }
    std::lock_guard lock(mu_);
    for (; consumed_ < c && !handed_links_.empty(); ++consumed_) {
        ++counts[handed_links_.front()];
        handed_links_.pop_front();
    }
    return counts;
}

void recv_delivery::stop() noexcept {
    if (!pump_.joinable()) {
        return; // never started (the channel may be another's to watch), or stopped already
    }
    p_.core().observer(nullptr);
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    stop_.close();
    if (pump_.joinable()) {
        pump_.join();
    }
}

// A receiver asked for a value (or the pump found one asleep). Any thread.
void recv_delivery::note_consumption() noexcept {
    const std::uint64_t handed = handed_.load();
    const std::uint64_t q = p_.queued();
    const std::uint64_t c = handed > q ? handed - q : 0;
    std::uint64_t seen = consumed_max_.load();
    while (c > seen && !consumed_max_.compare_exchange_weak(seen, c)) {
    }
    if (c > seen && !consumed_posted_.exchange(true)) {
        dispatch_consumed_();
    }
}

// Hands over, waiting while the channel is full, what the loop could not.
void recv_delivery::run_pump() {
    for (;;) {
        {
            std::unique_lock lock(mu_);
            pump_busy_ = false;
            cv_.wait(lock, [&] { return !link_of_.empty() || stopping_; });
            if (stopping_) {
                return;
            }
            pump_busy_ = true;
            watch_consumption();
        }
        if (!p_.deliver_one(stop_)) {
            return; // stopped, or the application closed its channel
        }
        {
            std::lock_guard lock(mu_);
            handed_links_.push_back(link_of_.front());
            link_of_.pop_front();
        }
        handed_.fetch_add(1);
        // A receiver asleep asked for the next value but may have counted before this
        // value was handed over: count for it (see chan_observer::on_recv_request).
        if (p_.core().queue(false).size() != 0) {
            note_consumption();
        }
    }
}

// Before a value reaches the channel: every receive that can take it reports its
// consumption, and may wait on the exporter's socket.
void recv_delivery::watch_consumption() {
    if (!watched_) {
        watched_ = true;
        p_.core().want(detail::chan_observer::recv_requests, true);
        p_.core().want(detail::chan_observer::sources, true);
    }
}

// Hands what was decoded straight to the channel, while it takes values without waiting and
// the pump holds none (which goes first, to keep the order); a thread switch less per value.
// Returns whether nothing is left for the pump.
bool recv_delivery::deliver_direct() {
    std::size_t n = 0;
    {
        std::lock_guard lock(mu_);
        if (pump_busy_) {
            return false;
        }
        watch_consumption();
        try {
            n = p_.deliver_ready();
        } catch (const closed_error&) {
            return false; // the application closed its channel: the pump ends the export
        }
        for (std::size_t i = 0; i < n; ++i) {
            handed_links_.push_back(link_of_.front());
            link_of_.pop_front();
        }
        handed_.fetch_add(n);
        if (!link_of_.empty()) {
            return false;
        }
    }
    if (n > 0 && p_.core().queue(false).size() != 0) {
        note_consumption(); // as the pump does after a hand-over
    }
    return true;
}

} // namespace netchan::internal
