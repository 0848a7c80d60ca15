#pragma once

#include "netchan/error_event.hpp"
#include "netchan/importer.hpp"

#include "import_group.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace netchan::internal {

/// An importer's connection to one exporter, as imports by name use it: one link per group.
/// Thread-safe.
class import_connection {
public:
    virtual ~import_connection() = default;
    /// Imports the group's channel from this exporter as a link of `g`. Throws error when the
    /// exporter refuses or does not answer within the import timeout.
    virtual void add_link(import_group& g, std::uint64_t limit) = 0;
    /// Ends every link of `g`.
    virtual void hangup(const import_group& g) = 0;
    /// Adds the counters of the links of `g` to `sum`; returns whether there was one.
    virtual bool add_stats(const import_group& g, import_stats& sum) = 0;
    /// As importer::drain, for this connection's links.
    virtual bool drain(std::chrono::milliseconds timeout) = 0;
    /// Hangs up every link and stops the I/O thread; the links stay allocated until the
    /// connection is destroyed, so that every connection can be stopped before any is freed.
    virtual void shut() = 0;
};

/// Connects to the exporter at `endpoint`; asynchronous errors go to `errors`.
std::unique_ptr<import_connection> connect_exporter(const std::string& endpoint,
                                                    const importer_options& options,
                                                    chan<error_event> errors);

} // namespace netchan::internal
