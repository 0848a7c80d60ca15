#pragma once

// MessagePack at the level of objects, for code that handles values whose type is known only at
// run time (the netchan CLI's JSON <-> value conversion, a generic dumper): parse a frame within
// decode_limits, say what an object holds as decode_error does, look up a field of a struct's
// map, and write floats and bytes the way the codec does. Typed code uses codec.hpp instead.
#include "netchan/codec.hpp"
#include "netchan/detail/byte_writer.hpp"
#include "netchan/detail/encoder.hpp"
#include "netchan/detail/frame.hpp"
#include "netchan/detail/shape.hpp"
#include "netchan/netchan_struct.hpp"

namespace netchan {

/// Exactly one msgpack object parsed from a whole frame within decode_limits; its str, bin and ext
/// values point into the input bytes, which must outlive it. Throws decode_error(expected, why)
/// when the bytes are empty, over a limit, malformed, truncated or followed by trailing bytes.
/// Thread-confined: use only from the thread that created it.
using msgpack_frame = detail::frame;

/// msgpack output stream appending to a std::vector<std::byte>, for msgpack::packer.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
using byte_writer = detail::byte_writer;

/// Returns the wire type of an object, with its value or size ("string(3)", "positive integer
/// 300"), as decode_error::found() says it.
using detail::describe;

/// Returns the value of the first entry of a msgpack map whose key is the given string, or
/// nullptr; non-string keys are skipped (how NETCHAN_STRUCT values are read).
using detail::find_field;

/// Writes a float32 (0xca) or float64 (0xcb) as the codec does: always that width, never
/// narrowed or turned into an integer.
using detail::write_float;

} // namespace netchan
