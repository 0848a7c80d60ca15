#pragma once

#include <exception>
#include <functional>
#include <list>
#include <mutex>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace netchan {

/// A scope of actors: each spawned function runs on its own thread until it returns; the group
/// joins them all when it ends and rethrows the first exception any of them threw.
///
/// An actor that throws requests stop for the whole group, so its siblings can wind down: they
/// see it on the std::stop_token they were given, and callbacks registered with on_stop() run
/// (typically closing channels, which wakes actors blocked on them).
///
/// @code
/// netchan::chan<int> nums(16);
/// {
///     netchan::actor_group group;
///     group.spawn([nums]() mutable { for (int i = 0; i < 10; ++i) nums.send(i); nums.close(); });
///     group.spawn([nums]() mutable { for (int v : nums) std::cout << v << '\n'; });
/// } // joins both; rethrows if one threw
/// @endcode
///
/// The destructor throws (the first actor exception) unless the scope is already unwinding from
/// another exception: that is what makes failures in actors impossible to ignore. Call wait() to
/// take the exception at a point of your choosing instead.
/// Thread-safe.
class actor_group {
public:
    actor_group() = default;
    actor_group(const actor_group&) = delete;
    actor_group& operator=(const actor_group&) = delete;

    /// Joins every actor; rethrows the first actor exception not yet rethrown by wait(), unless
    /// the scope is unwinding (then stop is requested before joining, and the error is dropped).
    ~actor_group() noexcept(false);

    /// Starts `fn(args...)` on a new thread, passing the group's std::stop_token first when `fn`
    /// accepts one. @threadsafe
    template <class F, class... Args>
    void spawn(F&& fn, Args&&... args) {
        auto body = [this, fn = std::forward<F>(fn),
                     ... args = std::forward<Args>(args)]() mutable {
            try {
                if constexpr (std::is_invocable_v<F&, std::stop_token, Args&...>) {
                    fn(stop_.get_token(), args...);
                } else {
                    fn(args...);
                }
            } catch (...) {
                fail(std::current_exception());
            }
        };
        std::lock_guard lock(mu_);
        threads_.emplace_back(std::move(body));
    }

    /// Asks every actor to stop: their stop tokens flip and on_stop() callbacks run. @threadsafe
    void request_stop() noexcept;

    /// Registers `fn` to run once when stop is requested (at once if it already was). @threadsafe
    void on_stop(std::function<void()> fn);

    /// Returns the token every actor of this group gets. @threadsafe
    [[nodiscard]] std::stop_token stop_token() const noexcept { return stop_.get_token(); }

    /// Joins every actor spawned so far, then rethrows the first exception one of them threw.
    void wait();

private:
    void fail(std::exception_ptr e) noexcept;
    void join_all() noexcept;

    std::stop_source stop_;
    std::mutex mu_;
    std::vector<std::thread> threads_;                               // guarded by mu_
    std::list<std::stop_callback<std::function<void()>>> callbacks_; // guarded by mu_ (immovable)
    std::exception_ptr first_error_;                                 // guarded by mu_
    int uncaught_at_start_ = std::uncaught_exceptions();
};

} // namespace netchan
