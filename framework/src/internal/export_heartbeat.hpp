#pragma once

#include "netchan/exporter.hpp"
#include "netchan/internal/liveness.hpp"
#include "netchan/internal/wire.hpp"

#include "export_entry.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netchan::internal {

/// The exporter's side of liveness: heartbeats to every importer, with the repeats a broken
/// connection may have lost; the importers' heartbeats, which list their links; and the
/// verdict on an importer that went silent.
/// Thread-confined: use only under the exporter's loop lock.
class export_heartbeat {
public:
    /// What the heartbeat asks of the exporter that owns the socket and the links.
    class owner : public export_wire {
    public:
        /// Acknowledges what is consumed on the recv link `l`, if news.
        virtual void ack(export_link& l) = 0;
        /// The importer of `l` went silent: report it and remove the link.
        virtual void lose(export_link& l) = 0;

    protected:
        ~owner() = default;
    };

    /// `links`: the exporter's links by id.
    export_heartbeat(owner& o, std::map<std::uint64_t, export_link>& links,
                     const exporter_options& options)
        : owner_(o), links_(links), liveness_(options.heartbeat_interval, options.peer_timeout) {}

    /// A frame arrived from `peer` at `now`.
    void heard(const std::string& peer, std::chrono::steady_clock::time_point now) {
        liveness_.heard(peer, now);
    }

    /// Sends the heartbeats that are due and the repeats; loses the importers gone silent.
    void tick(std::chrono::steady_clock::time_point now);

    /// The importer `peer` lists its links: any we do not know it must import again. For links
    /// we send on, it says what arrived: what a broken connection lost goes again (counted as
    /// redelivered in its export's stats).
    void on_heartbeat(const std::string& peer, const wire::heartbeat& m);

private:
    void lose_peer(const std::string& peer);

    owner& owner_;
    std::map<std::uint64_t, export_link>& links_;
    liveness liveness_;
};

} // namespace netchan::internal
