#pragma once

#include "netchan/detail/port.hpp"
#include "netchan/exporter.hpp"
#include "netchan/internal/receive_window.hpp"
#include "netchan/internal/send_window.hpp"

#include "recv_delivery.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace netchan::internal {

struct export_entry;

/// Where the exporter's parts send frames: to an importer, through the exporter's socket.
class export_wire {
public:
    /// Sends `frame` to the importer `peer` (its ROUTER routing id).
    virtual void send_to(const std::string& peer, const std::vector<std::byte>& frame) = 0;

protected:
    ~export_wire() = default;
};

/// One importer attached to one export: its peer and the protocol state of its direction.
/// Thread-confined: use only under the exporter's loop lock.
struct export_link {
    std::uint64_t id = 0;
    std::string peer;         // ROUTER routing id
    std::uint64_t req_id = 0; // the import request that made it
    export_entry* exp = nullptr;
    send_window out;                 // send exports: the exporter sends
    receive_window in;               // recv exports: the exporter receives
    std::uint64_t good_received = 0; // recv: values decoded and handed on
    std::uint64_t good_consumed = 0; // recv: of those, consumed by the application
};

/// One exported channel and what moves its values between the wire and the channel.
/// Thread-confined (under the exporter's loop lock), but for the watch, called by the
/// channel's senders, and the delivery, whose contract is its own.
struct export_entry {
    std::uint64_t id = 0;
    std::string name;
    dir d{};
    export_options opts;
    std::unique_ptr<detail::port> p;

    // Send exports: the loop takes values itself; when it finds the channel empty it turns this
    // watch's calls on, and the next value offered wakes it (the Dekker pair: turn on, then look
    // again). Off otherwise, so senders pay nothing while the loop is busy or nobody imports.
    struct value_watch final : detail::chan_observer {
        detail::chan_core* core = nullptr;
        std::function<void()> wake;
        void on_value_offered() noexcept override {
            if (core->want(values_offered, false)) { // the first of racing senders wakes
                wake();
            }
        }
        std::uint8_t interests() const noexcept override { return 0; }
    } watch;

    // Recv exports: from the loop into the channel, and the count of what was consumed.
    std::unique_ptr<recv_delivery> delivery;

    // Under the loop lock only:
    wire::value_batch pending; // taken from the channel, not yet sent
    bool source_done = false;  // the channel is closed and drained
    bool sink_closed = false;
    bool ever_connected = false;
    std::vector<std::uint64_t> links;
    std::size_t rotate = 0;
    export_stats stats;
};

} // namespace netchan::internal
