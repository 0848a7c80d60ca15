#include "internal/directory_store.hpp"

#include <algorithm>

namespace netchan::internal {

directory_event directory_store::put(directory_entry e, clock::time_point now) {
    if (e.lease <= std::chrono::milliseconds(0) || e.lease > max_lease_) {
        e.lease = max_lease_;
    }
    e.lease_left = e.lease;
    dirproto::entry_key key{e.name, e.endpoints};
    const auto expires = now + e.lease;
    auto [it, added] = entries_.try_emplace(std::move(key), slot{e, expires});
    if (!added) {
        it->second = slot{e, expires};
    }
    return {added ? directory_event::kind::added : directory_event::kind::renewed, std::move(e)};
}

bool directory_store::erase(const dirproto::entry_key& key, std::vector<directory_event>& events) {
    const auto it = entries_.find(key);
    if (it == entries_.end()) {
        return false;
    }
    auto e = std::move(it->second.entry);
    e.lease_left = std::chrono::milliseconds(0);
    entries_.erase(it);
    events.push_back({directory_event::kind::gone, std::move(e)});
    return true;
}

void directory_store::expire(clock::time_point now, std::vector<directory_event>& events) {
    // A full scan: at 10,000 entries it takes well under a millisecond, and the server runs it
    // a few times per lease, not per request.
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second.expires <= now) {
            auto e = std::move(it->second.entry);
            e.lease_left = std::chrono::milliseconds(0);
            events.push_back({directory_event::kind::gone, std::move(e)});
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
}

directory_entry directory_store::with_lease_left(const slot& s, clock::time_point now) {
    directory_entry e = s.entry;
    e.lease_left = std::max(std::chrono::milliseconds(0),
                            std::chrono::duration_cast<std::chrono::milliseconds>(s.expires - now));
    return e;
}

void directory_store::list(clock::time_point now, std::vector<directory_entry>& out) const {
    out.reserve(out.size() + entries_.size());
    for (const auto& [key, s] : entries_) {
        out.push_back(with_lease_left(s, now));
    }
}

void directory_store::resolve(const std::string& name, clock::time_point now,
                              std::vector<directory_entry>& out) const {
    for (auto it = entries_.lower_bound(dirproto::entry_key{name, {}});
         it != entries_.end() && it->first.name == name; ++it) {
        out.push_back(with_lease_left(it->second, now));
    }
}

} // namespace netchan::internal
