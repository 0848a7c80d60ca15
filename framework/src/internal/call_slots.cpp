#include "internal/call_slots.hpp"

#include "netchan/detail/chan_core.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace netchan::internal {

namespace {

struct slot_list {
    std::mutex mu;
    std::vector<std::atomic<const void*>*> slots; // guarded by mu
};

// Never destroyed: threads may end after static destruction began.
slot_list& all_slots() {
    static auto* list = new slot_list;
    return *list;
}

// The slot itself, registered for the life of the thread.
struct thread_slot {
    std::atomic<const void*> channel{nullptr};
    thread_slot() {
        auto& list = all_slots();
        std::lock_guard lock(list.mu);
        list.slots.push_back(&channel);
    }
    ~thread_slot() {
        auto& list = all_slots();
        std::lock_guard lock(list.mu);
        list.slots.erase(std::find(list.slots.begin(), list.slots.end(), &channel));
    }
    thread_slot(const thread_slot&) = delete;
    thread_slot& operator=(const thread_slot&) = delete;
};

// Constant-initialized, so reading it is a plain thread-local load (a thread_local with a
// constructor costs a call per access, which a channel operation would pay).
thread_local std::atomic<const void*>* this_thread_slot = nullptr;

std::atomic<const void*>* register_this_thread() {
    thread_local thread_slot slot;
    this_thread_slot = &slot.channel;
    return this_thread_slot;
}

std::atomic<const void*>& slot_of_this_thread() noexcept {
    std::atomic<const void*>* slot = this_thread_slot;
    return slot != nullptr ? *slot : *register_this_thread();
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
    const std::atomic<const void*>* own = this_thread_slot; // null: this thread never called
    auto& list = all_slots();
    const auto calling = [&](const std::atomic<const void*>* slot) {
        return slot != own && slot->load() == channel;
    };
    for (;;) {
        {
            std::lock_guard lock(list.mu);
            if (std::none_of(list.slots.begin(), list.slots.end(), calling)) {
                return;
            }
        }
        std::this_thread::yield(); // a call is a few atomic operations and a post
    }
}

} // namespace netchan::internal

namespace netchan::detail {

// Here, next to the thread's slot, so that finding it is a plain thread-local load.
void chan_core::call_observer(void (chan_observer::*call)() noexcept) noexcept {
    auto& slot = internal::slot_of_this_thread();
    const void* outer = slot.load(std::memory_order_relaxed);
    internal::call_slots::mark(slot, this);
    if (chan_observer* o = observer_.load()) {
        (o->*call)();
    }
    slot.store(outer, std::memory_order_release);
}

} // namespace netchan::detail
