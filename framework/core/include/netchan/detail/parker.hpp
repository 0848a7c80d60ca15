#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>

namespace netchan::detail {

/// A one-shot wake-up slot for one thread: the thread parks, exactly one other thread unparks it.
///
/// Protocol: the owner calls prepare(), publishes itself (e.g. in a channel's wait queue), then
/// park(). The thread that takes it out of the queue calls unpark() exactly once. Everything the
/// unparker wrote before unpark() happens-before park() returns (release/acquire on state_).
/// A timed park that times out leaves the slot empty again; the owner must then either withdraw
/// itself or, if someone already took it, park() until that unpark arrives.
/// Lifetime: one per thread (current()), so an unpark may safely race with the owner returning.
/// Thread-safe.
class parker {
public:
    parker() = default;
    ~parker();
    parker(const parker&) = delete;
    parker& operator=(const parker&) = delete;

    /// Returns the calling thread's parker.
    static parker& current() noexcept;

    /// Resets the slot before the owner publishes itself. @pre no unpark is pending.
    void prepare() noexcept { state_.store(empty, std::memory_order_relaxed); }

    /// Wakes the owner (or makes its next park return at once). @threadsafe
    void unpark() noexcept;

    /// Blocks until unparked, spinning briefly first.
    void park() noexcept;

    /// Blocks until unparked or the deadline passes. Returns true when unparked.
    bool park_until(std::chrono::steady_clock::time_point deadline) noexcept;

    /// What park_or_poll() returned for.
    enum class woke : std::uint8_t { unparked, fd_ready, timed_out };

    /// Returns whether park_or_poll() can be used: it needs an eventfd (made on first use).
    bool pollable() noexcept;

    /// Blocks until unparked, one of `fds` is readable (at most 3), or the deadline (if any)
    /// passes: the owner waits for its peer and for a socket at once. Unlike park(), a return
    /// for a file descriptor or the deadline leaves the slot empty, as before the call.
    /// @pre pollable()
    woke park_or_poll(std::span<const int> fds,
                      const std::chrono::steady_clock::time_point* deadline) noexcept;

    /// Returns whether the owner was unparked (since prepare()).
    bool unparked() const noexcept { return state_.load(std::memory_order_acquire) == notified; }

private:
    static constexpr std::uint32_t empty = 0;
    static constexpr std::uint32_t notified = 1;
    static constexpr std::uint32_t parked = 2;
    static constexpr std::uint32_t polling = 3; // in park_or_poll: unpark() writes wake_fd_
    static constexpr std::uint32_t waking = 4;  // unpark() is writing wake_fd_

    bool spin() noexcept;

    std::atomic<std::uint32_t> state_{empty};
    int wake_fd_ = -1; // an eventfd, made by the first pollable(); the owner's
};

} // namespace netchan::detail
