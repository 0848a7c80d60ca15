#pragma once

#include "netchan/importer.hpp"
#include "netchan/internal/liveness.hpp"
#include "netchan/internal/wire.hpp"

#include "import_link.hpp"
#include "import_resume.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace netchan::internal {

/// The importer's side of liveness: heartbeats to the exporter, with the repeats a broken
/// connection may have lost and the requests of links resuming; the exporter's heartbeats,
/// which list its links; and the verdict on an exporter that went silent.
/// Thread-confined: use only under the importer's loop lock.
class import_heartbeat {
public:
    /// `links`: the importer's links by the exporter's id; `resume`: what takes lost links;
    /// `endpoint`: the exporter's, for reports.
    import_heartbeat(import_wire& o, import_resume::link_table& links, import_resume& resume,
                     const std::string& endpoint, const importer_options& options);

    /// A frame arrived from the exporter at `now`.
    void heard(std::chrono::steady_clock::time_point now) { liveness_.heard(exporter_, now); }

    /// Sends a heartbeat now (the exporter answers with what it has not acknowledged yet).
    void beat_now(std::chrono::steady_clock::time_point now) {
        liveness_.beat_soon();
        tick(now);
    }

    /// Sends the heartbeat and the repeats when due; loses the links of a silent exporter.
    void tick(std::chrono::steady_clock::time_point now);

    /// The exporter lists its links to us: one we do not know any more (we resumed it under a
    /// new id) must end there, so that what it holds unacknowledged goes elsewhere. For links
    /// we send on, it says what arrived: what a broken connection lost goes again.
    void on_heartbeat(const wire::heartbeat& m);

private:
    // The exporter is the one peer, named by the empty string.
    inline static const std::string exporter_;

    import_wire& owner_;
    import_resume::link_table& links_;
    import_resume& resume_;
    const std::string& endpoint_;
    std::chrono::milliseconds peer_timeout_;
    liveness liveness_;
};

} // namespace netchan::internal
