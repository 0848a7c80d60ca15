#pragma once

#include <cstdint>

namespace netchan::wire {

/// Error codes carried by refused and error frames; never renumbered.
enum class errc : std::uint8_t {
    unknown_channel = 1,
    type_mismatch = 2,
    wrong_direction = 3,
    bad_frame = 4,
    version_mismatch = 5,
    frame_too_large = 6,
    unknown_link = 7,
    bad_value = 8,
    peer_lost = 9,
    internal_error = 10,
};

/// Returns a short name for `e`, e.g. "type_mismatch".
const char* to_string(errc e) noexcept;

} // namespace netchan::wire

namespace netchan {

/// Why something went wrong on a link; the codes are the wire protocol's.
using errc = wire::errc;

} // namespace netchan
