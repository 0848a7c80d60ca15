#pragma once

#include "netchan/codec.hpp"
#include "netchan/error.hpp"
#include "netchan/value_type.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// JSON <-> MessagePack for a type known only at run time, by its descriptor (the `netchan` CLI's
// `send` and `recv`). The bytes are exactly what netchan::encode writes for the C++ value, and
// msgpack_to_json accepts what netchan::decode accepts (docs/protocol.md section 2.4).
//
// JSON conventions, both directions:
// - bool: true/false.
// - intN, uintN: a JSON integer within the type's range. A JSON number with a fraction part of
//   zero (2.0, 1e3) is accepted as that integer; 1.5 is refused. Strings and bools are refused.
// - float32, float64: any JSON number, or one of the strings "NaN", "Infinity", "-Infinity",
//   which JSON numbers cannot spell; a float32 beyond float32's range is refused (as the C++
//   decoder refuses it) rather than becoming infinity. Always written as msgpack float32/float64,
//   never as an integer. Printed in the shortest form that reads back as the same float (float32
//   as a float32: 0.1f prints as 0.1).
// - string: a JSON string. A received string that is not valid UTF-8 cannot be printed as JSON
//   and is an error.
// - bytes, bytes<N>: a base64 string (RFC 4648, standard alphabet, with padding; no whitespace).
//   bytes<N> must decode to exactly N bytes.
// - array<T>: a JSON array; array<T,N>: a JSON array of exactly N elements.
// - map<string,V>: a JSON object. map<K,V> with any other K: a JSON array of [key, value] pairs.
//   Keys of integer, float and bool type are written in ascending order, as std::map orders them;
//   other keys in the order given. A repeated key is refused.
// - optional<T>: null for empty, else the value of T (so optional<optional<T>> cannot express an
//   engaged outer holding an empty inner: the C++ encoding cannot either).
// - tuple<...>: a JSON array with exactly one element per member.
// - Name{f:T,...}: a JSON object with every field present and no other key (an unknown key is
//   refused, so a typo is not silently dropped); written as a msgpack map of field name to value
//   in declaration order. Printed as a JSON object whose keys nlohmann::json sorts by name.
// Error paths are written from the root `$`, then `.field` for a struct field or string key and
// `[i]` for an array, tuple or pair element: `$.points[2].x`.

namespace netchan {

/// Thrown for a JSON value that does not fit the type: says where, what was expected and what
/// was found, e.g. `netchan: at $.points[2].x: expected float64, found string "abc"`.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class json_error : public error {
public:
    /// Builds the message "netchan: at <path>: expected <expected>, found <found>".
    json_error(std::string path, std::string expected, std::string found);

    /// Returns where the value was, as `$.points[2].x`.
    const std::string& path() const noexcept { return path_; }
    /// Returns what the type required there.
    const std::string& expected() const noexcept { return expected_; }
    /// Returns what the JSON held instead.
    const std::string& found() const noexcept { return found_; }

private:
    std::string path_;
    std::string expected_;
    std::string found_;
};

/// Returns the msgpack encoding of a JSON value as a value of type t: byte for byte what
/// netchan::encode writes for the equivalent C++ value (see the conventions above).
/// Throws json_error when the JSON does not fit t.
/// @threadsafe (reentrant)
[[nodiscard]] std::vector<std::byte> json_to_msgpack(const value_type& t, const nlohmann::json& j);

/// Parses one JSON text (a line of `netchan send`) and encodes it as json_to_msgpack does.
/// Throws json_error for text that is not exactly one JSON value, or that does not fit t.
/// @threadsafe (reentrant)
[[nodiscard]] std::vector<std::byte> json_line_to_msgpack(const value_type& t,
                                                          std::string_view text);

/// Returns the JSON form of one msgpack-encoded value of type t (see the conventions above).
///
/// Accepts exactly what netchan::decode of the C++ type accepts, within limits (default: those of
/// netchan::decode). Throws decode_error for bytes that are malformed, truncated, followed by
/// trailing bytes, over a limit or of another type; its expected() is the descriptor of the part
/// that failed (the whole type when the bytes do not parse) and its found() says what was there
/// and where: `string(3) at $.points[2].x`.
/// @threadsafe (reentrant; bytes must not change during the call)
[[nodiscard]] nlohmann::json msgpack_to_json(const value_type& t, std::span<const std::byte> bytes,
                                             const decode_limits& limits = {});

/// Returns msgpack_to_json(t, bytes, limits) as one line of compact JSON text.
/// Throws as msgpack_to_json does.
/// @threadsafe (reentrant; bytes must not change during the call)
[[nodiscard]] std::string msgpack_to_json_line(const value_type& t,
                                               std::span<const std::byte> bytes,
                                               const decode_limits& limits = {});

} // namespace netchan
