#pragma once

#include <atomic>

namespace netchan::internal {

/// Which channels' observers each thread is calling (calls nest when one runs an I/O loop's
/// work), so that clearing an observer can wait for the calls under way before the observer is
/// destroyed (chan_core::observer).
///
/// A caller marks its slot and then reads the observer pointer; the clearer stores nullptr and
/// then scans the slots. For either to see the other, both sides need a full fence between
/// their store and their load. The callers, on every channel operation, get away with a
/// compiler-only fence: the clearer, which runs once per link's end, makes every thread of the
/// process execute a full fence (membarrier(2)), as hazard pointers do. Without membarrier (or
/// under ThreadSanitizer, which does not model it), both sides use seq_cst stores and loads.
/// Thread-safe.
class call_slots {
public:
    /// Marks `slot` (the caller's) as calling the observer of `channel` (or of none, with
    /// nullptr), ordered before the caller's next load of the observer pointer, which must be
    /// seq_cst.
    static void mark(std::atomic<const void*>& slot, const void* channel) noexcept {
        if (membarrier_ok) {
            slot.store(channel, std::memory_order_relaxed);
            std::atomic_signal_fence(std::memory_order_seq_cst); // the clearer fences for us
        } else {
            slot.store(channel, std::memory_order_seq_cst);
        }
    }

    /// After the observer of `channel` was cleared (a seq_cst store): returns once no thread
    /// (other than the caller) is inside a call of it.
    static void wait_for_calls(const void* channel) noexcept;

private:
    static const bool membarrier_ok;
};

} // namespace netchan::internal
