#pragma once

#include "netchan/detail/byte_writer.hpp"
#include "netchan/netchan_struct.hpp"

#include <msgpack.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

// msgpack-c 4.1 packs a whole-number float or double as an integer (msgpack-c PR #1018): -0.0
// loses its sign, 1.0 arrives as integer 1, and 2^64 reaches an undefined float-to-int cast.
// So encode() walks the standard containers, tuples and NETCHAN_STRUCTs that hold a float and
// writes floats as float32/float64 itself; every other value, and every subtree without a float,
// goes to msgpack unchanged. Respecializing msgpack's pack<double> instead would change its
// behaviour only in the translation units that see our header: an ODR violation.

namespace netchan::detail {

template <class T>
inline constexpr bool holds_float = false;
template <>
inline constexpr bool holds_float<float> = true;
template <>
inline constexpr bool holds_float<double> = true;
template <class T, class Alloc>
inline constexpr bool holds_float<std::vector<T, Alloc>> = holds_float<T>;
template <class T, std::size_t N>
inline constexpr bool holds_float<std::array<T, N>> = holds_float<T>;
template <class K, class V, class Compare, class Alloc>
inline constexpr bool holds_float<std::map<K, V, Compare, Alloc>> =
    holds_float<K> || holds_float<V>;
template <class K, class V, class Hash, class Eq, class Alloc>
inline constexpr bool holds_float<std::unordered_map<K, V, Hash, Eq, Alloc>> =
    holds_float<K> || holds_float<V>;
template <class T>
inline constexpr bool holds_float<std::optional<T>> = holds_float<T>;
template <class... Ts>
inline constexpr bool holds_float<std::tuple<Ts...>> = (holds_float<Ts> || ...);
template <class A, class B>
inline constexpr bool holds_float<std::pair<A, B>> = holds_float<A> || holds_float<B>;

template <class T, std::size_t... I>
constexpr bool any_field_holds_float(std::index_sequence<I...>) {
    return (holds_float<typename struct_fields<T>::template type<I>> || ...);
}

template <netchan_struct T>
inline constexpr bool
    holds_float<T> = any_field_holds_float<T>(std::make_index_sequence<struct_fields<T>::size>{});

using packer = msgpack::packer<byte_writer>;

template <class T>
void write(byte_writer& out, const T& value);

inline void write_float(byte_writer& out, float value) {
    const auto bits = std::bit_cast<std::uint32_t>(value);
    const char buf[5] = {static_cast<char>(0xca), static_cast<char>(bits >> 24),
                         static_cast<char>(bits >> 16), static_cast<char>(bits >> 8),
                         static_cast<char>(bits)};
    out.write(buf, sizeof buf);
}

inline void write_float(byte_writer& out, double value) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    char buf[9] = {static_cast<char>(0xcb)};
    for (int i = 0; i < 8; ++i) {
        buf[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
    }
    out.write(buf, sizeof buf);
}

template <class Range>
void write_array(byte_writer& out, const Range& items) {
    packer(out).pack_array(msgpack::checked_get_container_size(items.size()));
    for (const auto& item : items) {
        detail::write(out, item);
    }
}

template <class Map>
void write_map(byte_writer& out, const Map& map) {
    packer(out).pack_map(msgpack::checked_get_container_size(map.size()));
    for (const auto& [key, value] : map) {
        detail::write(out, key);
        detail::write(out, value);
    }
}

template <class Tuple, std::size_t... I>
void write_tuple(byte_writer& out, const Tuple& tuple, std::index_sequence<I...>) {
    packer(out).pack_array(sizeof...(I));
    (detail::write(out, std::get<I>(tuple)), ...);
}

// Same bytes as MSGPACK_DEFINE_MAP: a map of field name to value, in declaration order.
template <class T, std::size_t... I>
void write_struct(byte_writer& out, const T& value, std::index_sequence<I...>) {
    using fields = struct_fields<T>;
    const auto tied = value.netchan_fields_();
    packer pk(out);
    pk.pack_map(sizeof...(I));
    ((pk.pack_str(static_cast<std::uint32_t>(fields::names[I].size())),
      pk.pack_str_body(fields::names[I].data(),
                       static_cast<std::uint32_t>(fields::names[I].size())),
      detail::write(out, std::get<I>(tied))),
     ...);
}

template <class T, class Alloc>
void write_composite(byte_writer& out, const std::vector<T, Alloc>& v) {
    write_array(out, v);
}

template <class T, std::size_t N>
void write_composite(byte_writer& out, const std::array<T, N>& v) {
    write_array(out, v);
}

template <class K, class V, class Compare, class Alloc>
void write_composite(byte_writer& out, const std::map<K, V, Compare, Alloc>& v) {
    write_map(out, v);
}

template <class K, class V, class Hash, class Eq, class Alloc>
void write_composite(byte_writer& out, const std::unordered_map<K, V, Hash, Eq, Alloc>& v) {
    write_map(out, v);
}

template <class T>
void write_composite(byte_writer& out, const std::optional<T>& v) {
    if (v) {
        detail::write(out, *v);
    } else {
        packer(out).pack_nil();
    }
}

template <class... Ts>
void write_composite(byte_writer& out, const std::tuple<Ts...>& v) {
    write_tuple(out, v, std::index_sequence_for<Ts...>{});
}

template <class A, class B>
void write_composite(byte_writer& out, const std::pair<A, B>& v) {
    write_tuple(out, v, std::index_sequence<0, 1>{});
}

template <class T>
void write(byte_writer& out, const T& value) {
    if constexpr (!holds_float<T>) {
        packer(out).pack(value);
    } else if constexpr (std::is_floating_point_v<T>) {
        write_float(out, value);
    } else if constexpr (netchan_struct<T>) {
        write_struct(out, value, std::make_index_sequence<struct_fields<T>::size>{});
    } else {
        write_composite(out, value);
    }
}

} // namespace netchan::detail
