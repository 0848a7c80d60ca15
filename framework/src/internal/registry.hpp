#pragma once

#include "netchan/dir.hpp"

#include <memory>
#include <string>
#include <typeinfo>

namespace netchan::internal {

/// What an exporter offers to importers of its own process: the very channel, no wire.
/// Thread-safe.
class local_exports {
public:
    virtual ~local_exports() = default;
    /// Returns a `chan<T>*`-holding handle for `name` if it is exported here with C++ type
    /// `type` and direction `d` (the exporter's side); nullptr otherwise.
    virtual std::shared_ptr<void> local_handle(const std::string& name, const std::type_info& type,
                                               dir d) = 0;
};

/// Makes `x` findable by `endpoint` (tcp:// and ipc:// only: inproc:// keeps the wire path).
void register_exporter(const std::string& endpoint, local_exports* x);
/// Undoes register_exporter.
void unregister_exporter(const std::string& endpoint) noexcept;
/// Returns the handle of a same-process export, or nullptr.
std::shared_ptr<void> find_local(const std::string& endpoint, const std::string& name,
                                 const std::type_info& type, dir d);

} // namespace netchan::internal
