#include "netchan/value_type.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

namespace netchan {

namespace {

// Same bound as decode_limits::max_depth: no value of a deeper type could be decoded anyway, and
// it keeps the recursive parser (and every walk over the tree) off the end of the stack.
constexpr std::size_t max_type_depth = 64;

struct scalar_name {
    std::string_view name;
    value_kind kind;
};

constexpr std::array<scalar_name, 13> scalar_names = {{
    {"bool", value_kind::boolean},
    {"int8", value_kind::int8},
    {"int16", value_kind::int16},
    {"int32", value_kind::int32},
    {"int64", value_kind::int64},
    {"uint8", value_kind::uint8},
    {"uint16", value_kind::uint16},
    {"uint32", value_kind::uint32},
    {"uint64", value_kind::uint64},
    {"float32", value_kind::float32},
    {"float64", value_kind::float64},
    {"string", value_kind::string},
    {"bytes", value_kind::bytes},
}};

bool identifier_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool identifier_char(char c) noexcept {
    return identifier_start(c) || (c >= '0' && c <= '9');
}

/// Recursive-descent parser over one descriptor; every error names the offset it stopped at.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class parser {
public:
    explicit parser(std::string_view text) noexcept : text_(text) {}

    value_type parse_whole() {
        value_type t = parse(0);
        if (pos_ != text_.size()) {
            fail("expected the end of the descriptor");
        }
        return t;
    }

private:
    [[noreturn]] void fail(const std::string& expected) const {
        throw descriptor_error(text_, pos_, expected + ", found " + found_here());
    }

    std::string found_here() const {
        if (pos_ >= text_.size()) {
            return "the end of the descriptor";
        }
        return "'" + std::string(1, text_[pos_]) + "'";
    }

    bool at(char c) const noexcept { return pos_ < text_.size() && text_[pos_] == c; }

    void expect(char c, const char* what) {
        if (!at(c)) {
            fail(std::string("expected '") + c + "' " + what);
        }
        ++pos_;
    }

    std::string_view identifier() {
        const std::size_t start = pos_;
        if (pos_ < text_.size() && identifier_start(text_[pos_])) {
            ++pos_;
            while (pos_ < text_.size() && identifier_char(text_[pos_])) {
                ++pos_;
            }
        }
        return text_.substr(start, pos_ - start);
    }

    std::uint32_t size_number() {
        const std::size_t start = pos_;
        std::uint64_t n = 0;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            n = n * 10 + static_cast<std::uint64_t>(text_[pos_] - '0');
            if (n > std::numeric_limits<std::uint32_t>::max()) {
                pos_ = start;
                fail("expected a size below 2^32 (msgpack's limit)");
            }
            ++pos_;
        }
        if (pos_ == start) {
            fail("expected a decimal size");
        }
        if (text_[start] == '0' && pos_ - start > 1) {
            pos_ = start;
            fail("expected a size without leading zeros");
        }
        return static_cast<std::uint32_t>(n);
    }

    value_type parse(std::size_t depth) {
        if (depth >= max_type_depth) {
            fail("expected at most " + std::to_string(max_type_depth) + " levels of nesting");
        }
        const std::size_t start = pos_;
        const std::string_view word = identifier();
        if (word.empty()) {
            fail("expected a type");
        }
        value_type t;
        if (at('{')) {
            parse_struct(t, word, depth);
            return t;
        }
        for (const scalar_name& s : scalar_names) {
            if (word == s.name) {
                t.kind = s.kind;
                if (t.kind == value_kind::bytes && at('<')) {
                    ++pos_;
                    t.kind = value_kind::fixed_bytes;
                    t.size = size_number();
                    expect('>', "to close bytes<N>");
                }
                return t;
            }
        }
        if (word == "array") {
            expect('<', "after array");
            t.elements.push_back(parse(depth + 1));
            if (at(',')) {
                ++pos_;
                t.kind = value_kind::fixed_array;
                t.size = size_number();
                expect('>', "to close array<T,N>");
            } else {
                t.kind = value_kind::array;
                expect('>', "or ',' in array<T> or array<T,N>");
            }
        } else if (word == "map") {
            t.kind = value_kind::map;
            expect('<', "after map");
            t.elements.push_back(parse(depth + 1));
            expect(',', "between the key and value types of map<K,V>");
            t.elements.push_back(parse(depth + 1));
            expect('>', "to close map<K,V>");
        } else if (word == "optional") {
            t.kind = value_kind::optional;
            expect('<', "after optional");
            t.elements.push_back(parse(depth + 1));
            expect('>', "to close optional<T>");
        } else if (word == "tuple") {
            t.kind = value_kind::tuple;
            expect('<', "after tuple");
            if (!at('>')) {
                t.elements.push_back(parse(depth + 1));
                while (at(',')) {
                    ++pos_;
                    t.elements.push_back(parse(depth + 1));
                }
            }
            expect('>', "or ',' in tuple<...>");
        } else {
            pos_ = start;
            fail("expected a built-in type or a struct Name{field:type,...}");
        }
        return t;
    }

    void parse_struct(value_type& t, std::string_view name, std::size_t depth) {
        t.kind = value_kind::structure;
        t.name = std::string(name);
        ++pos_; // '{'
        do {
            if (!t.fields.empty()) {
                ++pos_; // ','
            }
            const std::size_t field_start = pos_;
            const std::string_view field = identifier();
            if (field.empty()) {
                fail("expected a field name");
            }
            for (const std::string& seen : t.fields) {
                if (seen == field) {
                    pos_ = field_start;
                    fail("expected a field name not used before in " + t.name);
                }
            }
            t.fields.emplace_back(field);
            expect(':', "after a field name");
            t.elements.push_back(parse(depth + 1));
        } while (at(','));
        expect('}', "or ',' in a struct's field list");
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

void append_descriptor(const value_type& t, std::string& out) {
    switch (t.kind) {
    case value_kind::fixed_bytes:
        out += "bytes<" + std::to_string(t.size) + ">";
        return;
    case value_kind::array:
    case value_kind::fixed_array:
        out += "array<";
        append_descriptor(t.elements.at(0), out);
        if (t.kind == value_kind::fixed_array) {
            out += "," + std::to_string(t.size);
        }
        out += '>';
        return;
    case value_kind::map:
        out += "map<";
        append_descriptor(t.elements.at(0), out);
        out += ',';
        append_descriptor(t.elements.at(1), out);
        out += '>';
        return;
    case value_kind::optional:
        out += "optional<";
        append_descriptor(t.elements.at(0), out);
        out += '>';
        return;
    case value_kind::tuple:
        out += "tuple<";
        for (std::size_t i = 0; i < t.elements.size(); ++i) {
            out += i == 0 ? "" : ",";
            append_descriptor(t.elements[i], out);
        }
        out += '>';
        return;
    case value_kind::structure:
        out += t.name;
        for (std::size_t i = 0; i < t.elements.size(); ++i) {
            out += i == 0 ? '{' : ',';
            out += t.fields.at(i);
            out += ':';
            append_descriptor(t.elements[i], out);
        }
        out += '}';
        return;
    default:
        for (const scalar_name& s : scalar_names) {
            if (s.kind == t.kind) {
                out += s.name;
                return;
            }
        }
    }
}

} // namespace

descriptor_error::descriptor_error(std::string_view descriptor, std::size_t position,
                                   const std::string& why)
    : error("netchan: bad type descriptor \"" + std::string(descriptor) + "\" at position " +
            std::to_string(position) + ": " + why),
      position_(position) {
}

std::string value_type::descriptor() const {
    std::string out;
    append_descriptor(*this, out);
    return out;
}

value_type parse_type(std::string_view descriptor) {
    return parser(descriptor).parse_whole();
}

} // namespace netchan
