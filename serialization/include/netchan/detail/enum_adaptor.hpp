#pragma once

#include <msgpack.hpp>

#include <cstddef>
#include <type_traits>

// msgpack adaptors for every enum, so enums travel without MSGPACK_ADD_ENUM: the wire value is
// the underlying integer. A full specialization (MSGPACK_ADD_ENUM, msgpack's own std::byte) still
// wins over these partial ones. They are declared through msgpack's inline API-version
// namespace, where MSGPACK_ADD_ENUM puts its own.

namespace netchan::detail {

/// Enums handled by the generic adaptor below.
template <class T>
concept msgpack_enum = std::is_enum_v<T> && !std::is_same_v<T, std::byte>;

/// True when every value of the underlying type is a valid T, which holds exactly for enums with a
/// fixed underlying type (`enum class`, `enum e : int`): only those accept T{integer}.
template <class T>
concept accepts_underlying = requires {
    T{std::underlying_type_t<T>{}};
};

template <class T>
concept fixed_enum = msgpack_enum<T> && accepts_underlying<T>;

} // namespace netchan::detail

template <class T>
struct msgpack::adaptor::convert<T, std::enable_if_t<netchan::detail::msgpack_enum<T>>> {
    msgpack::object const& operator()(msgpack::object const& o, T& v) const {
        // Casting an out-of-range value to an enum without a fixed underlying type is UB.
        static_assert(netchan::detail::fixed_enum<T>,
                      "netchan: decoding an enum needs a fixed underlying type, e.g. "
                      "enum color : std::int32_t { ... } or enum class");
        v = static_cast<T>(o.as<std::underlying_type_t<T>>());
        return o;
    }
};

template <class T>
struct msgpack::adaptor::pack<T, std::enable_if_t<netchan::detail::msgpack_enum<T>>> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& o, const T& v) const {
        return o.pack(static_cast<std::underlying_type_t<T>>(v));
    }
};

template <class T>
struct msgpack::adaptor::object<T, std::enable_if_t<netchan::detail::msgpack_enum<T>>> {
    void operator()(msgpack::object& o, const T& v) const {
        msgpack::operator<<(o, static_cast<std::underlying_type_t<T>>(v));
    }
};

template <class T>
struct msgpack::adaptor::object_with_zone<T, std::enable_if_t<netchan::detail::msgpack_enum<T>>> {
    void operator()(msgpack::object::with_zone& o, const T& v) const {
        msgpack::operator<<(o, static_cast<std::underlying_type_t<T>>(v));
    }
};
