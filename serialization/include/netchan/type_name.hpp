#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace netchan {

/// Customization point that names a value type on the wire; specialize it for your own msgpack
/// adaptor types with `static std::string name()`.
///
/// The name is a *type descriptor*: stable across compilers and machines (never typeid), with no
/// spaces, describing the wire shape. Built-in names: `bool`, `int8`..`int64`, `uint8`..`uint64`
/// (by size and signedness, so `long` and `long long` are both `int64` on LP64; plain `char` is
/// `int8`), `float32`, `float64`, `string`, `bytes` (vectors of char, unsigned char, std::byte),
/// `bytes<N>` (std::array of those), `array<T>`, `array<T,N>`, `map<K,V>`, `optional<T>`,
/// `tuple<A,B,...>` (also std::pair), enums as their underlying integer, and NETCHAN_STRUCT types
/// as `Name{field:type,...}`.
/// @code
/// template <> struct netchan::type_descriptor<rgb> {
///     static std::string name() { return "rgb"; }
/// };
/// @endcode
/// The primary template has no `name()`: a type without a descriptor fails to compile in
/// type_name<T>() with a static_assert.
/// Thread-safe.
template <class T>
struct type_descriptor {};

/// True when type_descriptor<T> provides a name (shallowly: element types are checked when used).
template <class T>
concept has_type_descriptor = requires {
    { type_descriptor<T>::name() } -> std::convertible_to<std::string>;
};

namespace detail {

template <class T>
std::string descriptor_of() {
    if constexpr (has_type_descriptor<T>) {
        return type_descriptor<T>::name();
    } else {
        static_assert(has_type_descriptor<T>,
                      "netchan: this type has no type descriptor; declare it with "
                      "NETCHAN_STRUCT(Name, fields...) or specialize netchan::type_descriptor<T> "
                      "with static std::string name()");
        return {};
    }
}

} // namespace detail

/// Returns the type descriptor of T (cv and reference ignored), computed once and cached.
/// Fails to compile, naming the fix, when T or an element of T has no descriptor.
/// @threadsafe
template <class T>
const std::string& type_name() {
    using value_type = std::remove_cvref_t<T>;
    if constexpr (!std::is_same_v<T, value_type>) {
        return type_name<value_type>(); // one cache per type, not per spelling
    } else {
        static const std::string name = detail::descriptor_of<T>();
        return name;
    }
}

/// Returns the FNV-1a 64-bit hash of a descriptor string (the wire form of a type fingerprint).
constexpr std::uint64_t descriptor_fingerprint(std::string_view descriptor) noexcept {
    std::uint64_t hash = 14695981039346656037ULL;
    for (const char c : descriptor) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    return hash;
}

/// Returns the FNV-1a 64-bit hash of type_name<T>(), computed once and cached.
/// @threadsafe
template <class T>
std::uint64_t type_fingerprint() {
    static const std::uint64_t fingerprint = descriptor_fingerprint(type_name<T>());
    return fingerprint;
}

/// Returns a fingerprint as exactly 16 lowercase hex digits.
std::string fingerprint_hex(std::uint64_t fingerprint);

namespace detail {

/// Returns "int<bits>" or "uint<bits>".
std::string integer_descriptor(bool is_signed, std::size_t bytes);

/// Integer types with a msgpack adaptor; bool and the character types are not numbers.
template <class T>
concept wire_integer =
    std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, wchar_t> &&
    !std::same_as<T, char8_t> && !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

/// Element types msgpack packs as bin when held in a vector or std::array.
template <class T>
concept byte_like =
    std::same_as<T, char> || std::same_as<T, unsigned char> || std::same_as<T, std::byte>;

template <class... Ts>
std::string tuple_descriptor() {
    std::string elements; // ",A,B": the leading comma becomes the '<'
    ((elements += ',', elements += type_name<Ts>()), ...);
    if (elements.empty()) {
        return "tuple<>";
    }
    elements[0] = '<';
    return "tuple" + elements + ">";
}

} // namespace detail

template <detail::wire_integer T>
struct type_descriptor<T> {
    // Plain char is int8 everywhere, whatever its signedness on this platform.
    static std::string name() {
        return detail::integer_descriptor(std::is_signed_v<T> || std::is_same_v<T, char>,
                                          sizeof(T));
    }
};

template <class T>
requires std::is_enum_v<T>
struct type_descriptor<T> {
    static std::string name() { return type_name<std::underlying_type_t<T>>(); }
};

template <>
struct type_descriptor<bool> {
    static std::string name() { return "bool"; }
};

template <>
struct type_descriptor<float> {
    static std::string name() { return "float32"; }
};

template <>
struct type_descriptor<double> {
    static std::string name() { return "float64"; }
};

template <>
struct type_descriptor<std::string> {
    static std::string name() { return "string"; }
};

template <class T, class Alloc>
struct type_descriptor<std::vector<T, Alloc>> {
    static std::string name() { return "array<" + type_name<T>() + ">"; }
};

template <detail::byte_like T, class Alloc>
struct type_descriptor<std::vector<T, Alloc>> {
    static std::string name() { return "bytes"; }
};

template <class T, std::size_t N>
struct type_descriptor<std::array<T, N>> {
    static std::string name() { return "array<" + type_name<T>() + "," + std::to_string(N) + ">"; }
};

template <detail::byte_like T, std::size_t N>
struct type_descriptor<std::array<T, N>> {
    static std::string name() { return "bytes<" + std::to_string(N) + ">"; }
};

template <class K, class V, class Compare, class Alloc>
struct type_descriptor<std::map<K, V, Compare, Alloc>> {
    static std::string name() { return "map<" + type_name<K>() + "," + type_name<V>() + ">"; }
};

template <class K, class V, class Hash, class Eq, class Alloc>
struct type_descriptor<std::unordered_map<K, V, Hash, Eq, Alloc>> {
    static std::string name() { return "map<" + type_name<K>() + "," + type_name<V>() + ">"; }
};

template <class T>
struct type_descriptor<std::optional<T>> {
    static std::string name() { return "optional<" + type_name<T>() + ">"; }
};

template <class... Ts>
struct type_descriptor<std::tuple<Ts...>> {
    static std::string name() { return detail::tuple_descriptor<Ts...>(); }
};

template <class A, class B>
struct type_descriptor<std::pair<A, B>> {
    static std::string name() { return detail::tuple_descriptor<A, B>(); }
};

} // namespace netchan
