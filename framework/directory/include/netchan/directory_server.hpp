#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace netchan {

namespace detail {
class directory_server_impl;
}

/// Settings of a directory server.
struct directory_server_options {
    /// Longest lease granted; registrants asking for more get this (and renew sooner).
    std::chrono::milliseconds max_lease{5000};
    /// A watcher that does not subscribe again within this long is dropped.
    std::chrono::milliseconds watch_lease{10000};
    /// Larger requests are refused (ZMQ_MAXMSGSIZE: tcp/ipc peers sending one are disconnected).
    std::size_t max_message_bytes = std::size_t{4} << 20;
};

/// A directory: maps channel names to exports, with leases, and pushes changes to watchers
/// (docs/design.md section 5; protocol in docs/directory.md).
///
/// Binds one ZeroMQ ROUTER socket; one I/O thread owns it and all state. State is soft: entries
/// live only as long as their registrants renew them, so a restarted directory is refilled by the
/// next renewals. Garbage, unknown requests and oversized frames get error replies (or a
/// disconnect), never a crash; replies to peers that do not read are dropped, never queued
/// without bound.
///
/// @code
/// netchan::directory_server dir("tcp://127.0.0.1:*");
/// netchan::directory_client client({dir.endpoint()});
/// for (const auto& e : client.list()) std::cout << e.name << '\n';
/// @endcode
/// Thread-safe.
class directory_server {
public:
    /// Binds `endpoint` (a `:*` port picks a free one) and starts serving.
    /// Throws transport_error naming the endpoint when it cannot bind.
    explicit directory_server(const std::string& endpoint, directory_server_options options = {});
    /// Stops serving within a bounded time; registrants and watchers are not told.
    ~directory_server();
    directory_server(const directory_server&) = delete;
    directory_server& operator=(const directory_server&) = delete;

    /// Returns the endpoint actually bound.
    [[nodiscard]] const std::string& endpoint() const noexcept;

    /// Returns the number of live entries.
    [[nodiscard]] std::size_t size() const;

    /// Returns the number of subscribed watchers.
    [[nodiscard]] std::size_t watchers() const;

private:
    std::unique_ptr<detail::directory_server_impl> impl_;
};

} // namespace netchan
