#pragma once

#include "netchan/type_name.hpp"

#include <msgpack.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

/// Makes the enclosing struct a netchan value type: a msgpack MAP keyed by field names, with the
/// type descriptor `Name{field:type,...}`.
///
/// Place it inside the struct body, after the fields, and end it with `;`. `Name` must be the
/// struct's own name; the fields are plain data members (1 to 64: Boost.PP's variadic limit in
/// MSGPACK_DEFINE_MAP).
/// Decoding ignores keys it does not know (and non-string keys) and throws netchan::decode_error
/// naming a missing field, so a newer sender may add fields but never drop one.
/// @code
/// struct point {
///     double x = 0;
///     double y = 0;
///     NETCHAN_STRUCT(point, x, y);
/// };
/// @endcode
/// A derived struct is not a NETCHAN_STRUCT of its own until it repeats the macro.
#define NETCHAN_STRUCT(Name, ...)                                                                  \
    MSGPACK_DEFINE_MAP(__VA_ARGS__)                                                                \
    static constexpr std::string_view netchan_struct_name_() noexcept {                            \
        return #Name;                                                                              \
    }                                                                                              \
    static constexpr std::string_view netchan_field_list_() noexcept {                             \
        return #__VA_ARGS__;                                                                       \
    }                                                                                              \
    auto netchan_fields_() const noexcept {                                                        \
        return std::tie(__VA_ARGS__);                                                              \
    }                                                                                              \
    auto netchan_fields_() noexcept {                                                              \
        return std::tie(__VA_ARGS__);                                                              \
    }                                                                                              \
    void netchan_check_name_() const noexcept {                                                    \
        static_assert(std::is_same_v<Name, std::remove_cvref_t<decltype(*this)>>,                  \
                      "NETCHAN_STRUCT: the first argument must be the enclosing struct's name");   \
    }                                                                                              \
    using netchan_struct_self_ = Name

namespace netchan {

namespace detail {

/// A type that declared NETCHAN_STRUCT itself (not merely inherited it).
template <class T>
concept netchan_struct = std::is_same_v<typename T::netchan_struct_self_, T>;

constexpr std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

constexpr std::size_t count_fields(std::string_view list) noexcept {
    std::size_t n = 1;
    for (const char c : list) {
        n += c == ',' ? 1 : 0;
    }
    return n;
}

/// Splits "x, y" (the macro's #__VA_ARGS__) into {"x", "y"} at compile time.
template <std::size_t N>
constexpr std::array<std::string_view, N> split_fields(std::string_view list) noexcept {
    std::array<std::string_view, N> out{};
    for (std::size_t i = 0; i < N; ++i) {
        const std::size_t comma = list.find(',');
        out[i] = trim(list.substr(0, comma));
        list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    }
    return out;
}

/// Compile-time view of a NETCHAN_STRUCT: its field names and field types.
/// Thread-safe.
template <netchan_struct T>
struct struct_fields {
    using tied = decltype(std::declval<const T&>().netchan_fields_());
    static constexpr std::size_t size = std::tuple_size_v<tied>;
    static_assert(count_fields(T::netchan_field_list_()) == size,
                  "NETCHAN_STRUCT: fields must be plain member names");

    template <std::size_t I>
    using type = std::remove_cvref_t<std::tuple_element_t<I, tied>>;

    static constexpr std::array<std::string_view, size> names =
        split_fields<size>(T::netchan_field_list_());
};

/// Returns the value of the first entry of a msgpack map whose key is the string key, or nullptr.
/// Non-string keys are skipped like unknown ones.
inline const msgpack::object* find_field(const msgpack::object& map,
                                         std::string_view key) noexcept {
    for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
        const msgpack::object_kv& kv = map.via.map.ptr[i];
        if (kv.key.type == msgpack::type::STR &&
            std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
            return &kv.val;
        }
    }
    return nullptr;
}

template <class T, std::size_t... I>
void convert_fields(const msgpack::object& map, T& value, std::index_sequence<I...>) {
    using fields = struct_fields<T>;
    const auto tied = value.netchan_fields_();
    const auto convert_one = [&map](std::string_view name, auto& field) {
        const msgpack::object* found = find_field(map, name);
        if (found == nullptr) {
            throw msgpack::type_error(); // decode() names the field
        }
        found->convert(field);
    };
    (convert_one(fields::names[I], std::get<I>(tied)), ...);
}

template <class T, std::size_t... I>
std::string struct_descriptor(std::index_sequence<I...>) {
    using fields = struct_fields<T>;
    std::string out(T::netchan_struct_name_());
    std::string body; // ",x:float64,y:float64": the leading comma becomes the '{'
    ((body += ',', body += fields::names[I], body += ':',
      body += type_name<typename fields::template type<I>>()),
     ...);
    body[0] = '{';
    return out + body + "}";
}

} // namespace detail

template <detail::netchan_struct T>
struct type_descriptor<T> {
    static std::string name() {
        return detail::struct_descriptor<T>(
            std::make_index_sequence<detail::struct_fields<T>::size>{});
    }
};

} // namespace netchan

// Decodes a NETCHAN_STRUCT by looking each field up in the map, instead of define_map's
// std::map<std::string, ...> built per value; a missing field throws. It lives next to the macro
// so that every translation unit that sees the struct sees it too (no ODR split).
template <class T>
struct msgpack::adaptor::convert<T, std::enable_if_t<netchan::detail::netchan_struct<T>>> {
    const msgpack::object& operator()(const msgpack::object& o, T& v) const {
        if (o.type != msgpack::type::MAP) {
            throw msgpack::type_error();
        }
        netchan::detail::convert_fields(
            o, v, std::make_index_sequence<netchan::detail::struct_fields<T>::size>{});
        return o;
    }
};
