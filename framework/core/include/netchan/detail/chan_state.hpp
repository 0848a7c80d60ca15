#pragma once

#include "netchan/detail/chan_core.hpp"
#include "netchan/detail/ring.hpp"

#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <utility>

namespace netchan::detail {

/// Capacity from which a channel keeps its values in the lock-free ring. Below it, values
/// are handed straight between blocked peers under the lock (Go's design), which wins when the
/// buffer is full or empty most of the time, as a small buffer is.
inline constexpr std::size_t lock_free_min_capacity = 64;

/// A channel of T, in one of two modes fixed at construction:
/// - locked (capacity < lock_free_min_capacity, including unbuffered): Go's design; every
///   operation runs under mu_, a receiver takes a blocked sender's value directly;
/// - lock-free: values live in a lock-free ring; the wait queues only hold threads waiting for
///   the ring to change, and are touched only when someone waits.
/// Thread-safe.
template <class T>
class chan_state final : public chan_core {
public:
    explicit chan_state(std::size_t capacity)
        : lock_free_(capacity >= lock_free_min_capacity), cap_(capacity),
          ring_(lock_free_ ? capacity : 0),
          slots_(!lock_free_ && capacity ? std::make_unique<slot[]>(capacity) : nullptr) {}

    ~chan_state() override {
        while (count_ > 0) {
            std::destroy_at(at(head_));
            head_ = next(head_);
            --count_;
        }
    }

    bool lock_free() const noexcept { return lock_free_; }
    std::size_t capacity() const noexcept { return cap_; }

    /// Returns the number of buffered values (a snapshot).
    std::size_t size() const noexcept {
        if (lock_free_) {
            return ring_.size();
        }
        mu_.lock();
        const std::size_t n = count_;
        mu_.unlock();
        return n;
    }

    /// Returns whether close() was called.
    bool closed() const noexcept {
        if (lock_free_) {
            return ring_.closed();
        }
        mu_.lock();
        const bool c = closed_;
        mu_.unlock();
        return c;
    }

    // -- lock-free mode: call without mu_ --

    /// Pushes into the ring; on done, wakes a waiting receiver if there is one.
    op_status push(T& src) noexcept {
        const op_status st = ring_.push(src);
        if (st == op_status::done && recvq_.size() != 0) {
            notify_one(recvq_);
        }
        return st;
    }

    /// Pops from the ring; on done, wakes a waiting sender if there is one.
    op_status pop(std::optional<T>& dest) noexcept {
        const op_status st = ring_.pop(dest);
        if (st == op_status::done && sendq_.size() != 0) {
            notify_one(sendq_);
        }
        return st;
    }

    // -- locked mode: call with mu_ held --

    /// Receives from the buffer or a blocked sender. @pre mu_ held.
    op_status recv_locked(std::optional<T>& dest, waiter*& to_wake) noexcept {
        if (count_ > 0) {
            dest.emplace(std::move(*at(head_)));
            std::destroy_at(at(head_));
            head_ = next(head_);
            --count_;
            // A sender blocked on the full buffer now has room: take its value in.
            if (waiter* s = sendq_.pop_live()) {
                put(std::move(*static_cast<T*>(s->elem)));
                s->moved = true;
                to_wake = s;
            }
            return op_status::done;
        }
        if (waiter* s = sendq_.pop_live()) { // unbuffered: take straight from the sender
            dest.emplace(std::move(*static_cast<T*>(s->elem)));
            s->moved = true;
            to_wake = s;
            return op_status::done;
        }
        return closed_ ? op_status::closed : op_status::not_ready;
    }

    /// Sends to a blocked receiver or into the buffer; moves from `src` when done.
    /// @pre mu_ held.
    op_status send_locked(T& src, waiter*& to_wake) noexcept {
        if (closed_) {
            return op_status::closed;
        }
        if (waiter* r = recvq_.pop_live()) { // a waiting receiver implies an empty buffer
            static_cast<std::optional<T>*>(r->elem)->emplace(std::move(src));
            r->moved = true;
            to_wake = r;
            return op_status::done;
        }
        if (count_ < cap_) {
            put(std::move(src));
            return op_status::done;
        }
        return op_status::not_ready;
    }

    // -- chan_core --

    op_status try_recv_erased(void* dest, waiter*& to_wake) noexcept override {
        auto& d = *static_cast<std::optional<T>*>(dest);
        return lock_free_ ? ring_.pop(d) : recv_locked(d, to_wake);
    }
    op_status try_send_erased(void* src, waiter*& to_wake) noexcept override {
        auto& v = *static_cast<T*>(src);
        return lock_free_ ? ring_.push(v) : send_locked(v, to_wake);
    }
    bool ready(bool for_send) const noexcept override {
        return lock_free_ && (for_send ? ring_.can_push() : ring_.can_pop());
    }
    void after_op(bool was_send) noexcept override {
        if (!lock_free_) {
            return;
        }
        waiter_queue& peers = was_send ? recvq_ : sendq_;
        if (peers.size() != 0) {
            notify_one(peers);
        }
    }
    void close() noexcept override {
        if (lock_free_) {
            ring_.close();
            mu_.lock();
        } else {
            mu_.lock();
            closed_ = true;
        }
        wake_all_and_unlock();
        notify_value_offered(); // an observer learns "closed" the way it learns of values
    }

private:
    struct slot {
        alignas(T) std::byte bytes[sizeof(T)];
    };

    T* at(std::size_t i) noexcept { return std::launder(reinterpret_cast<T*>(slots_[i].bytes)); }
    std::size_t next(std::size_t i) const noexcept { return i + 1 == cap_ ? 0 : i + 1; }

    void put(T&& v) noexcept {
        std::size_t tail = head_ + count_;
        if (tail >= cap_) {
            tail -= cap_;
        }
        ::new (static_cast<void*>(slots_[tail].bytes)) T(std::move(v));
        ++count_;
    }

    const bool lock_free_;
    const std::size_t cap_;
    ring<T> ring_;                  // lock-free mode
    std::unique_ptr<slot[]> slots_; // locked mode; the elements are guarded by mu_
    std::size_t head_ = 0;          // locked mode; guarded by mu_
    std::size_t count_ = 0;         // locked mode; guarded by mu_
    bool closed_ = false;           // locked mode; guarded by mu_
};

} // namespace netchan::detail
