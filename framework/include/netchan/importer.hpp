#pragma once

#include "netchan/chan.hpp"
#include "netchan/detail/port.hpp"
#include "netchan/dir.hpp"
#include "netchan/directory_endpoints.hpp"
#include "netchan/error_event.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>

namespace netchan {

namespace detail {
class importer_impl;
class directory_importer;
} // namespace detail

/// Settings of an importer.
struct importer_options {
    /// How long import_chan waits for the exporter's answer (and, importing by name, for an
    /// exporter of the name to appear in the directory) before it throws.
    std::chrono::milliseconds import_timeout{5000};
    std::size_t max_frame_bytes = std::size_t{64} << 20; ///< larger frames are refused
    std::size_t errors_capacity = 1024; ///< error events kept unread before new ones are dropped
    /// Hand out the exported channel itself when the exporter lives in this process. Off: always
    /// use the wire (tests of the wire path, or to keep serialization semantics).
    bool local_fast_path = true;
    /// How often the exporter is told that this importer lives.
    std::chrono::milliseconds heartbeat_interval{500};
    /// An exporter not heard from for this long is lost: an error event per import, then the
    /// imports wait for it (or another exporter at the endpoint) to come back and resume.
    std::chrono::milliseconds peer_timeout{2500};
    /// When the exporter is lost, close the imported channels instead of waiting for it.
    bool close_when_exporter_lost = false;
};

/// Counters of one import. Thread-compatible: const members may run concurrently; mutation
/// needs external sync.
struct import_stats {
    std::uint64_t sent = 0;         ///< values sent to the exporter (importing for send)
    std::uint64_t received = 0;     ///< values received from the exporter (importing for recv)
    std::uint64_t acknowledged = 0; ///< values acknowledged by the consuming side
    std::uint64_t in_flight = 0;    ///< sent or received and not yet acknowledged
    std::uint64_t errors = 0;       ///< bad values on this import
    std::uint64_t redelivered = 0;  ///< values sent again after the exporter came back
    std::uint64_t duplicates_dropped = 0; ///< values received twice (after a reconnect)
    std::uint64_t peers_lost = 0;         ///< times the exporter was lost
    std::uint64_t resumed = 0;            ///< times the import was attached again
};

/// Attaches to channels exported by other processes (Go's netchan Importer), by name.
///
/// An importer made with an exporter's endpoint imports from that exporter: one ZeroMQ DEALER
/// socket, owned by one I/O thread. An importer made with a directory finds exporters by name
/// (docs/design.md section 5) and imports from every exporter of the name: a recv import receives
/// from all of them, a send import spreads its values over them as their credit allows. It
/// follows the name: an exporter that appears later (another worker, or one restarted on
/// another port or host) is attached; one that is lost is let go, and what it had not
/// acknowledged goes to the others (or to the next one, for a send import).
///
/// An imported channel is a plain chan<T>: with dir::recv this process receives what the
/// exporter sends, with dir::send it sends into the exporter's channel. `credit` is how many
/// values may be on their way or waiting unconsumed at the receiving side, per exporter; it
/// is also the capacity of the returned channel. When the exporter lives in this process
/// (tcp:// or ipc://), import_chan returns the exported channel itself: no encoding, no socket.
///
/// @code
/// netchan::importer imp{netchan::directories{}};  // or imp{exporter_endpoint}
/// netchan::chan<int> jobs = imp.import_chan<int>("jobs", netchan::dir::recv, 32);
/// for (int j : jobs) handle(j);   // until every exporter closed its channel
/// @endcode
/// Thread-safe.
class importer {
public:
    /// Connects to the exporter at `endpoint` (connection is asynchronous, as in ZeroMQ).
    explicit importer(const std::string& endpoint, importer_options options = {});
    /// Imports by name through the directories `where` (several: any that answers). Throws
    /// error when the list is empty or an endpoint is malformed.
    explicit importer(const directories& where, importer_options options = {});
    /// Hangs up every import, closes their channels and stops, without waiting for
    /// acknowledgements (use drain()).
    ~importer();
    importer(const importer&) = delete;
    importer& operator=(const importer&) = delete;

    /// Imports the channel `name` of value type T for direction `d` of this side. Throws error
    /// naming the channel when it is unknown (by name: when no exporter of it appears within
    /// the import timeout), exported for the same direction, of another type (naming both type
    /// descriptors), or when the exporter does not answer in time; directory_error when no
    /// directory answers.
    template <class T>
    [[nodiscard]] chan<T> import_chan(const std::string& name, dir d, std::size_t credit = 64) {
        if (auto local = find_local(name, typeid(T), d)) {
            return *static_cast<chan<T>*>(local.get());
        }
        chan<T> ch(credit);
        add(name, ports_of(ch), d, credit, 0);
        return ch;
    }

    /// Imports `name` for receiving and closes the channel after `n` values. Never the local
    /// fast path: the exporter sends exactly `n` values (or fewer if it closes first). By name,
    /// from one exporter of the name.
    template <class T>
    [[nodiscard]] chan<T> import_n(const std::string& name, std::size_t n,
                                   std::size_t credit = 64) {
        chan<T> ch(credit);
        if (n == 0) {
            ch.close();
            return ch;
        }
        add(name, ports_of(ch), dir::recv, credit, n);
        return ch;
    }

    /// Imports `name`, whose values are of the type descriptor `type`, as values left encoded:
    /// for tools that learn a type only at run time. For dir::recv a nonzero `limit` closes the
    /// channel after that many values, as import_n does.
    [[nodiscard]] chan<encoded> import_encoded(const std::string& name, const std::string& type,
                                               dir d, std::size_t credit = 64,
                                               std::size_t limit = 0) {
        chan<encoded> ch(credit);
        add(
            name, [ch, type] { return std::make_unique<detail::typed_port<encoded>>(ch, type); }, d,
            credit, limit);
        return ch;
    }

    /// Ends the import `name`: the local channel closes, the exporter forgets this importer.
    /// Throws error when nothing of that name is imported.
    void hangup(const std::string& name);

    /// Waits until every value sent through send imports was acknowledged by the exporter and
    /// their channels are empty. Returns false on timeout.
    [[nodiscard]] bool drain(std::chrono::milliseconds timeout);

    /// Returns the counters of import `name`. Throws error for an unknown name.
    [[nodiscard]] import_stats stats(const std::string& name) const;

    /// Returns the stream of asynchronous errors (bad values, hang-ups, bad frames).
    [[nodiscard]] chan<error_event> errors() const;

    /// Returns the exporter endpoint this importer talks to, or its directories (comma-separated).
    [[nodiscard]] const std::string& endpoint() const noexcept;

private:
    /// Makes a port on one channel; an import by name makes one per exporter.
    using port_factory = std::function<std::unique_ptr<detail::port>()>;

    template <class T>
    static port_factory ports_of(const chan<T>& ch) {
        return [ch] { return std::make_unique<detail::typed_port<T>>(ch); };
    }

    std::shared_ptr<void> find_local(const std::string& name, const std::type_info& type, dir d);
    void add(const std::string& name, const port_factory& make_port, dir d, std::size_t credit,
             std::size_t limit);

    std::unique_ptr<detail::importer_impl> impl_;       // by endpoint
    std::unique_ptr<detail::directory_importer> named_; // by name, through directories
};

} // namespace netchan
