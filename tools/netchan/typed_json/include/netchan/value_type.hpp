#pragma once

#include "netchan/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netchan {

/// The kinds of node in a parsed type descriptor (docs/protocol.md section 2.4).
enum class value_kind : std::uint8_t {
    boolean,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    float32,
    float64,
    string,
    bytes,       ///< `bytes`: a byte vector
    fixed_bytes, ///< `bytes<N>`
    array,       ///< `array<T>`
    fixed_array, ///< `array<T,N>`
    map,         ///< `map<K,V>`
    optional,    ///< `optional<T>`
    tuple,       ///< `tuple<A,B,...>`, also `tuple<>`
    structure,   ///< `Name{field:T,...}`, a NETCHAN_STRUCT
};

/// A type descriptor parsed into a tree, so that a program that learns a channel's type only at
/// run time (the `netchan` CLI) can encode and decode its values.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct value_type {
    value_kind kind = value_kind::boolean;
    /// N of `bytes<N>` and `array<T,N>`; 0 otherwise.
    std::uint32_t size = 0;
    /// Children: the element of array and optional; key then value of map; the members of tuple;
    /// the field types of a struct, in declaration order.
    std::vector<value_type> elements;
    /// The field names of a struct, parallel to elements; empty otherwise.
    std::vector<std::string> fields;
    /// The name of a struct; empty otherwise.
    std::string name;

    /// Returns the descriptor this tree was parsed from (the canonical spelling, which is the
    /// only one parse_type accepts).
    [[nodiscard]] std::string descriptor() const;
};

/// Thrown by parse_type for a descriptor that does not follow the grammar.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class descriptor_error : public error {
public:
    /// Builds the message `netchan: bad type descriptor "<descriptor>" at position <position>:
    /// <why>`.
    descriptor_error(std::string_view descriptor, std::size_t position, const std::string& why);

    /// Returns the offset in the descriptor where parsing failed (its size at the end).
    std::size_t position() const noexcept { return position_; }

private:
    std::size_t position_;
};

/// Returns the tree of a type descriptor such as `map<string,array<optional<float64>>>` or
/// `point{x:float64,y:float64}`.
///
/// Accepts the built-in grammar of docs/protocol.md section 2.4 in its canonical spelling (no
/// spaces, decimal sizes without leading zeros and below 2^32, distinct field names), nested at
/// most 64 levels deep. Custom descriptors (a user's own type_descriptor) have no known encoding
/// and are refused like any unknown name.
/// Throws descriptor_error naming the position and what was expected there.
/// @threadsafe (reentrant)
[[nodiscard]] value_type parse_type(std::string_view descriptor);

} // namespace netchan
