#pragma once

#include "export_entry.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netchan::internal {

/// A send export's side of the protocol: takes values from the channel while its importers have
/// credit for them, sends each batch to the link with the most free credit, and closes the links
/// once the channel is drained and everything sent was acknowledged.
/// Thread-confined: use only under the exporter's loop lock.
class export_sender {
public:
    /// `links`: the exporter's links by id, each named by its export's `links`.
    export_sender(export_wire& o, std::map<std::uint64_t, export_link>& links) noexcept
        : owner_(o), links_(links) {}

    /// Sends pending values to the links with free credit, most free credit first, closes when
    /// drained, and takes more from the channel while there is room. A no-op on a recv export.
    void send(export_entry& e);

    /// Returns whether every link of `e` has all it was sent acknowledged.
    bool all_acknowledged(const export_entry& e) const;

private:
    void take_more(export_entry& e);
    void send_close(export_link& l);

    export_wire& owner_;
    std::map<std::uint64_t, export_link>& links_;
};

} // namespace netchan::internal
