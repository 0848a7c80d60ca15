#pragma once

#include "netchan/chan.hpp"
#include "netchan/detail/chan_core.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

namespace netchan {

namespace detail {
struct no_action {
    void operator()() const noexcept {}
};
} // namespace detail

/// A select case receiving from `ch`; `fn(std::optional<T>)` gets the value, or an empty optional
/// once the channel is closed and drained.
template <class T, class F>
struct recv_case {
    chan<T> ch;
    F fn;
    std::optional<T> slot{};
};

/// A select case sending `value` on `ch`, then calling `fn()`.
template <class T, class F>
struct send_case {
    chan<T> ch;
    T value;
    F fn;
};

/// A select case taken when no channel case is ready within `timeout`.
template <class F>
struct timeout_case {
    std::chrono::steady_clock::duration timeout;
    F fn;
};

/// A select case taken at once when no channel case is ready (Go's `default:`).
template <class F>
struct default_case {
    F fn;
};

/// Returns a case receiving from `ch` into `fn(std::optional<T>)`.
template <class T, class F>
recv_case<T, std::decay_t<F>> on_recv(const chan<T>& ch, F&& fn) {
    return {ch, std::forward<F>(fn)};
}

/// Returns a case sending `value` on `ch`, then calling `fn()`.
template <class T, class U, class F = detail::no_action>
send_case<T, std::decay_t<F>> on_send(const chan<T>& ch, U&& value, F&& fn = {}) {
    return {ch, T(std::forward<U>(value)), std::forward<F>(fn)};
}

/// Returns a case taken when nothing else is ready within `timeout`.
template <class Rep, class Period, class F = detail::no_action>
timeout_case<std::decay_t<F>> after(std::chrono::duration<Rep, Period> timeout, F&& fn = {}) {
    return {std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout),
            std::forward<F>(fn)};
}

/// Returns a case taken at once when no channel case is ready.
template <class F = detail::no_action>
default_case<std::decay_t<F>> otherwise(F&& fn = {}) {
    return {std::forward<F>(fn)};
}

namespace detail {

template <class C>
struct case_kind {
    static constexpr bool is_chan = false;
};
template <class T, class F>
struct case_kind<recv_case<T, F>> {
    static constexpr bool is_chan = true;
};
template <class T, class F>
struct case_kind<send_case<T, F>> {
    static constexpr bool is_chan = true;
};

struct select_plan {
    std::span<select_case> erased;
    std::size_t next = 0;
    bool has_default = false;
    std::optional<std::chrono::steady_clock::time_point> deadline{};
};

template <class T, class F>
void plan(recv_case<T, F>& c, select_plan& p) {
    p.erased[p.next++] = {&detail::chan_access::state(c.ch), &c.slot, false};
}
template <class T, class F>
void plan(send_case<T, F>& c, select_plan& p) {
    p.erased[p.next++] = {&detail::chan_access::state(c.ch), &c.value, true};
}
template <class F>
void plan(timeout_case<F>& c, select_plan& p) {
    p.deadline = std::chrono::steady_clock::now() + c.timeout;
}
template <class F>
void plan(default_case<F>&, select_plan& p) {
    p.has_default = true;
}

template <class C>
void run_if_chosen(C& c, int chosen, int& chan_index, std::size_t& arg, std::size_t& ran) {
    if constexpr (case_kind<C>::is_chan) {
        if (chan_index++ == chosen) {
            ran = arg;
            if constexpr (requires { c.slot; }) {
                c.fn(std::move(c.slot));
            } else {
                c.fn();
            }
        }
    } else if (chosen < 0) {
        ran = arg;
        c.fn();
    }
    ++arg;
}

} // namespace detail

/// Waits until one of the cases can proceed and runs it; fair among ready cases (chosen at random).
///
/// Cases: on_recv, on_send, and at most one of after(timeout) or otherwise(). Without either,
/// blocks until a channel case proceeds. A receive case on a closed, drained channel is always
/// ready (its handler gets an empty optional). Returns the position of the case that ran.
/// Throws closed_error when the chosen case is a send on a closed channel.
/// @threadsafe
template <class... Cases>
std::size_t select(Cases&&... cases) {
    constexpr std::size_t n_chan =
        (std::size_t{detail::case_kind<std::remove_cvref_t<Cases>>::is_chan} + ... + 0);
    static_assert(sizeof...(Cases) - n_chan <= 1,
                  "select takes at most one after() or otherwise()");
    static_assert(n_chan <= 64, "select takes at most 64 channel cases");
    std::array<detail::select_case, n_chan> erased{};
    detail::select_plan p{erased};
    (detail::plan(cases, p), ...);
    const int chosen =
        detail::select_erased(erased, p.has_default, p.deadline ? &*p.deadline : nullptr);
    int chan_index = 0;
    std::size_t arg = 0;
    std::size_t ran = 0;
    (detail::run_if_chosen(cases, chosen, chan_index, arg, ran), ...);
    return ran;
}

} // namespace netchan
