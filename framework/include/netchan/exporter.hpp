#pragma once

#include "netchan/chan.hpp"
#include "netchan/detail/port.hpp"
#include "netchan/dir.hpp"
#include "netchan/error_event.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace netchan {

namespace detail {
class exporter_impl;
}

/// Settings of one export.
struct export_options {
    /// For a recv export: close the local channel once every importer that connected has
    /// closed its side and all its values were delivered (what a pipeline's sink needs).
    bool close_when_importers_done = false;
};

/// Counters of one export. Thread-compatible: const members may run concurrently; mutation
/// needs external sync.
struct export_stats {
    std::uint64_t sent = 0;               ///< values sent to importers (send exports)
    std::uint64_t received = 0;           ///< values received from importers (recv exports)
    std::uint64_t acknowledged = 0;       ///< values the other side acknowledged
    std::uint64_t in_flight = 0;          ///< sent or received, not yet acknowledged
    std::uint64_t importers = 0;          ///< importers attached now
    std::uint64_t errors = 0;             ///< bad frames and bad values on this export
    std::uint64_t redelivered = 0;        ///< values sent again after their importer was lost
    std::uint64_t duplicates_dropped = 0; ///< values received twice (after a reconnect)
    std::uint64_t peers_lost = 0;         ///< importers declared lost (silent too long)
};

/// Settings of an exporter.
struct exporter_options {
    std::size_t max_frame_bytes = std::size_t{64} << 20; ///< larger frames are refused
    std::size_t errors_capacity = 1024; ///< error events kept unread before new ones are dropped
    /// How often each importer is told that this exporter lives.
    std::chrono::milliseconds heartbeat_interval{500};
    /// An importer not heard from for this long is lost: what it held unacknowledged goes to the
    /// other importers (or waits for the next one).
    std::chrono::milliseconds peer_timeout{2500};
    /// Directories to register every export with (see directory_endpoints()); none: exports
    /// are found by this exporter's endpoint only. Registrations are renewed, with the export's
    /// counters, every lease/3, and end when the export or the exporter does.
    std::vector<std::string> directories{};
    std::chrono::milliseconds lease{5000}; ///< how long a registration outlives this process
};

/// Makes local channels available to other processes under names (Go's netchan Exporter).
///
/// Binds one ZeroMQ ROUTER socket at the endpoint (tcp://, ipc:// or inproc://) and serves every
/// export through it; one I/O thread owns the socket. Importers attach per channel name.
/// A `send` export is fed by this process: each value goes to exactly one importer, chosen by
/// free credit. A `recv` export is fed by importers: their values are merged into the channel.
///
/// @code
/// netchan::exporter exp("tcp://127.0.0.1:*");
/// netchan::chan<int> jobs(64);
/// exp.export_chan("jobs", jobs, netchan::dir::send);
/// for (int i = 0; i < 100; ++i) jobs.send(i);
/// jobs.close();                         // importers see every value, then closed
/// exp.drain(std::chrono::seconds(5));   // wait until importers acknowledged all
/// @endcode
/// Thread-safe.
class exporter {
public:
    /// Binds `endpoint` (a `:*` port picks a free one). Throws transport_error.
    explicit exporter(const std::string& endpoint, exporter_options options = {});
    /// Hangs up every export and stops, without waiting for acknowledgements (use drain()).
    ~exporter();
    exporter(const exporter&) = delete;
    exporter& operator=(const exporter&) = delete;

    /// Returns the endpoint actually bound, for importers to connect to.
    [[nodiscard]] const std::string& endpoint() const noexcept;

    /// Exports `ch` under `name`. Throws error when the name is taken.
    template <class T>
    void export_chan(const std::string& name, chan<T> ch, dir d, export_options options = {}) {
        add(name, std::make_unique<detail::typed_port<T>>(std::move(ch)), d, options);
    }

    /// Exports a channel of values already encoded, under the type descriptor `type`: for tools
    /// that learn a type only at run time. Importers see an ordinary channel of that type.
    void export_encoded(const std::string& name, const std::string& type, chan<encoded> ch, dir d,
                        export_options options = {}) {
        add(name, std::make_unique<detail::typed_port<encoded>>(std::move(ch), type), d, options);
    }

    /// Ends the export `name`: its importers' channels close. Throws error for an unknown name.
    void hangup(const std::string& name);

    /// Waits until every value taken from the send exports' channels was acknowledged and those
    /// channels are empty. Returns false on timeout.
    [[nodiscard]] bool drain(std::chrono::milliseconds timeout);

    /// Waits until every value taken so far from the send exports' channels was acknowledged.
    /// Returns false on timeout.
    [[nodiscard]] bool sync(std::chrono::milliseconds timeout);

    /// Returns the counters of export `name`. Throws error for an unknown name.
    [[nodiscard]] export_stats stats(const std::string& name) const;

    /// Waits until a directory has every export added so far (so that importers resolving a
    /// name find it). Returns false on timeout, and at once without directories.
    [[nodiscard]] bool wait_registered(std::chrono::milliseconds timeout);

    /// Returns the stream of asynchronous errors (bad frames, lost peers, bad values).
    [[nodiscard]] chan<error_event> errors() const;

private:
    void add(const std::string& name, std::unique_ptr<detail::port> p, dir d, export_options o);

    std::unique_ptr<detail::exporter_impl> impl_;
};

} // namespace netchan
