#pragma once

#include "netchan/detail/port.hpp"
#include "netchan/importer.hpp"
#include "netchan/internal/receive_window.hpp"
#include "netchan/internal/send_window.hpp"

#include "import_group.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace netchan::internal {

/// Where the importer's parts send frames: to the exporter, through the importer's socket.
class import_wire {
public:
    /// Sends `frame` to the exporter.
    virtual void send(const std::vector<std::byte>& frame) = 0;

protected:
    ~import_wire() = default;
};

/// One imported channel, from one exporter: the link's state and the observer of its channel.
/// A channel imported by name from several exporters has one link per exporter, all in one
/// import_group. The importer that owns it moves values between the wire and the channel.
/// Thread-compatible, but for the members marked otherwise: the atomics and the observer calls
/// run on the application's threads; everything else under the owner's loop lock.
struct import_link final : detail::chan_observer, import_group::member {
    /// What a link asks of the importer that owns it, from the application's threads.
    class owner {
    public:
        /// Makes the loop send what may now wait in the link's channel (a send import).
        virtual void dispatch_service(import_link& l) = 0;
        /// Makes the loop deliver held-back values and acknowledge `consumed` good values.
        virtual void dispatch_ack(import_link& l, std::uint64_t consumed) = 0;
        /// Returns the owner's I/O loop as a value source, for a receiver about to sleep.
        virtual detail::value_source* enter() noexcept = 0;

    protected:
        ~owner() = default;
    };

    std::uint64_t id = 0; // the exporter's link id
    std::string name;
    dir d{};
    std::uint64_t credit = 0;
    std::uint64_t limit = 0; // recv: close after this many values (0: none)
    std::unique_ptr<detail::port> p;
    owner* importer = nullptr;
    import_group* group = nullptr;  // imported by name: the channel's other links
    std::atomic<bool> armed{false}; // send side: the loop found the channel empty

    // Recv side, any thread:
    std::atomic<std::uint64_t> delivered{0};     // values put into the local channel (and, in
                                                 // a group, bad values skipped)
    std::atomic<std::uint64_t> ack_posted{0};    // consumption already reported to the loop
    std::atomic<std::uint64_t> consumed_seen{0}; // consumption seen at the latest request

    // Under the loop lock only:
    bool ended = false;
    bool resuming = false;         // the exporter lost this link: importing it again
    bool refusal_reported = false; // while resuming
    std::uint64_t resume_req = 0;  // the request id of this resume, the same for every retry
    receive_window in;         // recv (bad values: on a link of its own; a group counts its own)
    bool closed_local = false; // recv
    send_window out;           // send
    wire::value_batch pending; // send: taken, not yet sent
    bool source_done = false;
    bool settled = false; // send, in a group: everything sent was acknowledged
    import_stats stats;

    void on_recv_request() noexcept override;
    void on_value_offered() noexcept override;
    detail::value_source* enter_source() noexcept override;
    std::uint8_t interests() const noexcept override {
        return d == dir::recv ? recv_requests | sources : values_offered;
    }
    void count_consumed(std::uint64_t consumed, std::uint64_t queued) noexcept override;
    void value_offered() noexcept override;
    void room() noexcept override;
};

} // namespace netchan::internal
