#pragma once

#include "netchan/detail/chan_state.hpp"
#include "netchan/error.hpp"

#include <chrono>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

namespace netchan {

template <class T>
class chan;

namespace detail {

/// What select and the layers built on channels may do that users may not: reach the shared
/// state, and try a send that leaves the value with the caller when it does not go through.
struct chan_access {
    template <class T>
    static chan_state<T>& state(const chan<T>& c) noexcept {
        return *c.state_;
    }
    /// Like try_send, but moves from `value` only when it was sent. @threadsafe
    template <class T>
    [[nodiscard]] static bool try_send_keep(chan<T>& c, T& value) {
        return c.send_until(value, nullptr);
    }
};

} // namespace detail

/// A typed channel with Go semantics, shared by every copy of the handle.
///
/// `chan<T> c(n)` buffers up to n values; n = 0 is unbuffered: a send completes only when a
/// receiver takes the value. Any number of threads may send and receive at once; waiters are
/// served first come, first served. A send happens-before the receive that gets its value.
/// After close(), receivers get every buffered value, then an empty optional; a send throws
/// closed_error. T's move constructor should not throw (a throw while handing a value to a
/// blocked peer cannot be undone and terminates the program).
///
/// @code
/// netchan::chan<int> c(16);
/// std::jthread producer([c]() mutable {
///     for (int i = 0; i < 100; ++i) c.send(i);
///     c.close();
/// });
/// for (int v : c) std::cout << v << '\n'; // until closed and drained
/// @endcode
///
/// A moved-from chan has no channel; only assignment and destruction are valid on it.
/// Thread-safe.
template <class T>
class chan {
public:
    using value_type = T;
    using clock = std::chrono::steady_clock;

    /// Makes a new channel that buffers `capacity` values (0: unbuffered).
    explicit chan(std::size_t capacity = 0)
        : state_(std::make_shared<detail::chan_state<T>>(capacity)) {}

    /// Blocks while the channel is full. Throws closed_error if it is or becomes closed.
    /// @threadsafe
    void send(T value) { (void)send_until(value, &forever); }

    /// Blocks until a value is available or the channel is closed and drained.
    /// Returns the value, or an empty optional once closed and drained.
    /// @threadsafe
    [[nodiscard]] std::optional<T> recv() { return recv_until(&forever); }

    /// Sends only if that needs no waiting. Returns whether the value was sent.
    /// Throws closed_error on a closed channel. @threadsafe
    [[nodiscard]] bool try_send(T value) { return send_until(value, nullptr); }

    /// Returns a value if one is ready now; empty when none is or when closed and drained.
    /// @threadsafe
    [[nodiscard]] std::optional<T> try_recv() { return recv_until(nullptr); }

    /// Like send(), giving up after `timeout`. Returns whether the value was sent.
    /// @threadsafe
    template <class Rep, class Period>
    [[nodiscard]] bool send_for(T value, std::chrono::duration<Rep, Period> timeout) {
        const auto deadline = deadline_after(timeout);
        return send_until(value, &deadline);
    }

    /// Like recv(), giving up after `timeout`. Returns empty on timeout or when closed and
    /// drained (closed() tells which). @threadsafe
    template <class Rep, class Period>
    [[nodiscard]] std::optional<T> recv_for(std::chrono::duration<Rep, Period> timeout) {
        const auto deadline = deadline_after(timeout);
        return recv_until(&deadline);
    }

    /// Closes the channel: blocked and later senders throw closed_error; receivers drain what
    /// is buffered and then get empty optionals. Idempotent. @threadsafe
    void close() noexcept { state_->close(); }

    /// Returns whether close() was called (values may still be buffered). @threadsafe
    [[nodiscard]] bool closed() const noexcept { return state_->closed(); }

    /// Returns the number of buffered values (a snapshot). @threadsafe
    [[nodiscard]] std::size_t size() const noexcept { return state_->size(); }

    /// Returns the buffer capacity given at construction. @threadsafe
    [[nodiscard]] std::size_t capacity() const noexcept { return state_->capacity(); }

    /// Returns whether both handles refer to the same channel.
    friend bool operator==(const chan& a, const chan& b) noexcept { return a.state_ == b.state_; }

    /// Input iterator receiving until the channel is closed and drained (range-for support).
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        explicit iterator(chan* c) : chan_(c) { ++*this; }
        T& operator*() noexcept { return *current_; }
        T* operator->() noexcept { return &*current_; }
        iterator& operator++() {
            current_ = chan_->recv();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return !it.current_.has_value();
        }

    private:
        chan* chan_ = nullptr;
        std::optional<T> current_;
    };

    /// Starts receiving; see iterator.
    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() noexcept { return {}; }

private:
    friend struct detail::chan_access;

    using op_status = detail::op_status;

    // A deadline pointer: nullptr means "do not wait", &forever means "no deadline".
    static constexpr clock::time_point forever = clock::time_point::max();

    template <class Rep, class Period>
    static clock::time_point deadline_after(std::chrono::duration<Rep, Period> timeout) {
        if (timeout > std::chrono::hours(24 * 365 * 100)) {
            return forever; // would overflow the clock; no wait is that long
        }
        return clock::now() + std::chrono::duration_cast<clock::duration>(timeout);
    }

    static const clock::time_point* wait_limit(const clock::time_point* deadline) noexcept {
        return deadline == &forever ? nullptr : deadline;
    }

    bool send_until(T& value, const clock::time_point* deadline) {
        const bool sent = send_loop(value, deadline);
        if (sent) {
            state_->notify_value_offered();
        }
        return sent;
    }

    bool send_loop(T& value, const clock::time_point* deadline) {
        auto& s = *state_;
        for (;;) {
            op_status st;
            if (s.lock_free()) {
                st = s.push(value);
                if (st == op_status::not_ready && deadline != nullptr) {
                    if (!s.wait_ready(true, wait_limit(deadline))) {
                        return false;
                    }
                    continue;
                }
            } else {
                detail::waiter* to_wake = nullptr;
                s.mu_.lock();
                st = s.send_locked(value, to_wake);
                if (st == op_status::not_ready && deadline != nullptr) {
                    bool moved = false;
                    if (!s.block(s.sendq_, &value, moved, wait_limit(deadline))) {
                        return false;
                    }
                    if (moved) {
                        return true;
                    }
                    continue; // woken by close(): poll again
                }
                s.mu_.unlock();
                detail::wake(to_wake);
            }
            if (st == op_status::closed) {
                throw closed_error();
            }
            return st == op_status::done;
        }
    }

    std::optional<T> recv_until(const clock::time_point* deadline) {
        state_->notify_recv_request();
        std::optional<T> out = take_until(deadline);
        if (!out) {
            // The request ended empty-handed (closed, timed out): everything taken before is
            // consumed. Say so again, as the observer may have counted before the last values
            // arrived, and a closed channel gets no further request to correct it.
            state_->notify_recv_request();
        }
        return out;
    }

    std::optional<T> take_until(const clock::time_point* deadline) {
        auto& s = *state_;
        std::optional<T> out;
        for (;;) {
            op_status st;
            if (s.lock_free()) {
                st = s.pop(out);
                if (st == op_status::not_ready && deadline != nullptr) {
                    if (!s.wait_ready(false, wait_limit(deadline))) {
                        (void)s.pop(out); // one last look: a value may have come with the deadline
                        return out;
                    }
                    continue;
                }
            } else {
                detail::waiter* to_wake = nullptr;
                s.mu_.lock();
                st = s.recv_locked(out, to_wake);
                if (st == op_status::not_ready && deadline != nullptr) {
                    bool moved = false;
                    if (!s.block(s.recvq_, &out, moved, wait_limit(deadline)) || moved) {
                        return out;
                    }
                    continue;
                }
                s.mu_.unlock();
                detail::wake(to_wake);
            }
            return out;
        }
    }

    std::shared_ptr<detail::chan_state<T>> state_;
};

} // namespace netchan
