#include "netchan/detail/shape.hpp"

#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

namespace netchan::detail {

namespace {

std::string number(double value) {
    char buf[32];
    const auto result = std::to_chars(buf, buf + sizeof buf, value);
    return {buf, result.ptr};
}

std::string_view str_of(const msgpack::object& o) noexcept {
    return {o.via.str.ptr, o.via.str.size};
}

// Renders a map key for a path: ["name"], [42], or [#3 <type>] for anything else.
std::string key_segment(const msgpack::object& key, std::size_t index) {
    constexpr std::size_t max_shown = 32;
    switch (key.type) {
    case msgpack::type::STR: {
        const std::string_view text = str_of(key);
        std::string out = "[\"";
        for (const char c : text.substr(0, max_shown)) {
            const bool printable = static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
            out += printable ? c : '?';
        }
        out += text.size() > max_shown ? "...\"]" : "\"]";
        return out;
    }
    case msgpack::type::POSITIVE_INTEGER:
        return "[" + std::to_string(key.via.u64) + "]";
    case msgpack::type::NEGATIVE_INTEGER:
        return "[" + std::to_string(key.via.i64) + "]";
    default:
        return "[#" + std::to_string(index) + " " + describe(key) + "]";
    }
}

bool fail(mismatch& m, std::string found) {
    m.found = std::move(found);
    return false;
}

bool prefix(mismatch& m, const std::string& segment) {
    m.path.insert(0, segment);
    return false;
}

} // namespace

std::string describe(const msgpack::object& o) {
    switch (o.type) {
    case msgpack::type::NIL:
        return "nil";
    case msgpack::type::BOOLEAN:
        return o.via.boolean ? "bool true" : "bool false";
    case msgpack::type::POSITIVE_INTEGER:
        return "positive integer " + std::to_string(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER:
        return "negative integer " + std::to_string(o.via.i64);
    case msgpack::type::FLOAT32:
        return "float32 " + number(o.via.f64);
    case msgpack::type::FLOAT64:
        return "float64 " + number(o.via.f64);
    case msgpack::type::STR:
        return "string(" + std::to_string(o.via.str.size) + ")";
    case msgpack::type::BIN:
        return "bin(" + std::to_string(o.via.bin.size) + ")";
    case msgpack::type::ARRAY:
        return "array(" + std::to_string(o.via.array.size) + ")";
    case msgpack::type::MAP:
        return "map(" + std::to_string(o.via.map.size) + ")";
    case msgpack::type::EXT:
        return "ext(type " + std::to_string(o.via.ext.type()) + ", " +
               std::to_string(o.via.ext.size) + " bytes)";
    }
    return "unknown msgpack type " + std::to_string(static_cast<int>(o.type));
}

bool wrong_type(const msgpack::object& o, mismatch& m) {
    return fail(m, describe(o));
}

bool out_of_range(const msgpack::object& o, mismatch& m) {
    return fail(m, describe(o) + " (out of range)");
}

bool wrong_length(const msgpack::object& o, std::size_t expected, mismatch& m) {
    const char* unit = o.type == msgpack::type::ARRAY ? " elements)" : " bytes)";
    return fail(m, describe(o) + " (needs exactly " + std::to_string(expected) + unit);
}

bool missing_field(const msgpack::object& o, std::string_view field, mismatch& m) {
    return fail(m, describe(o) + " without field \"" + std::string(field) + "\"");
}

bool at_index(std::size_t index, mismatch& m) {
    return prefix(m, "[" + std::to_string(index) + "]");
}

bool at_field(std::string_view field, mismatch& m) {
    return prefix(m, "." + std::string(field));
}

bool at_key_of(const msgpack::object& key, std::size_t index, mismatch& m) {
    return prefix(m, key_segment(key, index));
}

bool in_key(std::size_t index, mismatch& m) {
    return prefix(m, "[key #" + std::to_string(index) + "]");
}

} // namespace netchan::detail
