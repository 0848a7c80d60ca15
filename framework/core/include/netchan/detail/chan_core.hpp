#pragma once

#include "netchan/detail/parker.hpp"
#include "netchan/detail/spin_mutex.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace netchan::detail {

/// One blocking operation (a send, a receive, or a whole select) waiting on one or more channels.
/// The first channel operation that wins the CAS on `fired` completes it; all others skip it.
struct op_state {
    static constexpr int pending = -1;
    static constexpr int cancelled = -2;

    std::atomic<int> fired{pending};
    parker* park = nullptr;
};

/// A place in one channel's wait queue for one case of an operation (Go's sudog).
/// All fields but `op` are guarded by the lock of the channel whose queue holds it.
struct waiter {
    op_state* op = nullptr;
    /// A send's source `T*` (moved from), or a receive's destination `std::optional<T>*`.
    void* elem = nullptr;
    int case_index = 0;
    /// Set by the waking side: true when it moved the value (unbuffered hand-off); false when
    /// it only says "try again" (a buffered channel changed, or the channel closed).
    bool moved = false;
    bool queued = false;
    waiter* prev = nullptr;
    waiter* next = nullptr;
};

/// Intrusive FIFO of waiters. Changes are guarded by the owning channel's lock; size() may be
/// read without it, and is sequentially consistent with the lock-free buffer positions (the
/// Dekker handshake that keeps buffered channels free of lost wake-ups).
class waiter_queue {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    std::uint32_t size() const noexcept { return size_.load(std::memory_order_seq_cst); }

    void push_back(waiter* w) noexcept {
        size_.fetch_add(1, std::memory_order_seq_cst);
        w->queued = true;
        w->next = nullptr;
        w->prev = tail_;
        (tail_ ? tail_->next : head_) = w;
        tail_ = w;
    }

    void remove(waiter* w) noexcept {
        if (!w->queued) {
            return;
        }
        (w->prev ? w->prev->next : head_) = w->next;
        (w->next ? w->next->prev : tail_) = w->prev;
        size_.fetch_sub(1, std::memory_order_relaxed);
        w->queued = false;
        w->prev = w->next = nullptr;
    }

    /// Removes and returns the first waiter whose operation this call completes, skipping
    /// waiters of selects that already fired elsewhere or timed out.
    waiter* pop_live() noexcept {
        while (head_ != nullptr) {
            waiter* w = head_;
            remove(w);
            int expected = op_state::pending;
            if (w->op->fired.compare_exchange_strong(expected, w->case_index,
                                                     std::memory_order_acq_rel)) {
                return w;
            }
        }
        return nullptr;
    }

private:
    waiter* head_ = nullptr;
    waiter* tail_ = nullptr;
    std::atomic<std::uint32_t> size_{0};
};

/// Where a channel's values come from when a thread of this process must fetch them (an
/// importer's socket): a receiver about to sleep may wait on the source itself and fetch
/// what arrives, instead of sleeping until the fetching thread wakes it. That saves a thread
/// switch per value received. Thread-safe.
class value_source {
public:
    enum class waited : std::uint8_t {
        unparked,  ///< `p` was unparked: the wait is over
        timed_out, ///< the deadline passed first
        gave_up    ///< the source cannot be waited on now: park as usual
    };

    /// Waits for `p` to be unparked while fetching what arrives, or until the deadline.
    /// Follows a chan_observer::enter_source() that returned this source.
    virtual waited wait(parker& p,
                        const std::chrono::steady_clock::time_point* deadline) noexcept = 0;

protected:
    ~value_source() = default;
};

/// Hears about receive requests on one channel: how the network layer learns that the
/// application has consumed what it received before (docs/design.md section 3).
/// Thread-safe: called from any receiving thread.
class chan_observer {
public:
    virtual ~chan_observer() = default;
    /// Called at the start of every receive (recv, try_recv, recv_for, a select receive case),
    /// when a receive ends without a value, and when a receiver is about to sleep, after it was
    /// queued: an observer that adds values and then looks at the receive queue (both
    /// seq_cst) either sees the sleeper or is seen by this call.
    virtual void on_recv_request() noexcept {}
    /// Called when a value may be waiting to be received: after a send completes, when a sender
    /// starts to wait, and on close.
    virtual void on_value_offered() noexcept {}

    /// Called when a receiver is about to sleep, after on_recv_request(): returns the source
    /// it may wait on (value_source::wait() must follow, outside this call), or nullptr.
    virtual value_source* enter_source() noexcept { return nullptr; }

    /// Which of the calls the observer wants; read when it is registered, and turned on and
    /// off later with chan_core::want(). A channel skips the calls nobody wants (a send export's
    /// channel, imported in the same process, then costs its senders and receivers nothing).
    enum interest : std::uint8_t { recv_requests = 1, values_offered = 2, sources = 4 };
    virtual std::uint8_t interests() const noexcept { return recv_requests | values_offered; }
};

/// Result of trying one channel operation under the channel's lock.
enum class op_status : std::uint8_t { not_ready, done, closed };

/// Wakes a completed waiter; call after releasing the channel lock. @threadsafe
inline void wake(waiter* w) noexcept {
    if (w != nullptr) {
        w->op->park->unpark();
    }
}

/// The type-independent part of a channel: its lock and wait queues.
///
/// Two kinds of channel share it (see chan_state). Locked channels work as Go's do: every
/// operation runs under mu_ and a value moves straight between a blocked peer and the other
/// side (waiter::moved). Lock-free channels keep their values in a lock-free ring; mu_ then only
/// guards the wait queues, whose waiters are told "try again" when the ring changes.
/// Thread-safe: the queues are guarded by mu_.
class chan_core {
    void call_observer(void (chan_observer::*call)() noexcept) noexcept;
    value_source* call_observer(value_source* (chan_observer::*call)() noexcept) noexcept;

public:
    chan_core() = default;
    chan_core(const chan_core&) = delete;
    chan_core& operator=(const chan_core&) = delete;
    virtual ~chan_core() = default;

    /// Tries to receive into `*static_cast<std::optional<T>*>(dest)`; a hand-off to wake goes
    /// to `to_wake`. @pre mu_ held.
    virtual op_status try_recv_erased(void* dest, waiter*& to_wake) noexcept = 0;
    /// Tries to send `*static_cast<T*>(src)`, moving from it when done. @pre mu_ held.
    virtual op_status try_send_erased(void* src, waiter*& to_wake) noexcept = 0;
    /// Returns whether a receive (or send) could proceed now, closed counting as ready.
    /// Always false for locked channels, whose readiness only changes under mu_.
    virtual bool ready(bool for_send) const noexcept = 0;
    /// Tells waiters on the other side that a lock-free send or receive just completed.
    /// @pre mu_ not held.
    virtual void after_op(bool was_send) noexcept = 0;

    /// Closes the channel and wakes every waiter. Idempotent. @threadsafe
    virtual void close() noexcept = 0;

    /// Returns the wait queue of the given side.
    waiter_queue& queue(bool for_send) noexcept { return for_send ? sendq_ : recvq_; }

    /// Wakes one waiter of `q` with "try again". @pre mu_ not held. @threadsafe
    void notify_one(waiter_queue& q) noexcept;

    /// Wakes every waiter of both queues with "try again". @pre mu_ held; released on return.
    void wake_all_and_unlock() noexcept;

    /// Locked mode: queues the caller in `q` for `elem` and blocks until a peer moves the value
    /// or wakes it. @pre mu_ held; released on return. Returns false when the deadline passed
    /// first (withdrawn); otherwise `moved` tells a hand-off from a "try again".
    bool block(waiter_queue& q, void* elem, bool& moved,
               const std::chrono::steady_clock::time_point* deadline);

    /// Lock-free mode: queues the caller in the queue of one side and blocks until woken, unless
    /// the side is ready already. @pre mu_ not held. Returns false when the deadline passed first.
    bool wait_ready(bool for_send, const std::chrono::steady_clock::time_point* deadline);

    /// Tells the observer (if any) that a receive starts. @threadsafe
    void notify_recv_request() noexcept {
        if (wants(chan_observer::recv_requests)) {
            call_observer(&chan_observer::on_recv_request);
        }
    }

    /// Tells the observer (if any) that a value may be waiting. @threadsafe
    void notify_value_offered() noexcept {
        if (wants(chan_observer::values_offered)) {
            call_observer(&chan_observer::on_value_offered);
        }
    }

    /// Returns the source a receiver about to sleep may wait on (see chan_observer), or
    /// nullptr. @threadsafe
    value_source* enter_source() noexcept {
        return wants(chan_observer::sources) ? call_observer(&chan_observer::enter_source)
                                             : nullptr;
    }

    /// Turns the observer's calls of kind `i` on or off; returns whether they were on. seq_cst,
    /// as is the check before each call (a plain load on x86): an observer that turns calls on
    /// and then looks at the channel either finds what changed it or is called. @threadsafe
    bool want(chan_observer::interest i, bool on) noexcept {
        const std::uint8_t before = on ? interests_.fetch_or(i) : interests_.fetch_and(~i);
        return (before & i) != 0;
    }

    /// Sets (or clears, with nullptr) the observer. Clearing waits for the calls under way, so
    /// the observer may be destroyed once this returns.
    /// @pre not called from inside a call of this channel's observer
    void observer(chan_observer* o) noexcept;

private:
    bool wants(chan_observer::interest i) const noexcept { return (interests_.load() & i) != 0; }

public:
    mutable spin_mutex mu_;
    std::atomic<chan_observer*> observer_{nullptr};
    std::atomic<std::uint8_t> interests_{0}; // the calls the observer wants
    waiter_queue recvq_;                     // guarded by mu_
    waiter_queue sendq_;                     // guarded by mu_
};

/// One case of a type-erased select.
struct select_case {
    chan_core* ch = nullptr;
    void* elem = nullptr;
    bool is_send = false;
};

/// Runs a select over `cases`: completes one ready case chosen at random, or blocks until one
/// is, or returns -1 at once (`has_default`) or at `deadline`. Returns the index completed.
/// Throws closed_error when the completed case is a send on a closed channel.
int select_erased(std::span<select_case> cases, bool has_default,
                  const std::chrono::steady_clock::time_point* deadline);

} // namespace netchan::detail
