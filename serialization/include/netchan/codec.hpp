#pragma once

#include "netchan/decode_error.hpp"
#include "netchan/detail/byte_writer.hpp"
#include "netchan/detail/encoder.hpp"
#include "netchan/detail/enum_adaptor.hpp"
#include "netchan/detail/frame.hpp"
#include "netchan/detail/shape.hpp"
#include "netchan/netchan_struct.hpp"
#include "netchan/type_name.hpp"

#include <msgpack.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace netchan {

/// Bounds on what decode accepts, so corrupt or hostile bytes cannot exhaust memory or stack.
///
/// Every length limit is also capped by what the frame's bytes could hold, so a length header
/// alone (an array "of 4 G elements" in 5 bytes) fails before anything is allocated. A parsed
/// frame holds about 24 bytes per msgpack value, so decoding may briefly take ~24x the frame size.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct decode_limits {
    std::size_t max_frame_bytes = std::size_t{64} << 20; ///< size of the whole encoded value
    std::size_t max_depth = 64;                          ///< nested arrays/maps; [[1]] is depth 2
    std::size_t max_array_size = std::size_t{1} << 24;   ///< elements of one array
    std::size_t max_map_size = std::size_t{1} << 24;     ///< key/value pairs of one map
    std::size_t max_str_bytes = std::size_t{64} << 20;   ///< bytes of one string
    std::size_t max_bin_bytes = std::size_t{64} << 20;   ///< bytes of one bin (byte vector)
    std::size_t max_ext_bytes = std::size_t{64} << 20;   ///< bytes of one msgpack ext value
};

/// Appends the msgpack encoding of value to out, keeping out's earlier bytes: reuse one buffer
/// (clear() it between values) to encode without allocating.
/// Throws netchan::error when a string or container exceeds msgpack's 2^32-1 elements; out is
/// then unchanged.
template <class T>
void encode_into(const T& value, std::vector<std::byte>& out) {
    const std::size_t old_size = out.size();
    try {
        detail::byte_writer writer(out);
        detail::write(writer, value);
    } catch (...) {
        out.resize(old_size);
        detail::rethrow_encode_failure();
    }
}

/// Returns the msgpack encoding of value. Throws as encode_into does.
template <class T>
[[nodiscard]] std::vector<std::byte> encode(const T& value) {
    std::vector<std::byte> out;
    out.reserve(64); // one allocation for the small values that dominate channel traffic
    encode_into(value, out);
    return out;
}

/// Decodes a whole frame holding exactly one msgpack value of type T.
///
/// Throws decode_error with expected() == type_name<T>() when the frame is empty, malformed,
/// truncated, followed by trailing bytes, over a limit, or holds another type or an out-of-range
/// number; found() says what was there, and where when nested: "string(3) at $[2].x".
/// Decoding a NETCHAN_STRUCT ignores unknown keys and throws for a missing field; tuples and
/// std::arrays need exactly their length. Running out of memory while building T is reported as
/// decode_error too; only exceptions of a user's own msgpack adaptor pass through unchanged.
/// @threadsafe (reentrant; bytes must not change during the call)
template <class T>
[[nodiscard]] T decode(std::span<const std::byte> bytes, const decode_limits& limits = {}) {
    static_assert(std::is_same_v<T, std::remove_cvref_t<T>>,
                  "netchan::decode<T>: T must be a value type, not const or a reference");
    const std::string& expected = type_name<T>();
    const detail::frame frame(bytes, limits, expected);
    if constexpr (!detail::shape<T>::msgpack_strict) {
        detail::mismatch where;
        if (!detail::fits<T>(frame.root(), where)) {
            detail::throw_mismatch(expected, where);
        }
    }
    try {
        return frame.root().as<T>();
    } catch (...) {
        // Rare path: find where msgpack's conversion failed, to say so in the error.
        detail::mismatch where;
        const bool located = !detail::fits<T>(frame.root(), where);
        detail::rethrow_as_decode_error(expected, frame.root(), located ? &where : nullptr);
    }
}

/// Decodes size bytes at data as decode(span) does.
/// @threadsafe (reentrant; the bytes must not change during the call)
template <class T>
[[nodiscard]] T decode(const void* data, std::size_t size, const decode_limits& limits = {}) {
    return decode<T>(std::span<const std::byte>(static_cast<const std::byte*>(data), size), limits);
}

} // namespace netchan
