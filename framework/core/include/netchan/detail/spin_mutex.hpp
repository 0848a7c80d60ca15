#pragma once

#include <atomic>
#include <cstdint>

namespace netchan::detail {

/// A small mutex for short critical sections: spins briefly, then sleeps on a futex.
///
/// A channel's lock is held for a few dozen instructions; std::mutex sleeps at the first
/// contention, which costs two system calls where a short spin costs none.
/// unlock() happens-before the next lock() that acquires it (release/acquire on state_).
/// Thread-safe.
class spin_mutex {
public:
    void lock() noexcept {
        std::uint32_t expected = unlocked;
        if (!state_.compare_exchange_weak(expected, locked, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
            lock_slow();
        }
    }

    bool try_lock() noexcept {
        std::uint32_t expected = unlocked;
        return state_.compare_exchange_strong(expected, locked, std::memory_order_acquire,
                                              std::memory_order_relaxed);
    }

    void unlock() noexcept {
        if (state_.exchange(unlocked, std::memory_order_release) == contended) {
            state_.notify_one();
        }
    }

private:
    static constexpr std::uint32_t unlocked = 0;
    static constexpr std::uint32_t locked = 1;
    static constexpr std::uint32_t contended = 2;

    void lock_slow() noexcept {
        for (int i = 0; i < 100; ++i) {
            if (state_.load(std::memory_order_relaxed) == unlocked && try_lock()) {
                return;
            }
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        // Drepper's futex mutex: "contended" tells unlock() that someone may be asleep.
        while (state_.exchange(contended, std::memory_order_acquire) != unlocked) {
            state_.wait(contended, std::memory_order_relaxed);
        }
    }

    std::atomic<std::uint32_t> state_{unlocked};
};

} // namespace netchan::detail
