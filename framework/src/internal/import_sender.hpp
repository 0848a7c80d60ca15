#pragma once

#include "import_link.hpp"

#include <cstddef>
#include <vector>

namespace netchan::internal {

/// A send import's side of the protocol: takes values from the channel while the exporter has
/// credit for them (values a lost link of the group gave back first), sends them, and closes
/// the stream once the channel is drained (in a group, once every link is settled).
/// Thread-confined: use only under the importer's loop lock.
class import_sender {
public:
    explicit import_sender(import_wire& o) noexcept : owner_(o) {}

    /// Sends what is pending on `l` within the exporter's credit, closes when done, and takes
    /// more from the channel while there is room.
    void flush(import_link& l);

private:
    bool may_close(import_link& l);
    void take_more(import_link& l);

    import_wire& owner_;
};

} // namespace netchan::internal
