#include "netchan/detail/parker.hpp"

#include <linux/futex.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <ctime>
#include <thread>

namespace netchan::detail {
namespace {

// futex(2) directly: std::atomic::wait has no timed form in C++20, and a wake on an address
// whose owner has already returned is harmless (at worst a spurious wake-up, which park tolerates).
void futex_wait(std::atomic<std::uint32_t>* addr, std::uint32_t expected,
                const timespec* timeout) noexcept {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAIT_PRIVATE, expected,
            timeout, nullptr, 0);
}

void futex_wake_one(std::atomic<std::uint32_t>* addr) noexcept {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

timespec timespec_of(std::chrono::steady_clock::duration d) noexcept {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

} // namespace

parker::~parker() {
    if (wake_fd_ >= 0) {
        ::close(wake_fd_);
    }
}

parker& parker::current() noexcept {
    thread_local parker self;
    return self;
}

void parker::unpark() noexcept {
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    for (;;) {
        if (s == polling) {
            // The owner waits in poll(2): wake it through its eventfd, and say so only once
            // written, so that the owner cannot return (and its thread end) mid-write.
            if (state_.compare_exchange_weak(s, waking, std::memory_order_acquire)) {
                const std::uint64_t one = 1;
                [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
                state_.store(notified, std::memory_order_release);
                return;
            }
        } else if (state_.compare_exchange_weak(s, notified, std::memory_order_release)) {
            if (s == parked) {
                futex_wake_one(&state_);
            }
            return;
        }
    }
}

// A peer usually answers within a few microseconds when both run; spinning that long avoids
// the cost of a futex sleep and wake-up on both sides.
bool parker::spin() noexcept {
    for (int i = 0; i < 200; ++i) {
        if (state_.load(std::memory_order_acquire) == notified) {
            return true;
        }
        cpu_relax();
    }
    for (int i = 0; i < 4; ++i) {
        std::this_thread::yield();
        if (state_.load(std::memory_order_acquire) == notified) {
            return true;
        }
    }
    return false;
}

void parker::park() noexcept {
    if (spin()) {
        return;
    }
    std::uint32_t expected = empty;
    if (!state_.compare_exchange_strong(expected, parked, std::memory_order_acquire)) {
        return; // notified meanwhile
    }
    while (state_.load(std::memory_order_acquire) != notified) {
        futex_wait(&state_, parked, nullptr);
    }
}

bool parker::park_until(std::chrono::steady_clock::time_point deadline) noexcept {
    if (spin()) {
        return true;
    }
    std::uint32_t expected = empty;
    if (!state_.compare_exchange_strong(expected, parked, std::memory_order_acquire)) {
        return true;
    }
    for (;;) {
        if (state_.load(std::memory_order_acquire) == notified) {
            return true;
        }
        auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) {
            expected = parked;
            if (state_.compare_exchange_strong(expected, empty, std::memory_order_acquire)) {
                return false;
            }
            return true; // the unpark won the race against the deadline
        }
        const timespec ts = timespec_of(left);
        futex_wait(&state_, parked, &ts);
    }
}

bool parker::pollable() noexcept {
    if (wake_fd_ < 0) {
        wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); // fails when out of descriptors
    }
    return wake_fd_ >= 0;
}

parker::woke parker::park_or_poll(std::span<const int> fds,
                                  const std::chrono::steady_clock::time_point* deadline) noexcept {
    assert(fds.size() <= 3 && wake_fd_ >= 0);
    std::uint32_t expected = empty;
    if (!state_.compare_exchange_strong(expected, polling, std::memory_order_acq_rel)) {
        return woke::unparked;
    }
    pollfd p[4];
    std::size_t n = 0;
    for (int fd : fds) {
        p[n++] = {fd, POLLIN, 0};
    }
    p[n] = {wake_fd_, POLLIN, 0};
    timespec ts{};
    if (deadline != nullptr) {
        ts = timespec_of(std::max(*deadline - std::chrono::steady_clock::now(),
                                  std::chrono::steady_clock::duration::zero()));
    }
    const int ready = ::ppoll(p, n + 1, deadline != nullptr ? &ts : nullptr, nullptr);
    expected = polling;
    if (state_.compare_exchange_strong(expected, empty, std::memory_order_acquire)) {
        if (ready == 0) {
            return woke::timed_out;
        }
        return woke::fd_ready; // or interrupted: the caller looks and comes back
    }
    // Unparked: wait until the unparker's write is done, then take it out of the eventfd.
    while (state_.load(std::memory_order_acquire) == waking) {
        std::this_thread::yield();
    }
    std::uint64_t count = 0;
    [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
    return woke::unparked;
}

} // namespace netchan::detail
