#pragma once

#include "netchan/detail/port.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace netchan::internal {

/// A recv export's way from the exporter's I/O loop into its channel, and back the count of
/// what the application consumed: decoded values are handed to the channel straight from the
/// loop while it takes them without waiting, else by a pump thread that waits for room (the
/// channel's receivers may be slow). Each value is remembered with its link, so that what is
/// consumed is credited to the links in the order the values were put in.
///
/// Consumption is heard through the channel's observer: off until the first value from the
/// wire is handed over (receivers of a channel that only same-process importers feed pay
/// nothing); a receiver about to sleep waits on the exporter's socket itself (`enter`).
/// Thread-safe: decoded(), hand_over(), take_consumed() and posted() run on the loop thread;
/// the observer on the application's threads; the pump on its own.
class recv_delivery {
public:
    /// Delivers into `p`'s channel. `enter` gives the loop's value source for a receiver about
    /// to sleep; `dispatch_consumed` (any thread) asks the loop to call take_consumed() soon.
    recv_delivery(detail::port& p, std::function<detail::value_source*()> enter,
                  std::function<void()> dispatch_consumed);
    ~recv_delivery() { stop(); }
    recv_delivery(const recv_delivery&) = delete;
    recv_delivery& operator=(const recv_delivery&) = delete;

    /// Watches the channel and starts the pump; `failed` is called on the pump's thread with
    /// what ended it.
    void start(std::function<void(const std::exception&)> failed);

    /// A value from `link` was decoded into the port: remember its link. Loop thread.
    void decoded(std::uint64_t link);

    /// Hands what was decoded to the channel, or to the pump when the channel is full.
    /// Loop thread.
    void hand_over();

    /// The loop received a dispatch_consumed(): later counts post again. Loop thread.
    void posted() noexcept { consumed_posted_.store(false); }

    /// Returns how many values of each link the application consumed since the last call.
    /// Loop thread.
    std::map<std::uint64_t, std::uint64_t> take_consumed();

    /// Stops watching the channel and stops the pump. Idempotent; not from the pump's thread.
    void stop() noexcept;

private:
    // Hears the application ask for values and lets a receiver about to sleep wait on the
    // exporter's socket itself.
    struct consumption_watch final : detail::chan_observer {
        recv_delivery* self = nullptr;
        void on_recv_request() noexcept override { self->note_consumption(); }
        detail::value_source* enter_source() noexcept override { return self->enter_(); }
        std::uint8_t interests() const noexcept override { return 0; }
    };

    void run_pump();
    void watch_consumption(); // @pre mu_ held
    bool deliver_direct();
    void note_consumption() noexcept;

    detail::port& p_;
    std::function<detail::value_source*()> enter_;
    std::function<void()> dispatch_consumed_;
    consumption_watch watch_;
    chan<bool> stop_; // closed to stop the pump
    std::thread pump_;

    std::atomic<std::uint64_t> handed_{0};       // values put into the channel (loop or pump)
    std::atomic<std::uint64_t> consumed_max_{0}; // the most consumed seen by a receiver
    std::atomic<bool> consumed_posted_{false};   // a count is on its way to the loop
    std::uint64_t consumed_ = 0;                 // loop thread: values credited to links

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::uint64_t> link_of_;      // guarded by mu_: link of each decoded value
    std::deque<std::uint64_t> handed_links_; // guarded by mu_: link of each value in the channel
    bool stopping_ = false;                  // guarded by mu_
    bool pump_busy_ = false;                 // guarded by mu_: the pump is handing a value over
    bool watched_ = false;                   // guarded by mu_: consumption is watched
};

} // namespace netchan::internal
