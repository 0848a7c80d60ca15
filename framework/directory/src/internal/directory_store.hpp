#pragma once

#include "netchan/directory_entry.hpp"
#include "netchan/directory_event.hpp"

#include "internal/directory_protocol.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace netchan::internal {

/// A directory's table: entries keyed by (name, endpoints), each with the time its lease ends.
/// Kept apart from sockets so that leases and events can be tested with a fake clock.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class directory_store {
public:
    using clock = std::chrono::steady_clock;

    explicit directory_store(std::chrono::milliseconds max_lease) : max_lease_(max_lease) {}

    /// Adds or renews `e`, its lease cut to the maximum (a lease of 0 means the maximum).
    /// Returns the event to tell watchers (added or renewed, with the lease granted).
    directory_event put(directory_entry e, clock::time_point now);

    /// Removes the entry of `key`; returns true (and appends a gone event) when it was there.
    bool erase(const dirproto::entry_key& key, std::vector<directory_event>& events);

    /// Removes the entries whose lease ran out by `now`, appending a gone event for each.
    void expire(clock::time_point now, std::vector<directory_event>& events);

    /// Appends every entry, ordered by name, with lease_left as of `now`.
    void list(clock::time_point now, std::vector<directory_entry>& out) const;

    /// Appends the entries of `name`, with lease_left as of `now`.
    void resolve(const std::string& name, clock::time_point now,
                 std::vector<directory_entry>& out) const;

    std::size_t size() const noexcept { return entries_.size(); }
    std::chrono::milliseconds max_lease() const noexcept { return max_lease_; }

private:
    struct slot {
        directory_entry entry;
        clock::time_point expires;
    };
    static directory_entry with_lease_left(const slot& s, clock::time_point now);

    std::chrono::milliseconds max_lease_;
    std::map<dirproto::entry_key, slot> entries_;
};

} // namespace netchan::internal
