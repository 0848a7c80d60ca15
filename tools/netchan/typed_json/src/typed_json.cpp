#include "netchan/typed_json.hpp"

#include "netchan/codec.hpp"
#include "netchan/error.hpp"
#include "netchan/msgpack_object.hpp"
#include "netchan/value_type.hpp"

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace netchan {

namespace {

using json = nlohmann::json;

// -- shared helpers --------------------------------------------------------------------------

bool is_integer_kind(value_kind k) noexcept {
    return k >= value_kind::int8 && k <= value_kind::uint64;
}

bool is_signed_kind(value_kind k) noexcept {
    return k >= value_kind::int8 && k <= value_kind::int64;
}

bool is_float_kind(value_kind k) noexcept {
    return k == value_kind::float32 || k == value_kind::float64;
}

std::int64_t min_of(value_kind k) noexcept {
    switch (k) {
    case value_kind::int8:
        return std::numeric_limits<std::int8_t>::min();
    case value_kind::int16:
        return std::numeric_limits<std::int16_t>::min();
    case value_kind::int32:
        return std::numeric_limits<std::int32_t>::min();
    case value_kind::int64:
        return std::numeric_limits<std::int64_t>::min();
    default:
        return 0;
    }
}

std::uint64_t max_of(value_kind k) noexcept {
    switch (k) {
    case value_kind::int8:
        return std::numeric_limits<std::int8_t>::max();
    case value_kind::int16:
        return std::numeric_limits<std::int16_t>::max();
    case value_kind::int32:
        return std::numeric_limits<std::int32_t>::max();
    case value_kind::int64:
        return std::numeric_limits<std::int64_t>::max();
    case value_kind::uint8:
        return std::numeric_limits<std::uint8_t>::max();
    case value_kind::uint16:
        return std::numeric_limits<std::uint16_t>::max();
    case value_kind::uint32:
        return std::numeric_limits<std::uint32_t>::max();
    default:
        return std::numeric_limits<std::uint64_t>::max();
    }
}

bool is_identifier(std::string_view s) noexcept {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

std::string json_quoted(std::string_view s) {
    return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Returns path extended by a struct field or string map key: `.x`, or `["a b"]` when the key is
/// not an identifier.
std::string key_path(const std::string& path, std::string_view key) {
    return is_identifier(key) ? path + "." + std::string(key) : path + "[" + json_quoted(key) + "]";
}

std::string index_path(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

// -- base64 (RFC 4648, standard alphabet, padded) -------------------------------------------

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::span<const unsigned char> in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) |
                                std::uint32_t{in[i + 2]};
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += base64_alphabet[(v >> 6) & 63];
        out += base64_alphabet[v & 63];
    }
    if (const std::size_t rest = in.size() - i; rest != 0) {
        std::uint32_t v = std::uint32_t{in[i]} << 16;
        if (rest == 2) {
            v |= std::uint32_t{in[i + 1]} << 8;
        }
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += rest == 2 ? base64_alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

int base64_digit(char c) noexcept {
    const std::size_t at = base64_alphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

/// Decodes strict base64 into out; returns an empty string, or why the text is not base64.
std::string base64_decode(std::string_view in, std::vector<unsigned char>& out) {
    if (in.size() % 4 != 0) {
        return "its length " + std::to_string(in.size()) + " is not a multiple of 4";
    }
    out.reserve(in.size() / 4 * 3);
    for (std::size_t i = 0; i < in.size(); i += 4) {
        const bool last = i + 4 == in.size();
        std::size_t pad = 0;
        if (last) {
            pad = in[i + 3] == '=' ? (in[i + 2] == '=' ? 2 : 1) : 0;
        }
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            if (k >= 4 - pad) {
                v <<= 6;
                continue;
            }
            const int d = base64_digit(in[i + k]);
            if (d < 0) {
                return "it has " + json_quoted(in.substr(i + k, 1)) + " at offset " +
                       std::to_string(i + k) + ", which is not a base64 digit";
            }
            v = (v << 6) | static_cast<std::uint32_t>(d);
        }
        if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) {
            return "its last digit before the padding has bits that encode nothing";
        }
        out.push_back(static_cast<unsigned char>(v >> 16));
        if (pad < 2) {
            out.push_back(static_cast<unsigned char>(v >> 8));
        }
        if (pad < 1) {
            out.push_back(static_cast<unsigned char>(v));
        }
    }
    return {};
}

// -- UTF-8 ------------------------------------------------------------------------------------

/// Returns whether s is well-formed UTF-8 (no overlongs, surrogates or code points past
/// U+10FFFF): exactly what nlohmann::json can print without replacing anything.
bool valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1fU;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0fU;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07U;
        } else {
            return false;
        }
        if (s.size() - i <= n) {
            return false;
        }
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0U) != 0x80U) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3fU);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

// -- JSON -> msgpack --------------------------------------------------------------------------

/// Returns what a JSON value is, for error messages: `string "abc"`, `integer 300`.
std::string describe_json(const json& j) {
    switch (j.type()) {
    case json::value_t::null:
        return "null";
    case json::value_t::boolean:
        return j.get<bool>() ? "bool true" : "bool false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
        return "integer " + j.dump();
    case json::value_t::number_float:
        return "number " + j.dump();
    case json::value_t::string: {
        const auto& s = j.get_ref<const std::string&>();
        constexpr std::size_t shown = 40;
        if (s.size() <= shown) {
            return "string " + json_quoted(s);
        }
        return "string " + json_quoted(s.substr(0, shown)) + "... (" + std::to_string(s.size()) +
               " bytes)";
    }
    case json::value_t::array:
        return "array of " + std::to_string(j.size()) + " elements";
    case json::value_t::object:
        return "object with " + std::to_string(j.size()) + " keys";
    default:
        return "an unsupported JSON value";
    }
}

/// What the JSON for a type looks like, for "expected ..." in error messages.
std::string expected_form(const value_type& t) {
    std::string d = t.descriptor();
    switch (t.kind) {
    case value_kind::bytes:
    case value_kind::fixed_bytes:
        return d + " (a base64 string)";
    case value_kind::array:
    case value_kind::fixed_array:
    case value_kind::tuple:
        return d + " (a JSON array)";
    case value_kind::map:
        return t.elements.at(0).kind == value_kind::string
                   ? d + " (a JSON object)"
                   : d + " (a JSON array of [key, value] pairs)";
    case value_kind::structure:
        return d + " (a JSON object)";
    default:
        return d;
    }
}

/// A JSON integer, or a JSON number with no fraction part, split by sign.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct json_integer {
    bool negative = false;
    std::int64_t i = 0;  ///< when negative
    std::uint64_t u = 0; ///< when not negative

    friend std::strong_ordering operator<=>(const json_integer& a, const json_integer& b) {
        if (a.negative != b.negative) {
            return a.negative ? std::strong_ordering::less : std::strong_ordering::greater;
        }
        return a.negative ? a.i <=> b.i : a.u <=> b.u;
    }
};

/// Reads j as an integer; returns false when it is not one (a string, 1.5, a non-finite float),
/// and sets out_of_range when it is whole but beyond 64 bits.
bool read_integer(const json& j, json_integer& out, bool& out_of_range) {
    out_of_range = false;
    if (j.is_number_unsigned()) {
        out.u = j.get<std::uint64_t>();
        return true;
    }
    if (j.is_number_integer()) {
        const auto v = j.get<std::int64_t>();
        out.negative = v < 0;
        out.i = v;
        out.u = v < 0 ? 0 : static_cast<std::uint64_t>(v);
        return true;
    }
    if (!j.is_number_float()) {
        return false;
    }
    const double d = j.get<double>();
    if (!std::isfinite(d) || std::trunc(d) != d) {
        return false;
    }
    constexpr double two_63 = 9223372036854775808.0;
    constexpr double two_64 = 18446744073709551616.0;
    if (d >= two_64 || d < -two_63) {
        out_of_range = true;
        return true;
    }
    if (d < 0) {
        out.negative = true;
        out.i = static_cast<std::int64_t>(d);
    } else {
        out.u = static_cast<std::uint64_t>(d);
    }
    return true;
}

/// Reads j as a float: a JSON number or "NaN", "Infinity", "-Infinity"; false otherwise.
bool read_float(const json& j, double& out) {
    if (j.is_number()) {
        out = j.get<double>();
        return true;
    }
    if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        if (s == "NaN") {
            out = std::numeric_limits<double>::quiet_NaN();
            return true;
        }
        if (s == "Infinity" || s == "-Infinity") {
            out = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::infinity();
            return true;
        }
    }
    return false;
}

/// Where a map key sorts, for the key types std::map orders by value.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct key_order {
    json_integer integer;
    double number = 0;
};

/// One [key, value] pair of a map with non-string keys, encoded.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct encoded_pair {
    std::vector<std::byte> key;
    std::vector<std::byte> value;
    key_order order;
};

/// Encodes one JSON value by walking the type tree; the recursion depth is the type's depth,
/// which parse_type bounds, whatever the JSON holds.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class json_encoder {
public:
    explicit json_encoder(std::vector<std::byte>& out) noexcept : writer_(out), packer_(writer_) {}

    void write(const value_type& t, const json& j, const std::string& path) {
        switch (t.kind) {
        case value_kind::boolean:
            if (!j.is_boolean()) {
                mismatch(t, j, path);
            }
            if (j.get<bool>()) {
                packer_.pack_true();
            } else {
                packer_.pack_false();
            }
            return;
        case value_kind::float32:
        case value_kind::float64:
            write_float(t, j, path);
            return;
        case value_kind::string:
            if (!j.is_string()) {
                mismatch(t, j, path);
            }
            write_str(j.get_ref<const std::string&>());
            return;
        case value_kind::bytes:
        case value_kind::fixed_bytes:
            write_bytes(t, j, path);
            return;
        case value_kind::array:
        case value_kind::fixed_array:
        case value_kind::tuple:
            write_sequence(t, j, path);
            return;
        case value_kind::map:
            write_map(t, j, path);
            return;
        case value_kind::optional:
            if (j.is_null()) {
                packer_.pack_nil();
            } else {
                write(t.elements.at(0), j, path);
            }
            return;
        case value_kind::structure:
            write_struct(t, j, path);
            return;
        default:
            write_integer(t, j, path);
            return;
        }
    }

private:
    [[noreturn]] static void mismatch(const value_type& t, const json& j, const std::string& path) {
        throw json_error(path, expected_form(t), describe_json(j));
    }

    void write_integer(const value_type& t, const json& j, const std::string& path) {
        json_integer v;
        bool too_big = false;
        if (!read_integer(j, v, too_big)) {
            mismatch(t, j, path);
        }
        const bool fits = !too_big && (v.negative ? v.i >= min_of(t.kind) : v.u <= max_of(t.kind));
        if (!fits) {
            throw json_error(path,
                             t.descriptor() + " (" + std::to_string(min_of(t.kind)) + " to " +
                                 std::to_string(max_of(t.kind)) + ")",
                             describe_json(j) + " (out of range)");
        }
        // msgpack packs every integer width in its smallest form, so these two calls give the
        // bytes encode() writes for any of int8..uint64.
        if (v.negative) {
            packer_.pack_int64(v.i);
        } else {
            packer_.pack_uint64(v.u);
        }
    }

    void write_float(const value_type& t, const json& j, const std::string& path) {
        double d = 0;
        if (!read_float(j, d)) {
            throw json_error(path, t.descriptor() + " (a number, \"NaN\" or \"Infinity\")",
                             describe_json(j));
        }
        if (t.kind == value_kind::float64) {
            netchan::write_float(writer_, d);
            return;
        }
        // Decimal text names the float nearest to it: 3.4028235e38, the printed form of the
        // largest float32, is slightly above it as a double and still means it. Only numbers that
        // round to infinity are out of range (2^128 - 2^103 is halfway to the next power of two).
        constexpr double rounds_to_infinity = 3.4028235677973366e38;
        if (std::isfinite(d) && std::fabs(d) >= rounds_to_infinity) {
            throw json_error(path, "float32 (below 3.4028236e+38 in magnitude)",
                             describe_json(j) + " (out of range)");
        }
        constexpr float largest = std::numeric_limits<float>::max();
        // An integer converts straight to float, as in C++; through double it could round twice.
        float f = 0;
        if (j.is_number_unsigned()) {
            f = static_cast<float>(j.get<std::uint64_t>());
        } else if (j.is_number_integer()) {
            f = static_cast<float>(j.get<std::int64_t>());
        } else if (std::isfinite(d) && std::fabs(d) > largest) {
            f = std::copysign(largest, static_cast<float>(d > 0 ? 1 : -1));
        } else {
            f = static_cast<float>(d);
        }
        netchan::write_float(writer_, f);
    }

    void write_str(const std::string& s) {
        const auto size = msgpack::checked_get_container_size(s.size());
        packer_.pack_str(size);
        packer_.pack_str_body(s.data(), size);
    }

    void write_bytes(const value_type& t, const json& j, const std::string& path) {
        if (!j.is_string()) {
            mismatch(t, j, path);
        }
        std::vector<unsigned char> bytes;
        const std::string why = base64_decode(j.get_ref<const std::string&>(), bytes);
        if (!why.empty()) {
            throw json_error(path, expected_form(t), describe_json(j) + ", not base64: " + why);
        }
        if (t.kind == value_kind::fixed_bytes && bytes.size() != t.size) {
            throw json_error(
                path, t.descriptor() + " (base64 of exactly " + std::to_string(t.size) + " bytes)",
                "base64 of " + std::to_string(bytes.size()) + " bytes");
        }
        const auto size = msgpack::checked_get_container_size(bytes.size());
        packer_.pack_bin(size);
        packer_.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), size);
    }

    void write_sequence(const value_type& t, const json& j, const std::string& path) {
        if (!j.is_array()) {
            mismatch(t, j, path);
        }
        const bool is_tuple = t.kind == value_kind::tuple;
        const std::size_t want = is_tuple ? t.elements.size() : t.size;
        if ((is_tuple || t.kind == value_kind::fixed_array) && j.size() != want) {
            throw json_error(path,
                             t.descriptor() + " (a JSON array of exactly " + std::to_string(want) +
                                 " elements)",
                             describe_json(j));
        }
        packer_.pack_array(msgpack::checked_get_container_size(j.size()));
        for (std::size_t i = 0; i < j.size(); ++i) {
            write(is_tuple ? t.elements[i] : t.elements.at(0), j[i], index_path(path, i));
        }
    }

    void write_map(const value_type& t, const json& j, const std::string& path) {
        const value_type& key_type = t.elements.at(0);
        const value_type& val_type = t.elements.at(1);
        if (key_type.kind == value_kind::string) {
            if (!j.is_object()) {
                mismatch(t, j, path);
            }
            // nlohmann's object is a std::map<std::string, json>: its keys come out in the order
            // std::map<std::string, V> writes them.
            packer_.pack_map(msgpack::checked_get_container_size(j.size()));
            for (const auto& [key, value] : j.items()) {
                write_str(key);
                write(val_type, value, key_path(path, key));
            }
            return;
        }
        if (!j.is_array()) {
            mismatch(t, j, path);
        }
        std::vector<encoded_pair> pairs;
        pairs.reserve(j.size());
        std::set<std::vector<std::byte>> seen;
        for (std::size_t i = 0; i < j.size(); ++i) {
            const json& pair = j[i];
            const std::string at = index_path(path, i);
            if (!pair.is_array() || pair.size() != 2) {
                throw json_error(at, "a [key, value] pair of " + t.descriptor(),
                                 describe_json(pair));
            }
            encoded_pair p;
            json_encoder(p.key).write(key_type, pair[0], index_path(at, 0));
            json_encoder(p.value).write(val_type, pair[1], index_path(at, 1));
            if (!seen.insert(p.key).second) {
                throw json_error(index_path(at, 0), "a key not given before in " + t.descriptor(),
                                 "a repeated key " + describe_json(pair[0]));
            }
            p.order = order_of(key_type, pair[0]);
            pairs.push_back(std::move(p));
        }
        sort_like_std_map(key_type.kind, pairs);
        packer_.pack_map(msgpack::checked_get_container_size(pairs.size()));
        for (const encoded_pair& p : pairs) {
            writer_.write(reinterpret_cast<const char*>(p.key.data()), p.key.size());
            writer_.write(reinterpret_cast<const char*>(p.value.data()), p.value.size());
        }
    }

    static key_order order_of(const value_type& key_type, const json& key) {
        key_order order;
        bool too_big = false;
        if (is_integer_kind(key_type.kind)) {
            read_integer(key, order.integer, too_big);
        } else if (is_float_kind(key_type.kind)) {
            read_float(key, order.number);
            if (key_type.kind == value_kind::float32) {
                order.number = static_cast<float>(order.number);
            }
        } else if (key_type.kind == value_kind::boolean) {
            order.integer.u = key.get<bool>() ? 1 : 0;
        }
        return order;
    }

    // std::map orders integers, floats and bools by value; keys of other types keep the order
    // given (the decoder accepts any order, only the bytes of encode() differ).
    static void sort_like_std_map(value_kind key_kind, std::vector<encoded_pair>& pairs) {
        if (is_integer_kind(key_kind) || key_kind == value_kind::boolean) {
            std::stable_sort(pairs.begin(), pairs.end(),
                             [](const encoded_pair& a, const encoded_pair& b) {
                                 return a.order.integer < b.order.integer;
                             });
        } else if (is_float_kind(key_kind)) {
            // strong_order is total even with NaN, which std::sort needs.
            std::stable_sort(pairs.begin(), pairs.end(),
                             [](const encoded_pair& a, const encoded_pair& b) {
                                 return std::strong_order(a.order.number, b.order.number) < 0;
                             });
        }
    }

    void write_struct(const value_type& t, const json& j, const std::string& path) {
        if (!j.is_object()) {
            mismatch(t, j, path);
        }
        for (const auto& [key, value] : j.items()) {
            if (std::find(t.fields.begin(), t.fields.end(), key) == t.fields.end()) {
                std::string known;
                for (const std::string& f : t.fields) {
                    known += (known.empty() ? "" : ", ") + f;
                }
                throw json_error(key_path(path, key), "only the fields " + known + " of " + t.name,
                                 "unknown field " + json_quoted(key));
            }
        }
        packer_.pack_map(msgpack::checked_get_container_size(t.fields.size()));
        for (std::size_t i = 0; i < t.fields.size(); ++i) {
            const auto found = j.find(t.fields[i]);
            if (found == j.end()) {
                throw json_error(path,
                                 "field " + json_quoted(t.fields[i]) + " of " + t.descriptor(),
                                 "an object without it");
            }
            write_str(t.fields[i]);
            write(t.elements.at(i), *found, key_path(path, t.fields[i]));
        }
    }

    byte_writer writer_;
    msgpack::packer<byte_writer> packer_;
};

// -- msgpack -> JSON --------------------------------------------------------------------------

/// Returns f as a JSON number that prints in the shortest form reading back as f.
json float32_json(float f) {
    std::array<char, 64> buf{};
    const auto shortest = std::to_chars(buf.data(), buf.data() + buf.size(), f);
    double d = f;
    std::from_chars(buf.data(), shortest.ptr, d);
    return json(d);
}

json float_json(double d, bool single) {
    if (std::isnan(d)) {
        return "NaN";
    }
    if (std::isinf(d)) {
        return d < 0 ? "-Infinity" : "Infinity";
    }
    return single ? float32_json(static_cast<float>(d)) : json(d);
}

/// Converts a parsed msgpack object by walking the type tree, accepting what decode<T> accepts.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class json_decoder {
public:
    json read(const value_type& t, const msgpack::object& o, const std::string& path) const {
        switch (t.kind) {
        case value_kind::boolean:
            if (o.type != msgpack::type::BOOLEAN) {
                fail(t, o, path);
            }
            return o.via.boolean;
        case value_kind::float32:
        case value_kind::float64:
            return read_float(t, o, path);
        case value_kind::string: {
            const std::string_view s = raw_bytes(t, o, path);
            if (!valid_utf8(s)) {
                fail(t, o, path, " that is not valid UTF-8, which JSON cannot hold");
            }
            return std::string(s);
        }
        case value_kind::bytes:
        case value_kind::fixed_bytes: {
            const std::string_view s = raw_bytes(t, o, path);
            if (t.kind == value_kind::fixed_bytes && s.size() != t.size) {
                fail(t, o, path, " (needs exactly " + std::to_string(t.size) + " bytes)");
            }
            return base64_encode(
                std::span(reinterpret_cast<const unsigned char*>(s.data()), s.size()));
        }
        case value_kind::array:
        case value_kind::fixed_array:
        case value_kind::tuple:
            return read_sequence(t, o, path);
        case value_kind::map:
            return read_map(t, o, path);
        case value_kind::optional:
            return o.type == msgpack::type::NIL ? json(nullptr) : read(t.elements.at(0), o, path);
        case value_kind::structure:
            return read_struct(t, o, path);
        default:
            return read_integer(t, o, path);
        }
    }

private:
    [[noreturn]] static void fail(const value_type& t, const msgpack::object& o,
                                  const std::string& path, const std::string& why = {}) {
        std::string found = describe(o) + why;
        if (!path.empty()) {
            found += " at $" + path;
        }
        throw decode_error(t.descriptor(), std::move(found));
    }

    static json read_integer(const value_type& t, const msgpack::object& o,
                             const std::string& path) {
        if (o.type == msgpack::type::POSITIVE_INTEGER) {
            if (o.via.u64 > max_of(t.kind)) {
                fail(t, o, path, " (out of range)");
            }
            return o.via.u64;
        }
        if (o.type == msgpack::type::NEGATIVE_INTEGER) {
            if (!is_signed_kind(t.kind) || o.via.i64 < min_of(t.kind)) {
                fail(t, o, path, " (out of range)");
            }
            return o.via.i64;
        }
        fail(t, o, path);
    }

    static json read_float(const value_type& t, const msgpack::object& o, const std::string& path) {
        const bool single = t.kind == value_kind::float32;
        switch (o.type) {
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64: {
            const double d = o.via.f64;
            if (single && std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) {
                fail(t, o, path, " (out of range)");
            }
            return float_json(d, single);
        }
        case msgpack::type::POSITIVE_INTEGER:
            return single ? float32_json(static_cast<float>(o.via.u64))
                          : json(static_cast<double>(o.via.u64));
        case msgpack::type::NEGATIVE_INTEGER:
            return single ? float32_json(static_cast<float>(o.via.i64))
                          : json(static_cast<double>(o.via.i64));
        default:
            fail(t, o, path);
        }
    }

    // string and bytes both accept str and bin, as msgpack's adaptors do.
    static std::string_view raw_bytes(const value_type& t, const msgpack::object& o,
                                      const std::string& path) {
        if (o.type == msgpack::type::STR) {
            return {o.via.str.ptr, o.via.str.size};
        }
        if (o.type == msgpack::type::BIN) {
            return {o.via.bin.ptr, o.via.bin.size};
        }
        fail(t, o, path);
    }

    json read_sequence(const value_type& t, const msgpack::object& o,
                       const std::string& path) const {
        if (o.type != msgpack::type::ARRAY) {
            fail(t, o, path);
        }
        const bool is_tuple = t.kind == value_kind::tuple;
        const std::size_t want = is_tuple ? t.elements.size() : t.size;
        if ((is_tuple || t.kind == value_kind::fixed_array) && o.via.array.size != want) {
            fail(t, o, path, " (needs exactly " + std::to_string(want) + " elements)");
        }
        json out = json::array();
        for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
            out.push_back(read(is_tuple ? t.elements[i] : t.elements.at(0), o.via.array.ptr[i],
                               index_path(path, i)));
        }
        return out;
    }

    json read_map(const value_type& t, const msgpack::object& o, const std::string& path) const {
        if (o.type != msgpack::type::MAP) {
            fail(t, o, path);
        }
        const value_type& key_type = t.elements.at(0);
        const value_type& val_type = t.elements.at(1);
        const bool string_keys = key_type.kind == value_kind::string;
        json out = string_keys ? json::object() : json::array();
        for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
            const msgpack::object_kv& kv = o.via.map.ptr[i];
            if (string_keys) {
                // The key's own path would name the key; index it instead.
                const std::string key =
                    read(key_type, kv.key, index_path(path, i)).get<std::string>();
                // A repeated key: the last one wins, as in msgpack's std::map adaptor.
                out[key] = read(val_type, kv.val, key_path(path, key));
            } else {
                const std::string at = index_path(path, i);
                out.push_back(json::array({read(key_type, kv.key, index_path(at, 0)),
                                           read(val_type, kv.val, index_path(at, 1))}));
            }
        }
        return out;
    }

    json read_struct(const value_type& t, const msgpack::object& o, const std::string& path) const {
        if (o.type != msgpack::type::MAP) {
            fail(t, o, path);
        }
        json out = json::object();
        for (std::size_t i = 0; i < t.fields.size(); ++i) {
            const msgpack::object* found = find_field(o, t.fields[i]);
            if (found == nullptr) {
                fail(t, o, path, " without field " + json_quoted(t.fields[i]));
            }
            out[t.fields[i]] = read(t.elements.at(i), *found, key_path(path, t.fields[i]));
        }
        return out;
    }
};

} // namespace

json_error::json_error(std::string path, std::string expected, std::string found)
    : error("netchan: at " + path + ": expected " + expected + ", found " + found),
      path_(std::move(path)), expected_(std::move(expected)), found_(std::move(found)) {
}

std::vector<std::byte> json_to_msgpack(const value_type& t, const nlohmann::json& j) {
    std::vector<std::byte> out;
    json_encoder(out).write(t, j, "$");
    return out;
}

std::vector<std::byte> json_line_to_msgpack(const value_type& t, std::string_view text) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        // Drop nlohmann's "[json.exception.parse_error.101] " prefix; keep the position and why.
        std::string why = e.what();
        if (const std::size_t end = why.find("] "); end != std::string::npos) {
            why.erase(0, end + 2);
        }
        throw json_error("$", "one JSON value", "invalid JSON (" + why + ")");
    }
    return json_to_msgpack(t, j);
}

nlohmann::json msgpack_to_json(const value_type& t, std::span<const std::byte> bytes,
                               const decode_limits& limits) {
    const msgpack_frame frame(bytes, limits, t.descriptor());
    return json_decoder().read(t, frame.root(), "");
}

std::string msgpack_to_json_line(const value_type& t, std::span<const std::byte> bytes,
                                 const decode_limits& limits) {
    return msgpack_to_json(t, bytes, limits).dump();
}

} // namespace netchan
