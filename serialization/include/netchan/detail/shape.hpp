#pragma once

#include "netchan/netchan_struct.hpp"
#include "netchan/type_name.hpp"

#include <msgpack.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

// shape<T>::fits checks a parsed msgpack object against T before (or after) msgpack converts it.
// It adds what msgpack's adaptors do not check: exact tuple and std::array lengths (msgpack leaves
// missing elements indeterminate and over-reads a short str into std::array<char, N>), and the
// float32 range; after a failed conversion it says where. It accepts exactly what msgpack accepts
// otherwise: integers for floats, str and bin for both string and bytes.

namespace netchan::detail {

/// Where and why an object does not fit a type; filled only on failure, leaf first.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct mismatch {
    std::string path;  ///< e.g. "[2].x"; empty at the root
    std::string found; ///< e.g. "string(3)"
};

/// Returns the wire type of o, with its value or size: "string(3)", "positive integer 300".
std::string describe(const msgpack::object& o);

// Each records the failure in m and returns false, so checks read `return ok || fail(...)`.
bool wrong_type(const msgpack::object& o, mismatch& m);
bool out_of_range(const msgpack::object& o, mismatch& m);
bool wrong_length(const msgpack::object& o, std::size_t expected, mismatch& m);
bool missing_field(const msgpack::object& o, std::string_view field, mismatch& m);
bool at_index(std::size_t index, mismatch& m);
bool at_field(std::string_view field, mismatch& m);
bool at_key_of(const msgpack::object& key, std::size_t index, mismatch& m);
bool in_key(std::size_t index, mismatch& m);

/// Checks objects against T. Primary: a type netchan does not know (a user adaptor), which msgpack
/// alone decides.
/// Thread-safe.
template <class T>
struct shape {
    /// True when msgpack's own conversion rejects everything fits() rejects, so decode<T> may
    /// skip the check on success and run it only to explain a failure.
    static constexpr bool msgpack_strict = true;
    static bool fits(const msgpack::object&, mismatch&) { return true; }
};

template <class T>
bool fits(const msgpack::object& o, mismatch& m) {
    return shape<T>::fits(o, m);
}

template <class I>
bool integer_fits(const msgpack::object& o, mismatch& m) {
    using limits = std::numeric_limits<I>;
    if (o.type == msgpack::type::POSITIVE_INTEGER) {
        return o.via.u64 <= static_cast<std::uint64_t>(limits::max()) || out_of_range(o, m);
    }
    if (o.type == msgpack::type::NEGATIVE_INTEGER) {
        return o.via.i64 >= static_cast<std::int64_t>(limits::min()) || out_of_range(o, m);
    }
    return wrong_type(o, m);
}

template <wire_integer T>
struct shape<T> {
    static constexpr bool msgpack_strict = true;
    static bool fits(const msgpack::object& o, mismatch& m) { return integer_fits<T>(o, m); }
};

template <class T>
requires std::is_enum_v<T>
struct shape<T> {
    static constexpr bool msgpack_strict = true;
    static bool fits(const msgpack::object& o, mismatch& m) {
        return integer_fits<std::underlying_type_t<T>>(o, m);
    }
};

template <>
struct shape<bool> {
    static constexpr bool msgpack_strict = true;
    static bool fits(const msgpack::object& o, mismatch& m) {
        return o.type == msgpack::type::BOOLEAN || wrong_type(o, m);
    }
};

template <std::floating_point T>
struct shape<T> {
    // msgpack would narrow any float64 into a float: beyond its range that cast is undefined.
    static constexpr bool msgpack_strict = !std::is_same_v<T, float>;
    static bool fits(const msgpack::object& o, mismatch& m) {
        switch (o.type) {
        case msgpack::type::FLOAT64:
            if constexpr (std::is_same_v<T, float>) {
                const double magnitude = std::fabs(o.via.f64);
                if (magnitude > std::numeric_limits<float>::max() && !std::isinf(magnitude)) {
                    return out_of_range(o, m);
                }
            }
            return true;
        case msgpack::type::FLOAT32:
        case msgpack::type::POSITIVE_INTEGER:
        case msgpack::type::NEGATIVE_INTEGER:
            return true;
        default:
            return wrong_type(o, m);
        }
    }
};

inline bool is_raw(const msgpack::object& o) {
    return o.type == msgpack::type::STR || o.type == msgpack::type::BIN;
}

template <>
struct shape<std::string> {
    static constexpr bool msgpack_strict = true;
    static bool fits(const msgpack::object& o, mismatch& m) {
        return is_raw(o) || wrong_type(o, m);
    }
};

template <byte_like T, class Alloc>
struct shape<std::vector<T, Alloc>> {
    static constexpr bool msgpack_strict = true;
    static bool fits(const msgpack::object& o, mismatch& m) {
        return is_raw(o) || wrong_type(o, m);
    }
};

template <byte_like T, std::size_t N>
struct shape<std::array<T, N>> {
    static constexpr bool msgpack_strict = false;
    static bool fits(const msgpack::object& o, mismatch& m) {
        if (!is_raw(o)) {
            return wrong_type(o, m);
        }
        // str and bin share the layout of via.str/via.bin.
        return o.via.bin.size == N || wrong_length(o, N, m);
    }
};

template <class T>
bool elements_fit(const msgpack::object& o, mismatch& m) {
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
        if (!fits<T>(o.via.array.ptr[i], m)) {
            return at_index(i, m);
        }
    }
    return true;
}

template <class T, class Alloc>
struct shape<std::vector<T, Alloc>> {
    static constexpr bool msgpack_strict = shape<T>::msgpack_strict;
    static bool fits(const msgpack::object& o, mismatch& m) {
        if (o.type != msgpack::type::ARRAY) {
            return wrong_type(o, m);
        }
        return elements_fit<T>(o, m);
    }
};

template <class T, std::size_t N>
struct shape<std::array<T, N>> {
    static constexpr bool msgpack_strict = false;
    static bool fits(const msgpack::object& o, mismatch& m) {
        if (o.type != msgpack::type::ARRAY) {
            return wrong_type(o, m);
        }
        if (o.via.array.size != N) {
            return wrong_length(o, N, m);
        }
        return elements_fit<T>(o, m);
    }
};

template <class K, class V>
struct map_shape {
    static constexpr bool msgpack_strict = shape<K>::msgpack_strict && shape<V>::msgpack_strict;
    static bool fits(const msgpack::object& o, mismatch& m) {
        if (o.type != msgpack::type::MAP) {
            return wrong_type(o, m);
        }
        for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
            const msgpack::object_kv& kv = o.via.map.ptr[i];
            if (!detail::fits<K>(kv.key, m)) {
                return in_key(i, m);
            }
            if (!detail::fits<V>(kv.val, m)) {
                return at_key_of(kv.key, i, m);
            }
        }
        return true;
    }
};

template <class K, class V, class Compare, class Alloc>
struct shape<std::map<K, V, Compare, Alloc>> : map_shape<K, V> {};

template <class K, class V, class Hash, class Eq, class Alloc>
struct shape<std::unordered_map<K, V, Hash, Eq, Alloc>> : map_shape<K, V> {};

template <class T>
struct shape<std::optional<T>> {
    static constexpr bool msgpack_strict = shape<T>::msgpack_strict;
    static bool fits(const msgpack::object& o, mismatch& m) {
        return o.type == msgpack::type::NIL || detail::fits<T>(o, m);
    }
};

template <class... Ts>
struct tuple_shape {
    static bool fits(const msgpack::object& o, mismatch& m) {
        if (o.type != msgpack::type::ARRAY) {
            return wrong_type(o, m);
        }
        if (o.via.array.size != sizeof...(Ts)) {
            return wrong_length(o, sizeof...(Ts), m);
        }
        return fit_each(o.via.array.ptr, m, std::index_sequence_for<Ts...>{});
    }

    template <std::size_t... I>
    static bool fit_each(const msgpack::object* items, mismatch& m, std::index_sequence<I...>) {
        // && short-circuits at the first element that does not fit.
        return ((detail::fits<Ts>(items[I], m) || at_index(I, m)) && ...);
    }
};

template <class... Ts>
struct shape<std::tuple<Ts...>> : tuple_shape<Ts...> {
    static constexpr bool msgpack_strict = false; // msgpack pads or drops elements
};

template <class A, class B>
struct shape<std::pair<A, B>> : tuple_shape<A, B> {
    static constexpr bool msgpack_strict = shape<A>::msgpack_strict && shape<B>::msgpack_strict;
};

template <class T, std::size_t... I>
constexpr bool fields_strict(std::index_sequence<I...>) {
    return (shape<typename struct_fields<T>::template type<I>>::msgpack_strict && ...);
}

template <netchan_struct T>
struct shape<T> {
    using fields = struct_fields<T>;
    // Our convert (netchan_struct.hpp) throws for a missing field itself.
    static constexpr bool msgpack_strict =
        fields_strict<T>(std::make_index_sequence<fields::size>{});

    static bool fits(const msgpack::object& o, mismatch& m) {
        if (o.type != msgpack::type::MAP) {
            return wrong_type(o, m);
        }
        return fit_each(o, m, std::make_index_sequence<fields::size>{});
    }

    template <std::size_t... I>
    static bool fit_each(const msgpack::object& o, mismatch& m, std::index_sequence<I...>) {
        return (fit_field<I>(o, m) && ...);
    }

    template <std::size_t I>
    static bool fit_field(const msgpack::object& o, mismatch& m) {
        const std::string_view name = fields::names[I];
        const msgpack::object* value = find_field(o, name);
        if (value == nullptr) {
            return missing_field(o, name, m);
        }
        return detail::fits<typename fields::template type<I>>(*value, m) || at_field(name, m);
    }
};

} // namespace netchan::detail
