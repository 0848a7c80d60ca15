#include "netchan/detail/chan_core.hpp"

#include "netchan/error.hpp"

#include "call_slots.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <numeric>

namespace netchan::detail {

void chan_core::observer(chan_observer* o) noexcept {
    // A thread that reads stale interests acts as if it read the pointer before the change,
    // which it could have anyway.
    interests_.store(o != nullptr ? o->interests() : 0, std::memory_order_relaxed);
    observer_.store(o);
    if (o == nullptr) {
        internal::call_slots::wait_for_calls(this);
    }
}

namespace {

constexpr std::size_t max_select_cases = 64;

// Per-thread xorshift: select only needs an unbiased-enough shuffle, not a good RNG.
std::uint32_t next_random() noexcept {
    thread_local std::uint32_t x =
        0x9e3779b9u ^ static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(&x) >> 4);
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

/// The distinct channels of a select, locked in address order so that two selects over the
/// same channels cannot deadlock.
class lock_set {
public:
    explicit lock_set(std::span<select_case> cases) noexcept {
        for (const auto& c : cases) {
            chans_[n_++] = c.ch;
        }
        std::sort(chans_.begin(), chans_.begin() + static_cast<std::ptrdiff_t>(n_));
        n_ = static_cast<std::size_t>(
            std::unique(chans_.begin(), chans_.begin() + static_cast<std::ptrdiff_t>(n_)) -
            chans_.begin());
    }
    void lock() noexcept {
        for (std::size_t i = 0; i < n_; ++i) {
            chans_[i]->mu_.lock();
        }
    }
    void unlock() noexcept {
        for (std::size_t i = n_; i-- > 0;) {
            chans_[i]->mu_.unlock();
        }
    }

private:
    std::array<chan_core*, max_select_cases> chans_{};
    std::size_t n_ = 0;
};

} // namespace

void chan_core::notify_one(waiter_queue& q) noexcept {
    mu_.lock();
    waiter* w = q.pop_live();
    mu_.unlock();
    wake(w);
}

void chan_core::wake_all_and_unlock() noexcept {
    waiter* to_wake = nullptr;
    for (waiter_queue* q : {&recvq_, &sendq_}) {
        while (waiter* w = q->pop_live()) {
            w->moved = false;
            w->next = to_wake; // out of every queue now: the link is free to reuse
            to_wake = w;
        }
    }
    mu_.unlock();
    while (to_wake != nullptr) {
        waiter* next = to_wake->next; // read before waking: the waiter's frame may vanish
        wake(to_wake);
        to_wake = next;
    }
}

namespace {

// Parks on `op` until fired or the deadline, waiting on `src` (if any) meanwhile; on timeout
// withdraws `withdraw` under `lock`. Returns false when the operation was cancelled by the
// deadline.
template <class Lock, class Withdraw>
bool park_op(op_state& op, const std::chrono::steady_clock::time_point* deadline, Lock& lock,
             Withdraw withdraw, value_source* src = nullptr) {
    const auto waited =
        src != nullptr ? src->wait(*op.park, deadline) : value_source::waited::gave_up;
    if (waited == value_source::waited::unparked) {
        return true;
    }
    if (waited == value_source::waited::gave_up) {
        if (deadline == nullptr) {
            op.park->park();
            return true;
        }
        if (op.park->park_until(*deadline)) {
            return true;
        }
    }
    lock.lock();
    int expected = op_state::pending;
    if (op.fired.compare_exchange_strong(expected, op_state::cancelled,
                                         std::memory_order_acq_rel)) {
        withdraw();
        lock.unlock();
        return false;
    }
    lock.unlock();
    op.park->park(); // fired concurrently: wait for its wake-up before the waiter goes away
    return true;
}

} // namespace

bool chan_core::block(waiter_queue& q, void* elem, bool& moved,
                      const std::chrono::steady_clock::time_point* deadline) {
    op_state op;
    op.park = &parker::current();
    op.park->prepare();
    waiter w;
    w.op = &op;
    w.elem = elem;
    q.push_back(&w);
    mu_.unlock();
    value_source* src = nullptr;
    if (&q == &sendq_) {
        notify_value_offered(); // a sender waits: its value can be taken now
    } else {
        notify_recv_request(); // queued first, then told: see chan_observer::on_recv_request
        src = enter_source();
    }
    if (!park_op(
            op, deadline, mu_, [&] { q.remove(&w); }, src)) {
        return false;
    }
    moved = w.moved;
    return true;
}

bool chan_core::wait_ready(bool for_send, const std::chrono::steady_clock::time_point* deadline) {
    op_state op;
    op.park = &parker::current();
    op.park->prepare();
    waiter w;
    w.op = &op;
    waiter_queue& q = queue(for_send);
    mu_.lock();
    q.push_back(&w);
    // Queued first, then checked: a peer that changed the ring before our check is seen here,
    // one that changes it after sees us in the queue (both sides are seq_cst).
    if (ready(for_send)) {
        q.remove(&w); // nobody can have fired w: that needs mu_
        mu_.unlock();
        return true;
    }
    mu_.unlock();
    value_source* src = nullptr;
    if (!for_send) {
        notify_recv_request(); // queued first, then told: see chan_observer::on_recv_request
        src = enter_source();
    }
    return park_op(
        op, deadline, mu_, [&] { q.remove(&w); }, src);
}

int select_erased(std::span<select_case> cases, bool has_default,
                  const std::chrono::steady_clock::time_point* deadline) {
    const std::size_t n = cases.size();
    assert(n <= max_select_cases);
    lock_set locks(cases);
    int woken_by = -1; // the case whose "try again" we last received

    // A "try again" we were given but did not use is passed on, or another waiter could sleep
    // through a value that is ready.
    auto finish = [&](int chosen) {
        if (woken_by >= 0 && woken_by != chosen) {
            const select_case& c = cases[static_cast<std::size_t>(woken_by)];
            if (c.ch->ready(c.is_send)) {
                c.ch->notify_one(c.ch->queue(c.is_send));
            }
        }
        return chosen;
    };

    for (const select_case& c : cases) {
        if (!c.is_send) {
            c.ch->notify_recv_request();
        }
    }
    for (;;) {
        // Poll in a random order so that no ready case starves another.
        std::array<std::uint8_t, max_select_cases> order{};
        std::iota(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), std::uint8_t{0});
        for (std::size_t i = n; i > 1; --i) {
            std::swap(order[i - 1], order[next_random() % i]);
        }

        locks.lock();
        for (std::size_t i = 0; i < n; ++i) {
            const auto k = order[i];
            const select_case& c = cases[k];
            waiter* to_wake = nullptr;
            const op_status st = c.is_send ? c.ch->try_send_erased(c.elem, to_wake)
                                           : c.ch->try_recv_erased(c.elem, to_wake);
            if (st == op_status::not_ready) {
                continue;
            }
            locks.unlock();
            wake(to_wake);
            if (st == op_status::closed) {
                if (c.is_send) {
                    finish(k);
                    throw closed_error();
                }
                c.ch->notify_recv_request(); // see chan::recv_until: a closed receive ends the
                                             // count
            }
            if (st == op_status::done) {
                c.ch->after_op(c.is_send);
                if (c.is_send) {
                    c.ch->notify_value_offered();
                }
            }
            return finish(k);
        }
        if (has_default || (deadline != nullptr && *deadline <= std::chrono::steady_clock::now())) {
            locks.unlock();
            return finish(-1);
        }

        op_state op;
        op.park = &parker::current();
        op.park->prepare();
        std::array<waiter, max_select_cases> ws;
        for (std::size_t i = 0; i < n; ++i) {
            ws[i].op = &op;
            ws[i].elem = cases[i].elem;
            ws[i].case_index = static_cast<int>(i);
            cases[i].ch->queue(cases[i].is_send).push_back(&ws[i]);
        }
        auto withdraw_all = [&] {
            for (std::size_t i = 0; i < n; ++i) {
                cases[i].ch->queue(cases[i].is_send).remove(&ws[i]);
            }
        };
        const bool ready_now = std::any_of(cases.begin(), cases.end(), [](const select_case& c) {
            return c.ch->ready(c.is_send);
        });
        if (ready_now) { // changed between the poll and the queueing: poll again
            withdraw_all();
            locks.unlock();
            continue;
        }
        locks.unlock();
        for (const select_case& c : cases) {
            if (c.is_send) {
                c.ch->notify_value_offered(); // a sender waits: its value can be taken now
            } else {
                c.ch->notify_recv_request(); // queued first, then told, as in block()
            }
        }

        if (!park_op(op, deadline, locks, withdraw_all)) {
            return finish(-1);
        }
        const int k = op.fired.load(std::memory_order_acquire);
        locks.lock();
        withdraw_all();
        locks.unlock();
        if (ws[static_cast<std::size_t>(k)].moved) {
            return finish(k); // an unbuffered peer completed our case
        }
        woken_by = k;
    }
}

} // namespace netchan::detail
