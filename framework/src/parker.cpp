#include "netchan/detail/parker.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

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

} // namespace

parker& parker::current() noexcept {
    thread_local parker self;
    return self;
}

void parker::unpark() noexcept {
    if (state_.exchange(notified, std::memory_order_release) == parked) {
        futex_wake_one(&state_);
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
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
        futex_wait(&state_, parked, &ts);
    }
}

} // namespace netchan::detail
