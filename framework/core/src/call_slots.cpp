#include "call_slots.hpp"

#include "netchan/detail/chan_core.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

namespace netchan::internal {

namespace {

// One thread's marks: the channels whose observers it is calling, innermost last. Calls nest
// when a call runs an I/O loop's work (io_loop::dispatch) that calls another channel's observer.
struct thread_calls {
    static constexpr unsigned max_depth = 4; // deeper calls share the last mark
    std::atomic<const void*> marks[max_depth] = {};
    unsigned depth = 0; // the thread's own

    thread_calls();
    ~thread_calls();
    thread_calls(const thread_calls&) = delete;
    thread_calls& operator=(const thread_calls&) = delete;

    bool calling(const void* channel) const noexcept {
        return std::any_of(std::begin(marks), std::end(marks),
                           [&](const auto& m) { return m.load() == channel; });
    }
};

struct thread_list {
    std::mutex mu;
    std::vector<const thread_calls*> threads; // guarded by mu
};

// Never destroyed: threads may end after static destruction began.
thread_list& all_threads() {
    static auto* list = new thread_list;
    return *list;
}

thread_calls::thread_calls() {
    auto& list = all_threads();
    std::lock_guard lock(list.mu);
    list.threads.push_back(this);
}

thread_calls::~thread_calls() {
    auto& list = all_threads();
    std::lock_guard lock(list.mu);
    list.threads.erase(std::find(list.threads.begin(), list.threads.end(), this));
}

// Constant-initialized, so reading it is a plain thread-local load (a thread_local with a
// constructor costs a call per access, which a channel operation would pay).
thread_local thread_calls* this_thread_calls = nullptr;

thread_calls& calls_of_this_thread() noexcept {
    if (this_thread_calls == nullptr) {
        thread_local thread_calls calls;
        this_thread_calls = &calls;
    }
    return *this_thread_calls;
}

bool register_membarrier() noexcept {
#if defined(__SANITIZE_THREAD__)
    return false;
#else
    return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#endif
}

} // namespace

const bool call_slots::membarrier_ok = register_membarrier();

void call_slots::wait_for_calls(const void* channel) noexcept {
    if (membarrier_ok) {
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    }
    const thread_calls* own = this_thread_calls; // null: this thread never called
    auto& list = all_threads();
    const auto calling = [&](const thread_calls* t) { return t != own && t->calling(channel); };
    for (;;) {
        {
            std::lock_guard lock(list.mu);
            if (std::none_of(list.threads.begin(), list.threads.end(), calling)) {
                return;
            }
        }
        std::this_thread::yield(); // a call may be running an I/O loop's work: short still
    }
}

} // namespace netchan::internal

namespace netchan::detail {

namespace {

// Marks the calling thread as calling `channel`'s observer, for the scope's duration. Here,
// next to the thread's marks, so that finding them is a plain thread-local load.
class observer_call {
public:
    explicit observer_call(const chan_core* channel) noexcept
        : t_(internal::calls_of_this_thread()),
          mark_(t_.marks[std::min(t_.depth, internal::thread_calls::max_depth - 1)]),
          outer_(mark_.load(std::memory_order_relaxed)) { // set only past max_depth
        internal::call_slots::mark(mark_, channel);
        ++t_.depth;
    }
    ~observer_call() {
        --t_.depth;
        mark_.store(outer_, std::memory_order_release);
    }
    observer_call(const observer_call&) = delete;
    observer_call& operator=(const observer_call&) = delete;

private:
    internal::thread_calls& t_;
    std::atomic<const void*>& mark_;
    const void* outer_;
};

} // namespace

void chan_core::call_observer(void (chan_observer::*call)() noexcept) noexcept {
    const observer_call in_call(this);
    if (chan_observer* o = observer_.load()) {
        (o->*call)();
    }
}

value_source* chan_core::call_observer(value_source* (chan_observer::*call)() noexcept) noexcept {
    const observer_call in_call(this);
    chan_observer* o = observer_.load();
    return o != nullptr ? (o->*call)() : nullptr;
}

} // namespace netchan::detail
