#pragma once

#include "netchan/directory_entry.hpp"

#include <cstdint>

namespace netchan {

/// A change in a directory, pushed to watchers.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct directory_event {
    /// What happened to the entry; on the wire, never renumbered.
    enum class kind : std::uint8_t {
        added = 1,   ///< a (name, endpoints) the directory did not have
        renewed = 2, ///< a known entry renewed its lease (with fresh counters)
        gone = 3,    ///< unregistered, or its lease ran out
    };

    kind what = kind::added;
    directory_entry entry;
};

/// Returns "added", "renewed" or "gone".
const char* to_string(directory_event::kind k) noexcept;

} // namespace netchan
