#pragma once

#include "netchan/directory_entry.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace netchan {

namespace detail {
class directory_registrar_impl;
}

/// Supplies the counters of the entry `name` at each renewal (sent, received, importers, ...).
/// Called on the registrar's thread; must not block and must not call back into the registrar.
using directory_counters_fn =
    std::function<std::map<std::string, std::uint64_t>(const std::string& name)>;

/// Keeps entries registered with every directory: what an exporter owns (docs/design.md section 5).
///
/// One background thread registers each entry as soon as it is added and renews all of them
/// with every directory about every lease/3 (sooner when a directory grants a shorter lease).
/// A directory that is down is retried until it answers; a restarted one is refilled by the
/// next renewal. Nothing here throws for a directory being unreachable.
///
/// @code
/// netchan::directory_registrar reg(netchan::directory_endpoints(), std::chrono::seconds(5),
///                                  [&](const std::string& n) { return counters_of(n); });
/// reg.add({.name = "jobs", .type = "int64", .direction = netchan::dir::send,
///          .endpoints = {netchan::advertised_endpoint(exp.endpoint())}});
/// @endcode
/// Thread-safe.
class directory_registrar {
public:
    /// Starts the renewal thread. Throws error when `directories` is empty or `lease` is under
    /// 30 ms.
    explicit directory_registrar(std::vector<std::string> directories,
                                 std::chrono::milliseconds lease = std::chrono::seconds(5),
                                 directory_counters_fn counters = {});
    /// Unregisters every entry from the directories that answer within about 500 ms, then stops.
    ~directory_registrar();
    directory_registrar(const directory_registrar&) = delete;
    directory_registrar& operator=(const directory_registrar&) = delete;

    /// Registers `entry` (replacing one of the same name and endpoints) and keeps it renewed.
    /// Fills what is left empty: host (advertise_host()), pid (this process), start (now);
    /// the lease is the registrar's. Throws error when the name or the endpoints are empty.
    void add(directory_entry entry);

    /// Unregisters every entry of `name` added here; no effect for a name never added.
    void remove(const std::string& name);

    /// Waits until a directory acknowledged all adds and removes made before this call (so a
    /// query sent to it afterwards sees them); returns false when none did within `timeout`.
    [[nodiscard]] bool sync(std::chrono::milliseconds timeout);

private:
    std::unique_ptr<detail::directory_registrar_impl> impl_;
};

} // namespace netchan
