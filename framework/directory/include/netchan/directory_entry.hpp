#pragma once

#include "netchan/dir.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netchan {

/// One export as a directory knows it (docs/design.md section 5).
///
/// A directory keys its entries by (name, endpoints): several exporters of one name are several
/// entries. Registrants send the whole entry at each renewal, so a restarted directory learns it
/// again without help.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct directory_entry {
    std::string name{};                   ///< the channel's name
    std::string type{};                   ///< type descriptor, e.g. "int64"
    dir direction = dir::send;            ///< as exported: `send` means the exporter sends
    std::vector<std::string> endpoints{}; ///< where importers connect; reachable by other hosts
    std::string host{};                   ///< the exporter's host name or address
    std::int64_t pid = 0;                 ///< the exporter's process id
    std::chrono::system_clock::time_point start{}; ///< when the export was added
    std::chrono::milliseconds lease{0};      ///< lease granted; the entry goes this long unrenewed
    std::chrono::milliseconds lease_left{0}; ///< when listed: time until the lease runs out
    std::map<std::string, std::uint64_t> counters{}; ///< e.g. sent, received, importers, errors
};

} // namespace netchan
