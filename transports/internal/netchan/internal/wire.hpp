#pragma once

#include "netchan/codec.hpp"
#include "netchan/detail/value_batch.hpp"
#include "netchan/errc.hpp"
#include "netchan/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

/// The netchan wire protocol, version 1 (docs/protocol.md): every frame is one MessagePack
/// array `[version, kind, fields...]`; values travel inside DATA frames as bin objects, each
/// holding one value's own MessagePack encoding.
namespace netchan::wire {

inline constexpr std::uint8_t version = 1;

/// Message kinds; on the wire, never renumbered.
enum class kind : std::uint8_t {
    import_req = 1, ///< importer -> exporter: attach to an exported channel
    imported = 2,   ///< exporter -> importer: attached, here is the link id
    refused = 3,    ///< exporter -> importer: not attached, and why
    data = 4,       ///< sender -> receiver: values with consecutive sequence numbers
    ack = 5,        ///< receiver -> sender: every value before `next` is consumed
    close = 6,      ///< sender -> receiver: no value at or after `end` will come
    hangup = 7,     ///< either way: this link is over
    heartbeat = 8,  ///< either way: still alive
    error = 9,      ///< either way: a frame could not be used
};

/// Direction of an export, from the exporter's side: `send` means the exporter sends.
enum class direction : std::uint8_t { send = 0, recv = 1 };

struct import_req {
    std::uint64_t req_id = 0;
    std::string name;
    std::string type;         ///< type descriptor the importer expects
    direction dir{};          ///< the export's direction the importer expects
    std::uint64_t credit = 0; ///< values the receiving side may hold unconsumed
    std::uint64_t limit = 0;  ///< for send exports: close after this many values (0: no limit)
};
struct imported {
    std::uint64_t req_id = 0;
    std::uint64_t link = 0;
};
struct refused {
    std::uint64_t req_id = 0;
    errc code{};
    std::string message;
};
/// A DATA frame, parsed: `values` point into the frame's bytes.
struct data {
    std::uint64_t link = 0;
    std::uint64_t first_seq = 0;
    std::vector<std::span<const std::byte>> values;
};
struct ack {
    std::uint64_t link = 0;
    std::uint64_t next = 0;   ///< every value with a sequence number below this is consumed
    std::uint64_t credit = 0; ///< receiver's window: the sender may have `next + credit` sent
};
struct close {
    std::uint64_t link = 0;
    std::uint64_t end = 0; ///< number of values sent on the link in all
};
struct hangup {
    std::uint64_t link = 0;
};
/// Sent every heartbeat interval; `links` are the sender's links with the receiver, so that a
/// peer that does not know one (it restarted, or declared us lost) can say so. `received[i]` is
/// how many values the sender has received in order on `links[i]` (0 where it sends), so that
/// the other side sends again what a broken connection lost. Parsed without `received` (all 0)
/// from a peer that leaves it out.
struct heartbeat {
    std::vector<std::uint64_t> links;
    std::vector<std::uint64_t> received;
};
struct error {
    std::uint64_t link = 0; ///< 0 when the frame named no link
    errc code{};
    std::string message;
};

using message =
    std::variant<import_req, imported, refused, data, ack, close, hangup, heartbeat, error>;

/// A frame that is not a valid netchan message (garbage, unknown kind, missing fields).
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class frame_error : public netchan::error {
public:
    frame_error(errc code, const std::string& what) : netchan::error(what), code_(code) {}
    /// Returns bad_frame, version_mismatch or frame_too_large.
    errc code() const noexcept { return code_; }

private:
    errc code_;
};

/// Parses one frame. Throws frame_error for anything but a valid message of this version.
/// A frame over `max_frame_bytes` is refused before parsing.
message parse(std::span<const std::byte> frame, std::size_t max_frame_bytes);

/// Returns the frame of a control message (everything but data).
std::vector<std::byte> encode(const import_req& m);
std::vector<std::byte> encode(const imported& m);
std::vector<std::byte> encode(const refused& m);
std::vector<std::byte> encode(const ack& m);
std::vector<std::byte> encode(const close& m);
std::vector<std::byte> encode(const hangup& m);
std::vector<std::byte> encode(const heartbeat& m);
std::vector<std::byte> encode(const error& m);

/// Encoded values ready for DATA frames (defined in serialization, which owns encodings).
using value_batch = detail::value_batch;

/// Returns the DATA frame for values [first, last) of `batch`, numbered from `first_seq`.
std::vector<std::byte> encode_data(std::uint64_t link, std::uint64_t first_seq,
                                   const value_batch& batch, std::size_t first, std::size_t last);

} // namespace netchan::wire
