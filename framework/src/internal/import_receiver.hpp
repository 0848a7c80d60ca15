#pragma once

#include "import_link.hpp"

#include <cstdint>
#include <vector>

namespace netchan::internal {

/// A recv import's side of the protocol past decoding: moves decoded values into the channel,
/// acknowledges what the application consumed, and closes the channel once the exporter's
/// stream is complete.
/// Thread-confined: use only under the importer's loop lock.
class import_receiver {
public:
    explicit import_receiver(import_wire& o) noexcept : owner_(o) {}

    /// Moves decoded values of `l` into its channel; its capacity is the credit, so there is
    /// room unless the application itself sent into it (then the rest waits for its next
    /// receive).
    void deliver(import_link& l);

    /// Acknowledges `consumed` good values of `l` (counted since the import began, a count that
    /// never goes back), if news.
    void ack_consumed(import_link& l, std::uint64_t consumed);

    /// Closes the channel of `l` once everything before the exporter's close arrived and was
    /// delivered.
    void maybe_close_local(import_link& l);

private:
    import_wire& owner_;
};

} // namespace netchan::internal
