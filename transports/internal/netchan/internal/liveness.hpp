#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace netchan::internal {

/// When to send HEARTBEATs and which peers are lost (docs/protocol.md section 6.4): every
/// frame from a peer is a sign of life; a peer not heard from for the peer timeout is lost,
/// reported once, until it is heard again. On each heartbeat the caller also repeats its
/// latest ACKs (receive_window::repeat_ack) and CLOSEs (send_window::repeat_close).
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class liveness {
public:
    using clock = std::chrono::steady_clock;

    liveness(clock::duration heartbeat_interval, clock::duration peer_timeout) noexcept
        : interval_(heartbeat_interval), timeout_(peer_timeout) {}

    /// Returns the heartbeat interval.
    clock::duration heartbeat_interval() const noexcept { return interval_; }

    /// Returns the least time between two heartbeats of a peer for the second to say what a
    /// cut lost (a closer one was queued while this process was stopped).
    clock::duration min_resend_gap() const noexcept { return interval_ / 2; }

    /// A frame came from `peer` at `now`.
    void heard(const std::string& peer, clock::time_point now) { last_heard_[peer] = now; }

    /// Returns whether a heartbeat is due at `now`, and if so counts it as sent.
    bool beat_due(clock::time_point now) noexcept {
        if (now - last_beat_ < interval_) {
            return false;
        }
        last_beat_ = now;
        return true;
    }

    /// Makes the next beat_due() true (to ask the peer for news at once).
    void beat_soon() noexcept { last_beat_ = {}; }

    /// Returns the peers silent for longer than the peer timeout at `now`, and forgets them:
    /// each is lost once, until heard() again.
    std::vector<std::string> lost(clock::time_point now);

private:
    clock::duration interval_;
    clock::duration timeout_;
    clock::time_point last_beat_{};
    std::map<std::string, clock::time_point> last_heard_;
};

} // namespace netchan::internal
