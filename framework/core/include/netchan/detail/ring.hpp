#pragma once

#include "netchan/detail/chan_core.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <thread>
#include <utility>

namespace netchan::detail {

/// A bounded lock-free multi-producer multi-consumer ring of T (Vyukov's bounded queue), with
/// a closed flag folded into the tail position so that no push can succeed after close().
///
/// Each slot carries a sequence number: `pos` when free for the push at `pos`, `pos + 1` once
/// that value is published, `pos + capacity` when freed again. The release store of a slot's
/// sequence happens-before the acquire load that lets the other side use the slot. Head and tail
/// move by seq_cst CAS so that a thread queueing itself to wait (seq_cst) and a peer changing the
/// ring cannot both miss each other.
/// Thread-safe.
template <class T>
class ring {
public:
    explicit ring(std::size_t capacity)
        : cap_(capacity), n_slots_(capacity == 1 ? 2 : capacity),
          pow2_mask_((n_slots_ & (n_slots_ - 1)) == 0 ? n_slots_ - 1 : 0),
          slots_(capacity ? std::make_unique<slot[]>(n_slots_) : nullptr) {
        for (std::size_t i = 0; i < n_slots_; ++i) {
            slots_[i].seq.store(i, std::memory_order_relaxed);
        }
    }

    ring(const ring&) = delete;
    ring& operator=(const ring&) = delete;

    ~ring() {
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed) & ~closed_bit;
        for (std::uint64_t pos = head_.load(std::memory_order_relaxed); pos < tail; ++pos) {
            std::destroy_at(slots_[index(pos)].value());
        }
    }

    std::size_t capacity() const noexcept { return cap_; }

    std::size_t size() const noexcept {
        const std::uint64_t head = head_.load(std::memory_order_seq_cst);
        const std::uint64_t tail = tail_.load(std::memory_order_seq_cst) & ~closed_bit;
        return tail > head ? static_cast<std::size_t>(tail - head) : 0;
    }

    bool closed() const noexcept {
        return (tail_.load(std::memory_order_seq_cst) & closed_bit) != 0;
    }

    /// Returns whether a pop would not find the ring empty (a value, or closed and drained).
    bool can_pop() const noexcept {
        const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
        return (tail & closed_bit) != 0 ||
               (tail & ~closed_bit) != head_.load(std::memory_order_seq_cst);
    }

    /// Returns whether a push would not find the ring full (room, or closed).
    bool can_push() const noexcept {
        const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
        return (tail & closed_bit) != 0 ||
               (tail & ~closed_bit) - head_.load(std::memory_order_seq_cst) < cap_;
    }

    /// Moves `src` in unless the ring is full (not_ready) or closed.
    op_status push(T& src) noexcept {
        std::uint64_t pos = tail_.load(std::memory_order_relaxed);
        for (;;) {
            if ((pos & closed_bit) != 0) {
                return op_status::closed;
            }
            slot& s = slots_[index(pos)];
            const std::uint64_t seq = s.seq.load(std::memory_order_acquire);
            if (seq == pos &&
                (n_slots_ == cap_ || pos - head_.load(std::memory_order_seq_cst) < cap_)) {
                if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                                std::memory_order_relaxed)) {
                    ::new (static_cast<void*>(s.bytes)) T(std::move(src));
                    s.seq.store(pos + 1, std::memory_order_release);
                    return op_status::done;
                }
            } else if (seq <= pos) {
                // Full, or the consumer of this slot's previous value is still moving it out.
                const std::uint64_t now = tail_.load(std::memory_order_relaxed);
                if (now != pos) {
                    pos = now;
                    continue;
                }
                if (pos - head_.load(std::memory_order_seq_cst) >= cap_) {
                    return op_status::not_ready;
                }
                backoff();
                pos = tail_.load(std::memory_order_relaxed);
            } else {
                pos = tail_.load(std::memory_order_relaxed);
            }
        }
    }

    /// Moves the oldest value into `dest` unless the ring is empty (not_ready), or closed and
    /// drained (closed).
    op_status pop(std::optional<T>& dest) noexcept {
        std::uint64_t pos = head_.load(std::memory_order_relaxed);
        for (;;) {
            slot& s = slots_[index(pos)];
            const std::uint64_t seq = s.seq.load(std::memory_order_acquire);
            if (seq == pos + 1) {
                if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                                std::memory_order_relaxed)) {
                    dest.emplace(std::move(*s.value()));
                    std::destroy_at(s.value());
                    s.seq.store(pos + n_slots_, std::memory_order_release);
                    return op_status::done;
                }
            } else if (seq < pos + 1) {
                // Empty, or the producer of this slot is still moving its value in.
                const std::uint64_t now = head_.load(std::memory_order_relaxed);
                if (now != pos) {
                    pos = now;
                    continue;
                }
                const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
                if ((tail & ~closed_bit) == pos) {
                    return (tail & closed_bit) != 0 ? op_status::closed : op_status::not_ready;
                }
                backoff();
                pos = head_.load(std::memory_order_relaxed);
            } else {
                pos = head_.load(std::memory_order_relaxed);
            }
        }
    }

    /// Closes: every later push returns closed; pops drain what was pushed before.
    void close() noexcept { tail_.fetch_or(closed_bit, std::memory_order_seq_cst); }

private:
    static constexpr std::uint64_t closed_bit = std::uint64_t{1} << 63;

    struct slot {
        std::atomic<std::uint64_t> seq{0};
        alignas(T) std::byte bytes[sizeof(T)];
        T* value() noexcept { return std::launder(reinterpret_cast<T*>(bytes)); }
    };

    std::size_t index(std::uint64_t pos) const noexcept {
        return static_cast<std::size_t>(pow2_mask_ != 0 ? pos & pow2_mask_ : pos % n_slots_);
    }

    // The peer is between its CAS and its sequence store: a few instructions, unless it was
    // preempted there.
    static void backoff() noexcept { std::this_thread::yield(); }

    const std::size_t cap_;
    // The algorithm needs two slots at least: capacity 1 uses two and checks the head instead.
    const std::size_t n_slots_;
    const std::size_t pow2_mask_; // n_slots_ - 1 when a power of two, else 0
    std::unique_ptr<slot[]> slots_;
    alignas(64) std::atomic<std::uint64_t> head_{0};
    alignas(64) std::atomic<std::uint64_t> tail_{0};
};

} // namespace netchan::detail
