#pragma once

#include "netchan/zmq_socket.hpp"

#include "internal/directory_protocol.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace netchan::detail {

/// One client connection to one directory: a DEALER socket, opened on first use and reopened
/// after reset() (which drops requests still queued for a directory that did not answer).
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class directory_link {
public:
    /// `immediate`: queue messages only on completed connections (sends fail while the
    /// directory is down, instead of piling up for when it comes back).
    explicit directory_link(std::string endpoint, bool immediate = false);

    const std::string& endpoint() const noexcept { return endpoint_; }

    /// Returns the socket, connecting it first if needed. Throws transport_error.
    zmq::socket_t& socket();

    /// Sends one message without blocking; returns false when it could not be queued.
    bool try_send(std::span<const std::byte> bytes) noexcept;

    /// Receives one message without blocking and parses it; empty when none is waiting or the
    /// message does not parse (a directory never sends those; they are dropped).
    std::optional<internal::dirproto::message> try_recv();

    ~directory_link() { reset(); }
    directory_link(const directory_link&) = delete;
    directory_link& operator=(const directory_link&) = delete;

    /// Closes the socket; the next use connects afresh.
    void reset() noexcept;

private:
    std::string endpoint_;
    bool immediate_;
    std::optional<zmq::socket_t> socket_;
};

/// Returns a request id unique in this process.
std::uint64_t next_request_id() noexcept;

/// Sends a request to `links` and returns the first reply carrying `req_id`: to links[preferred]
/// at once, to the others one by one, timeout / links.size() apart, while nothing answered.
/// Sets `preferred` to the link that answered. Throws directory_error naming the endpoints
/// when none answers within `timeout`, or with the directory's message for an error reply.
internal::dirproto::message ask(std::span<const std::unique_ptr<directory_link>> links,
                                std::size_t& preferred, std::uint64_t req_id,
                                std::span<const std::byte> request,
                                std::chrono::milliseconds timeout);

} // namespace netchan::detail
