#pragma once

#include "export_entry.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netchan::internal {

/// A recv export's acknowledgements: credits what the application consumed to the links its
/// values came from, acknowledges in steps, and closes the channel once every importer's
/// stream is complete (with export_options::close_when_importers_done).
/// Thread-confined: use only under the exporter's loop lock.
class export_receiver {
public:
    /// `links`: the exporter's links by id, each named by its export's `links`.
    export_receiver(export_wire& o, std::map<std::uint64_t, export_link>& links) noexcept
        : owner_(o), links_(links) {}

    /// Credits what the application consumed to the links its values came from, in the order
    /// the pump handed them over, and acknowledges.
    void credit_consumed(export_entry& e);

    /// Acknowledges on the links of `e` whose acknowledgement is due.
    void send_acks(export_entry& e);

    /// Acknowledges what is consumed on `l`, if news.
    void ack(export_link& l);

    /// Closes the channel of `e` once every importer's stream is complete, if its options
    /// say so.
    void check_sink_done(export_entry& e);

private:
    export_wire& owner_;
    std::map<std::uint64_t, export_link>& links_;
};

} // namespace netchan::internal
