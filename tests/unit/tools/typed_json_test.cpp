#include "netchan/typed_json.hpp"

#include "netchan/codec.hpp"
#include "netchan/error.hpp"
#include "netchan/netchan_struct.hpp"
#include "netchan/type_name.hpp"
#include "netchan/value_type.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

using nlohmann::json;

namespace {

struct point {
    double x = 0;
    double y = 0;
    NETCHAN_STRUCT(point, x, y);
    friend bool operator==(const point&, const point&) = default;
};

struct polygon {
    std::string name;
    std::vector<point> points;
    std::optional<std::int32_t> tag;
    std::map<std::string, float> weights;
    NETCHAN_STRUCT(polygon, name, points, tag, weights);
    friend bool operator==(const polygon&, const polygon&) = default;
};

// Same field names as point, with a string where point has a float64.
struct text_point {
    std::string x;
    double y = 0;
    NETCHAN_STRUCT(text_point, x, y);
};

enum class color : std::uint8_t { red = 1, green = 2 };

template <class T>
netchan::value_type type_of() {
    return netchan::parse_type(netchan::type_name<T>());
}

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (const int v : values) {
        out.push_back(static_cast<std::byte>(v));
    }
    return out;
}

/// JSON -> msgpack gives encode(value) byte for byte, and decode<T> reads value back.
template <class T>
void check_encodes(const T& value, const json& j) {
    INFO(netchan::type_name<T>() << " from " << j.dump());
    const auto bytes = netchan::json_to_msgpack(type_of<T>(), j);
    CHECK(bytes == netchan::encode(value));
    CHECK(netchan::decode<T>(bytes) == value);
}

/// msgpack -> JSON of encode(value) gives j.
template <class T>
void check_prints(const T& value, const json& j) {
    INFO(netchan::type_name<T>() << " as " << j.dump());
    const json printed = netchan::msgpack_to_json(type_of<T>(), netchan::encode(value));
    CHECK(printed == j);
    CHECK(printed.dump() == j.dump()); // same JSON types too: 1.0 stays a float, 1 an integer
}

template <class T>
void check_round_trip(const T& value, const json& j) {
    check_encodes(value, j);
    check_prints(value, j);
}

/// Returns the message of the json_error that converting j to t throws.
std::string json_error_of(const std::string& descriptor, const json& j) {
    try {
        (void)netchan::json_to_msgpack(netchan::parse_type(descriptor), j);
    } catch (const netchan::json_error& e) {
        return e.what();
    }
    return "(no json_error)";
}

std::string descriptor_error_of(std::string_view descriptor) {
    try {
        (void)netchan::parse_type(descriptor);
    } catch (const netchan::descriptor_error& e) {
        return e.what();
    }
    return "(no descriptor_error)";
}

/// Returns found() of the decode_error msgpack_to_json throws for bytes read as t.
std::string decode_found(const std::string& descriptor, std::span<const std::byte> bytes,
                         std::string* expected = nullptr) {
    try {
        (void)netchan::msgpack_to_json(netchan::parse_type(descriptor), bytes);
    } catch (const netchan::decode_error& e) {
        if (expected != nullptr) {
            *expected = e.expected();
        }
        return e.found();
    }
    return "(no decode_error)";
}

} // namespace

static_assert(std::is_base_of_v<netchan::error, netchan::json_error>);
static_assert(std::is_base_of_v<netchan::error, netchan::descriptor_error>);

// -- parse_type ---------------------------------------------------------------------------------

TEST_CASE("typed_json: parse_type reads back every descriptor type_name writes", "[typed_json]") {
    const std::vector<std::string> names = {
        netchan::type_name<bool>(),
        netchan::type_name<std::int8_t>(),
        netchan::type_name<std::uint64_t>(),
        netchan::type_name<float>(),
        netchan::type_name<std::string>(),
        netchan::type_name<std::vector<unsigned char>>(),
        netchan::type_name<std::array<char, 4>>(),
        netchan::type_name<std::vector<std::vector<long>>>(),
        netchan::type_name<std::array<float, 3>>(),
        netchan::type_name<std::map<std::string, std::vector<std::optional<double>>>>(),
        netchan::type_name<std::map<std::tuple<int, bool>, std::string>>(),
        netchan::type_name<std::tuple<>>(),
        netchan::type_name<std::tuple<std::int32_t, std::array<std::byte, 4>, std::string>>(),
        netchan::type_name<std::pair<color, short>>(),
        netchan::type_name<point>(),
        netchan::type_name<polygon>(),
        netchan::type_name<std::optional<std::vector<polygon>>>(),
    };
    for (const std::string& name : names) {
        INFO(name);
        CHECK(netchan::parse_type(name).descriptor() == name);
    }
}

TEST_CASE("typed_json: parse_type builds the tree of a descriptor", "[typed_json]") {
    const auto t =
        netchan::parse_type("polygon{name:string,points:array<point{x:float64,y:float64}>,"
                            "tag:optional<int32>,weights:map<string,float32>}");
    REQUIRE(t.kind == netchan::value_kind::structure);
    CHECK(t.name == "polygon");
    CHECK(t.fields == std::vector<std::string>{"name", "points", "tag", "weights"});
    REQUIRE(t.elements.size() == 4);
    CHECK(t.elements[1].kind == netchan::value_kind::array);
    CHECK(t.elements[1].elements.at(0).fields == std::vector<std::string>{"x", "y"});
    CHECK(t.elements[3].elements.at(1).kind == netchan::value_kind::float32);

    const auto fixed = netchan::parse_type("array<bytes<16>,3>");
    CHECK(fixed.kind == netchan::value_kind::fixed_array);
    CHECK(fixed.size == 3);
    CHECK(fixed.elements.at(0).kind == netchan::value_kind::fixed_bytes);
    CHECK(fixed.elements.at(0).size == 16);
    CHECK(netchan::parse_type("tuple<>").elements.empty());
}

TEST_CASE("typed_json: parse_type names the position and the problem", "[typed_json]") {
    CHECK(descriptor_error_of("array<int64") ==
          "netchan: bad type descriptor \"array<int64\" at position 11: expected '>' or ',' in "
          "array<T> or array<T,N>, found the end of the descriptor");
    CHECK(descriptor_error_of("foo") ==
          "netchan: bad type descriptor \"foo\" at position 0: expected a built-in type or a "
          "struct Name{field:type,...}, found 'f'");
    CHECK(descriptor_error_of("map<string>") ==
          "netchan: bad type descriptor \"map<string>\" at position 10: expected ',' between the "
          "key and value types of map<K,V>, found '>'");
    CHECK(descriptor_error_of("") ==
          "netchan: bad type descriptor \"\" at position 0: expected a type, found the end of the "
          "descriptor");
    CHECK(descriptor_error_of("int64>") ==
          "netchan: bad type descriptor \"int64>\" at position 5: expected the end of the "
          "descriptor, found '>'");
    CHECK(descriptor_error_of("array<int64, 3>") ==
          "netchan: bad type descriptor \"array<int64, 3>\" at position 12: expected a decimal "
          "size, found ' '");
    CHECK(descriptor_error_of("bytes<04>") ==
          "netchan: bad type descriptor \"bytes<04>\" at position 6: expected a size without "
          "leading zeros, found '0'");
    CHECK(descriptor_error_of("array<bool,4294967296>") ==
          "netchan: bad type descriptor \"array<bool,4294967296>\" at position 11: expected a "
          "size below 2^32 (msgpack's limit), found '4'");
    CHECK(descriptor_error_of("p{x:int8,x:int8}") ==
          "netchan: bad type descriptor \"p{x:int8,x:int8}\" at position 9: expected a field name "
          "not used before in p, found 'x'");
    CHECK(descriptor_error_of("p{}") ==
          "netchan: bad type descriptor \"p{}\" at position 2: expected a field name, found '}'");
    CHECK(descriptor_error_of("p{x:int8") ==
          "netchan: bad type descriptor \"p{x:int8\" at position 8: expected '}' or ',' in a "
          "struct's field list, found the end of the descriptor");
    CHECK(descriptor_error_of("tuple<int8,>") ==
          "netchan: bad type descriptor \"tuple<int8,>\" at position 11: expected a type, found "
          "'>'");

    std::string deep;
    for (int i = 0; i < 100; ++i) {
        deep += "array<";
    }
    CHECK_THROWS_WITH(netchan::parse_type(deep + "int8" + std::string(100, '>')),
                      Catch::Contains("expected at most 64 levels of nesting"));
    try {
        (void)netchan::parse_type("map<string,int64");
        FAIL("no exception");
    } catch (const netchan::descriptor_error& e) {
        CHECK(e.position() == 16);
    }
}

// -- JSON -> msgpack -> JSON against the C++ codec -----------------------------------------------

TEST_CASE("typed_json: integers match the codec byte for byte", "[typed_json]") {
    check_round_trip(true, json(true));
    check_round_trip(false, json(false));
    check_round_trip(std::int8_t{-128}, json(-128));
    check_round_trip(std::int8_t{-33}, json(-33));
    check_round_trip(std::int8_t{127}, json(127));
    check_round_trip(std::int16_t{-32768}, json(-32768));
    check_round_trip(std::int32_t{-1}, json(-1));
    check_round_trip(std::int64_t{200}, json(200));
    check_round_trip(std::numeric_limits<std::int64_t>::min(),
                     json(std::numeric_limits<std::int64_t>::min()));
    check_round_trip(std::numeric_limits<std::int64_t>::max(),
                     json(std::numeric_limits<std::int64_t>::max()));
    check_round_trip(std::uint8_t{255}, json(255));
    check_round_trip(std::uint16_t{65535}, json(65535));
    check_round_trip(std::uint32_t{4294967295U}, json(4294967295U));
    check_round_trip(std::numeric_limits<std::uint64_t>::max(),
                     json(std::numeric_limits<std::uint64_t>::max()));
    check_round_trip(color::green, json(2));
    check_round_trip('A', json(65));
    // Parsed text, as the CLI gets it: the largest uint64 is a JSON "unsigned" number.
    CHECK(netchan::json_line_to_msgpack(type_of<std::uint64_t>(), "18446744073709551615") ==
          netchan::encode(std::numeric_limits<std::uint64_t>::max()));
    CHECK(netchan::json_line_to_msgpack(type_of<std::int64_t>(), "-9223372036854775808") ==
          netchan::encode(std::numeric_limits<std::int64_t>::min()));
}

TEST_CASE("typed_json: whole floats are accepted as integers", "[typed_json]") {
    check_encodes(std::int64_t{2}, json(2.0));
    check_encodes(std::int64_t{-2}, json(-2.0));
    check_encodes(std::uint16_t{1000}, json::parse("1e3"));
    check_encodes(std::int32_t{0}, json(-0.0));
    check_encodes(std::uint64_t{1} << 63, json(9223372036854775808.0));
}

TEST_CASE("typed_json: floats are written as float32 or float64 and print back exactly",
          "[typed_json]") {
    check_round_trip(1.0, json(1.0));
    check_round_trip(0.1, json(0.1));
    check_round_trip(-0.0, json(-0.0));
    check_round_trip(1e300, json(1e300));
    check_round_trip(std::numeric_limits<double>::min(), json(std::numeric_limits<double>::min()));
    check_round_trip(1.0F, json(1.0));
    check_round_trip(0.1F, json(0.1)); // printed as float32's shortest form, not 0.10000000149...
    check_round_trip(-2.5F, json(-2.5));
    check_round_trip(std::numeric_limits<float>::max(), json(3.4028235e38));
    check_round_trip(-std::numeric_limits<float>::max(), json(-3.4028235e38));
    check_encodes(std::numeric_limits<float>::max(), json(3.40282356e38)); // rounds down
    check_round_trip(std::numeric_limits<float>::denorm_min(), json(1e-45));
    // JSON integers become floats, still written as floats.
    check_encodes(2.0, json(2));
    check_encodes(3.0F, json(3));
    check_encodes(16777217.0F, json(16777217)); // rounds once, as the C++ conversion does
    CHECK(netchan::json_to_msgpack(type_of<double>(), json(1)) ==
          bytes_of({0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
    CHECK(netchan::json_to_msgpack(type_of<float>(), json(1)) ==
          bytes_of({0xca, 0x3f, 0x80, 0, 0}));
}

TEST_CASE("typed_json: non-finite floats travel as the strings NaN and Infinity", "[typed_json]") {
    const double inf = std::numeric_limits<double>::infinity();
    check_round_trip(inf, json("Infinity"));
    check_round_trip(-inf, json("-Infinity"));
    check_round_trip(std::numeric_limits<float>::infinity(), json("Infinity"));
    const auto nan_bytes = netchan::json_to_msgpack(type_of<double>(), json("NaN"));
    CHECK(std::isnan(netchan::decode<double>(nan_bytes)));
    CHECK(netchan::msgpack_to_json(type_of<double>(),
                                   netchan::encode(std::numeric_limits<double>::quiet_NaN())) ==
          json("NaN"));
    CHECK(netchan::msgpack_to_json(type_of<float>(),
                                   netchan::encode(std::numeric_limits<float>::quiet_NaN())) ==
          json("NaN"));
}

TEST_CASE("typed_json: float32 values survive a print and a parse", "[typed_json]") {
    const auto t = type_of<float>();
    std::mt19937 rng(20261128);
    std::uniform_int_distribution<std::uint32_t> bits;
    int checked = 0;
    for (int i = 0; i < 3000; ++i) {
        const auto f = std::bit_cast<float>(bits(rng));
        if (!std::isfinite(f)) {
            continue;
        }
        const auto encoded = netchan::encode(f);
        const std::string line = netchan::msgpack_to_json_line(t, encoded);
        INFO(line);
        REQUIRE(netchan::json_line_to_msgpack(t, line) == encoded);
        ++checked;
    }
    CHECK(checked > 2900);
    const auto d = type_of<double>();
    std::uniform_int_distribution<std::uint64_t> bits64;
    for (int i = 0; i < 3000; ++i) {
        const auto v = std::bit_cast<double>(bits64(rng));
        if (!std::isfinite(v)) {
            continue;
        }
        const auto encoded = netchan::encode(v);
        const std::string line = netchan::msgpack_to_json_line(d, encoded);
        INFO(line);
        REQUIRE(netchan::json_line_to_msgpack(d, line) == encoded);
    }
}

TEST_CASE("typed_json: strings and bytes match the codec byte for byte", "[typed_json]") {
    check_round_trip(std::string(), json(""));
    check_round_trip(std::string("h\xc3\xa9llo \"q\"\n"), json("h\xc3\xa9llo \"q\"\n"));
    check_round_trip(std::string(40, 'a'), json(std::string(40, 'a')));   // str8
    check_round_trip(std::string(300, 'b'), json(std::string(300, 'b'))); // str16
    check_round_trip(std::vector<unsigned char>{}, json(""));
    check_round_trip(std::vector<unsigned char>{0, 1, 255}, json("AAH/"));
    check_round_trip(std::vector<char>{'f', 'o'}, json("Zm8="));
    check_round_trip(std::vector<std::byte>{std::byte{'f'}}, json("Zg=="));
    check_round_trip(std::vector<unsigned char>(300, 0), json(std::string(400, 'A'))); // bin16
    check_round_trip(std::array<unsigned char, 4>{1, 2, 3, 4}, json("AQIDBA=="));
    check_round_trip(std::array<char, 3>{'a', 'b', 'c'}, json("YWJj"));
}

TEST_CASE("typed_json: arrays tuples and optionals match the codec byte for byte", "[typed_json]") {
    check_round_trip(std::vector<long>{}, json::array());
    check_round_trip(std::vector<long>{1, -2, 300}, json::array({1, -2, 300}));
    check_round_trip(std::vector<std::vector<std::uint16_t>>{{1}, {}, {2, 3}},
                     json::parse("[[1],[],[2,3]]"));
    check_round_trip(std::array<float, 3>{1.5F, 0.1F, -1.0F}, json::parse("[1.5,0.1,-1.0]"));
    check_round_trip(std::array<std::int32_t, 0>{}, json::array());
    check_round_trip(std::vector<bool>{true, false}, json::parse("[true,false]"));
    check_round_trip(std::optional<std::string>{}, json(nullptr));
    check_round_trip(std::optional<std::string>{"x"}, json("x"));
    check_round_trip(std::vector<std::optional<double>>{1.0, std::nullopt},
                     json::parse("[1.0,null]"));
    check_round_trip(std::tuple<>{}, json::array());
    check_round_trip(std::tuple<long, std::string>{7, "seven"}, json::parse(R"([7,"seven"])"));
    check_round_trip(std::pair<std::int16_t, double>{-1, 0.5}, json::parse("[-1,0.5]"));
    check_round_trip(
        std::tuple<bool, std::vector<unsigned char>, std::optional<float>>{true, {9}, std::nullopt},
        json::parse(R"([true,"CQ==",null])"));
}

TEST_CASE("typed_json: maps match the codec byte for byte", "[typed_json]") {
    check_round_trip(std::map<std::string, long>{}, json::object());
    check_round_trip(std::map<std::string, long>{{"b", 2}, {"a", 1}, {"a b", 3}},
                     json::parse(R"({"b":2,"a":1,"a b":3})"));
    check_round_trip(std::map<std::string, std::vector<double>>{{"xs", {1.0, 2.5}}},
                     json::parse(R"({"xs":[1.0,2.5]})"));
    // Non-string keys: [key, value] pairs, written in std::map's order whatever the input order.
    const std::map<std::int32_t, std::string> by_int{{-1, "a"}, {3, "c"}, {200, "d"}};
    check_encodes(by_int, json::parse(R"([[200,"d"],[3,"c"],[-1,"a"]])"));
    check_prints(by_int, json::parse(R"([[-1,"a"],[3,"c"],[200,"d"]])"));
    check_round_trip(std::map<std::uint64_t, bool>{{1, true}, {18446744073709551615ULL, false}},
                     json::parse("[[1,true],[18446744073709551615,false]]"));
    const std::map<double, int> by_float{{-0.5, 1}, {2.0, 2}, {1e10, 3}};
    check_encodes(by_float, json::parse("[[1e10,3],[-0.5,1],[2.0,2]]"));
    check_prints(by_float, json::parse("[[-0.5,1],[2.0,2],[10000000000.0,3]]"));
    check_round_trip(std::map<bool, int>{{false, 0}, {true, 1}},
                     json::parse("[[false,0],[true,1]]"));
    // Keys std::map orders by more than a number keep the order given; here it is sorted already.
    check_round_trip(std::map<std::tuple<int, int>, int>{{{1, 2}, 3}, {{2, 0}, 4}},
                     json::parse("[[[1,2],3],[[2,0],4]]"));
    check_round_trip(std::map<std::optional<std::string>, int>{{std::nullopt, 0}, {"k", 1}},
                     json::parse(R"([[null,0],["k",1]])"));
}

TEST_CASE("typed_json: structs match the codec byte for byte", "[typed_json]") {
    check_round_trip(point{1.5, -2}, json::parse(R"({"x":1.5,"y":-2.0})"));
    // Key order in the JSON object does not matter; the bytes follow declaration order.
    check_encodes(point{1, 2}, json::parse(R"({"y":2,"x":1})"));
    const polygon p{"tri", {{0, 0}, {1, 0}, {0.5, 1}}, 7, {{"w", 0.25F}}};
    check_round_trip(
        p, json::parse(
               R"({"name":"tri","points":[{"x":0.0,"y":0.0},{"x":1.0,"y":0.0},{"x":0.5,"y":1.0}],
                "tag":7,"weights":{"w":0.25}})"));
    check_round_trip(polygon{"none", {}, std::nullopt, {}},
                     json::parse(R"({"name":"none","points":[],"tag":null,"weights":{}})"));
    check_round_trip(std::vector<point>{{1, 2}}, json::parse(R"([{"x":1.0,"y":2.0}])"));
    // The protocol's worked example: point{x:float64,y:int32} {1.5, 2}.
    CHECK(netchan::json_line_to_msgpack(netchan::parse_type("point{x:float64,y:int32}"),
                                        R"({"x":1.5,"y":2})") ==
          bytes_of({0x82, 0xa1, 0x78, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xa1, 0x79, 0x02}));
}

// -- JSON errors -----------------------------------------------------------------------------

TEST_CASE("typed_json: integers out of range or not whole are refused", "[typed_json]") {
    CHECK(json_error_of("uint8", json(300)) ==
          "netchan: at $: expected uint8 (0 to 255), found integer 300 (out of range)");
    CHECK(json_error_of("uint64", json(-1)) ==
          "netchan: at $: expected uint64 (0 to 18446744073709551615), found integer -1 (out "
          "of range)");
    CHECK(json_error_of("int8", json(-129)) ==
          "netchan: at $: expected int8 (-128 to 127), found integer -129 (out of range)");
    CHECK(json_error_of("int64", json(9223372036854775808ULL)) ==
          "netchan: at $: expected int64 (-9223372036854775808 to 9223372036854775807), found "
          "integer 9223372036854775808 (out of range)");
    CHECK(json_error_of("uint64", json(1e20)) ==
          "netchan: at $: expected uint64 (0 to 18446744073709551615), found number 1e+20 (out "
          "of range)");
    CHECK(json_error_of("int64", json(1.5)) == "netchan: at $: expected int64, found number 1.5");
    CHECK(json_error_of("int32", json("12")) ==
          "netchan: at $: expected int32, found string \"12\"");
    CHECK(json_error_of("int32", json(true)) == "netchan: at $: expected int32, found bool true");
    CHECK(json_error_of("bool", json(1)) == "netchan: at $: expected bool, found integer 1");
    CHECK_THROWS_AS(netchan::json_to_msgpack(netchan::parse_type("uint8"), json(256)),
                    netchan::json_error);
}

TEST_CASE("typed_json: wrong JSON shapes are refused with the path", "[typed_json]") {
    CHECK(json_error_of(netchan::type_name<polygon>(),
                        json::parse(R"({"name":"p","tag":null,"weights":{},
                           "points":[{"x":1,"y":2},{"x":1,"y":2},{"x":"abc","y":2}]})")) ==
          "netchan: at $.points[2].x: expected float64 (a number, \"NaN\" or \"Infinity\"), "
          "found string \"abc\"");
    CHECK(json_error_of("float32", json(1e39)) ==
          "netchan: at $: expected float32 (below 3.4028236e+38 in magnitude), found number "
          "1e+39 (out of range)");
    CHECK(json_error_of("float32", json(-3.4028236e38)) ==
          "netchan: at $: expected float32 (below 3.4028236e+38 in magnitude), found number "
          "-3.4028236e+38 (out of range)");
    CHECK(json_error_of("float64", json(nullptr)) ==
          "netchan: at $: expected float64 (a number, \"NaN\" or \"Infinity\"), found null");
    CHECK(json_error_of("string", json(5)) == "netchan: at $: expected string, found integer 5");
    CHECK(json_error_of("array<int64,3>", json::parse("[1,2]")) ==
          "netchan: at $: expected array<int64,3> (a JSON array of exactly 3 elements), found "
          "array of 2 elements");
    CHECK(json_error_of("array<int64>", json::object()) ==
          "netchan: at $: expected array<int64> (a JSON array), found object with 0 keys");
    CHECK(json_error_of("tuple<int64,string>", json::parse("[1]")) ==
          "netchan: at $: expected tuple<int64,string> (a JSON array of exactly 2 elements), "
          "found array of 1 elements");
    CHECK(json_error_of("tuple<int64,string>", json::parse("[1,2]")) ==
          "netchan: at $[1]: expected string, found integer 2");
    CHECK(json_error_of("optional<array<uint8>>", json::parse("[1,-1]")) ==
          "netchan: at $[1]: expected uint8 (0 to 255), found integer -1 (out of range)");
    CHECK(json_error_of("array<int8>", json::array({std::string(50, 'z')})) ==
          "netchan: at $[0]: expected int8, found string \"" + std::string(40, 'z') +
              "\"... (50 bytes)");
}

TEST_CASE("typed_json: struct fields are all required and unknown ones refused", "[typed_json]") {
    const std::string point_type = "point{x:float64,y:float64}";
    CHECK(json_error_of(point_type, json::parse(R"({"x":1})")) ==
          "netchan: at $: expected field \"y\" of point{x:float64,y:float64}, found an object "
          "without it");
    CHECK(json_error_of(point_type, json::parse(R"({"x":1,"y":2,"z":3})")) ==
          "netchan: at $.z: expected only the fields x, y of point, found unknown field \"z\"");
    CHECK(json_error_of("array<" + point_type + ">", json::parse(R"([{"x":1,"y":2,"a b":3}])")) ==
          "netchan: at $[0][\"a b\"]: expected only the fields x, y of point, found unknown "
          "field \"a b\"");
    CHECK(json_error_of(point_type, json::parse("[1,2]")) ==
          "netchan: at $: expected point{x:float64,y:float64} (a JSON object), found array of 2 "
          "elements");
}

TEST_CASE("typed_json: map keys in the wrong form or repeated are refused", "[typed_json]") {
    CHECK(json_error_of("map<int32,string>", json::parse(R"({"1":"a"})")) ==
          "netchan: at $: expected map<int32,string> (a JSON array of [key, value] pairs), found "
          "object with 1 keys");
    CHECK(json_error_of("map<int32,string>", json::parse(R"([[1,"a"],[2]])")) ==
          "netchan: at $[1]: expected a [key, value] pair of map<int32,string>, found array of "
          "1 elements");
    CHECK(json_error_of("map<int32,string>", json::parse(R"([[1,"a"],["2","b"]])")) ==
          "netchan: at $[1][0]: expected int32, found string \"2\"");
    CHECK(json_error_of("map<int32,string>", json::parse(R"([[1,"a"],[1.0,"b"]])")) ==
          "netchan: at $[1][0]: expected a key not given before in map<int32,string>, found a "
          "repeated key number 1.0");
    CHECK(json_error_of("map<string,int8>", json::parse(R"({"k":[1]})")) ==
          "netchan: at $.k: expected int8, found array of 1 elements");
    CHECK(json_error_of("map<string,int8>", json::parse("[]")) ==
          "netchan: at $: expected map<string,int8> (a JSON object), found array of 0 elements");
}

TEST_CASE("typed_json: bytes must be strict base64 of the right length", "[typed_json]") {
    CHECK(json_error_of("bytes", json("abc")) ==
          "netchan: at $: expected bytes (a base64 string), found string \"abc\", not base64: "
          "its length 3 is not a multiple of 4");
    CHECK(json_error_of("bytes", json("ab!d")) ==
          "netchan: at $: expected bytes (a base64 string), found string \"ab!d\", not base64: "
          "it has \"!\" at offset 2, which is not a base64 digit");
    CHECK(json_error_of("bytes", json("Zh==")) ==
          "netchan: at $: expected bytes (a base64 string), found string \"Zh==\", not base64: "
          "its last digit before the padding has bits that encode nothing");
    CHECK(json_error_of("bytes", json("A===")) ==
          "netchan: at $: expected bytes (a base64 string), found string \"A===\", not base64: "
          "it has \"=\" at offset 1, which is not a base64 digit");
    CHECK(json_error_of("bytes<4>", json("AQID")) ==
          "netchan: at $: expected bytes<4> (base64 of exactly 4 bytes), found base64 of 3 bytes");
    CHECK(json_error_of("bytes", json::array({1, 2})) ==
          "netchan: at $: expected bytes (a base64 string), found array of 2 elements");
}

TEST_CASE("typed_json: a line that is not one JSON value is refused", "[typed_json]") {
    const auto t = type_of<std::int64_t>();
    CHECK(netchan::json_line_to_msgpack(t, " 42 ") == netchan::encode(std::int64_t{42}));
    CHECK_THROWS_AS(netchan::json_line_to_msgpack(t, "1 2"), netchan::json_error);
    CHECK_THROWS_AS(netchan::json_line_to_msgpack(t, ""), netchan::json_error);
    CHECK_THROWS_WITH(netchan::json_line_to_msgpack(t, "{\"x\":"),
                      Catch::StartsWith("netchan: at $: expected one JSON value, found invalid "
                                        "JSON (parse error at line 1, column 6"));
    CHECK_THROWS_WITH(netchan::json_line_to_msgpack(t, "NaN"),
                      Catch::StartsWith("netchan: at $: expected one JSON value"));
}

// -- msgpack -> JSON errors ------------------------------------------------------------------

TEST_CASE("typed_json: msgpack_to_json accepts what decode accepts", "[typed_json]") {
    // Integers for floats, float64 within range for float32, str for bytes, bin for string.
    CHECK(netchan::msgpack_to_json(type_of<double>(), netchan::encode(3)).dump() == "3.0");
    CHECK(netchan::msgpack_to_json(type_of<float>(), netchan::encode(-3)).dump() == "-3.0");
    CHECK(netchan::msgpack_to_json(type_of<float>(), netchan::encode(0.1)).dump() == "0.1");
    CHECK(netchan::msgpack_to_json(type_of<double>(), netchan::encode(0.1F)).dump() ==
          "0.10000000149011612");
    CHECK(netchan::msgpack_to_json(type_of<std::vector<unsigned char>>(),
                                   netchan::encode(std::string("fo"))) == json("Zm8="));
    CHECK(netchan::msgpack_to_json(type_of<std::string>(),
                                   netchan::encode(std::vector<char>{'h', 'i'})) == json("hi"));
    // A struct ignores unknown keys; an int64 reads any integer format that fits.
    CHECK(netchan::msgpack_to_json(type_of<point>(), netchan::encode(std::map<std::string, double>{
                                                         {"x", 1}, {"y", 2}, {"z", 3}})) ==
          json::parse(R"({"x":1.0,"y":2.0})"));
    CHECK(netchan::msgpack_to_json(type_of<std::int64_t>(),
                                   bytes_of({0xcf, 0, 0, 0, 0, 0, 0, 0, 5})) == json(5));
    CHECK(netchan::msgpack_to_json_line(type_of<std::map<std::string, std::optional<bool>>>(),
                                        netchan::encode(std::map<std::string, std::optional<bool>>{
                                            {"a", true}, {"b", std::nullopt}})) ==
          R"({"a":true,"b":null})");
}

TEST_CASE("typed_json: msgpack_to_json says what was found and where", "[typed_json]") {
    std::string expected;
    CHECK(decode_found("int64", netchan::encode(std::string("abc")), &expected) == "string(3)");
    CHECK(expected == "int64");
    CHECK(decode_found("uint8", netchan::encode(300)) == "positive integer 300 (out of range)");
    CHECK(decode_found("uint32", netchan::encode(-1)) == "negative integer -1 (out of range)");
    CHECK(decode_found("float32", netchan::encode(1e39)) == "float64 1e+39 (out of range)");
    CHECK(decode_found("bool", netchan::encode(1)) == "positive integer 1");
    const std::vector<text_point> wrong{{"a", 1}};
    CHECK(decode_found("array<point{x:float64,y:float64}>", netchan::encode(wrong), &expected) ==
          "string(1) at $[0].x");
    CHECK(expected == "float64");
    CHECK(decode_found("point{x:float64,y:float64}",
                       netchan::encode(std::map<std::string, double>{{"x", 1}})) ==
          "map(1) without field \"y\"");
    CHECK(decode_found("array<int8,3>", netchan::encode(std::vector<int>{1, 2})) ==
          "array(2) (needs exactly 3 elements)");
    CHECK(decode_found("tuple<int8>", netchan::encode(std::vector<int>{})) ==
          "array(0) (needs exactly 1 elements)");
    CHECK(decode_found("bytes<4>", netchan::encode(std::vector<unsigned char>{1})) ==
          "bin(1) (needs exactly 4 bytes)");
    CHECK(decode_found("map<int8,string>",
                       netchan::encode(std::map<int, std::string>{{1, "a"}, {2, "\xff"}})) ==
          "string(1) that is not valid UTF-8, which JSON cannot hold at $[1][1]");
    CHECK(decode_found("map<string,int8>",
                       netchan::encode(std::map<std::string, int>{{"k", 1000}})) ==
          "positive integer 1000 (out of range) at $.k");
    CHECK(decode_found("optional<int8>", netchan::encode(std::string())) == "string(0)");
}

TEST_CASE("typed_json: msgpack_to_json refuses malformed bytes and bytes over a limit",
          "[typed_json]") {
    const auto t = type_of<std::vector<std::int64_t>>();
    CHECK(decode_found("int64", {}) == "empty frame");
    CHECK(decode_found("int64", bytes_of({0xcd, 0x01})) == "truncated frame (2 bytes)");
    CHECK(decode_found("int64", bytes_of({0x01, 0x02})) == "positive integer 1 followed by 1 "
                                                           "trailing bytes");
    CHECK(decode_found("int64", bytes_of({0xc1})) == "malformed msgpack (reserved type byte)");
    // An array header that claims 2^32-1 elements in 5 bytes.
    CHECK_THROWS_AS(netchan::msgpack_to_json(t, bytes_of({0xdd, 0xff, 0xff, 0xff, 0xff})),
                    netchan::decode_error);
    netchan::decode_limits limits;
    limits.max_array_size = 2;
    CHECK_THROWS_WITH(
        netchan::msgpack_to_json(t, netchan::encode(std::vector<std::int64_t>{1, 2, 3}), limits),
        Catch::EndsWith("found array over the limit of 2 elements"));
    CHECK(netchan::msgpack_to_json(t, netchan::encode(std::vector<std::int64_t>{1, 2}), limits) ==
          json::parse("[1,2]"));
}

TEST_CASE("typed_json: only well-formed UTF-8 strings are printed", "[typed_json]") {
    const auto t = type_of<std::string>();
    const std::string emoji = "\xf0\x9f\x99\x82 \xe2\x82\xac \xc3\xa9";
    CHECK(netchan::msgpack_to_json(t, netchan::encode(emoji)) == json(emoji));
    for (const std::string bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                  "\xe2\x82", "a\x80", "\xf8"}) {
        INFO(bad.size());
        CHECK_THROWS_WITH(netchan::msgpack_to_json(t, netchan::encode(bad)),
                          Catch::Contains("not valid UTF-8"));
    }
}

TEST_CASE("typed_json: deeply nested JSON is refused by the type not by the stack",
          "[typed_json]") {
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    CHECK_THROWS_WITH(
        netchan::json_line_to_msgpack(netchan::parse_type("array<array<int8>>"), deep),
        "netchan: at $[0][0]: expected int8, found array of 1 elements");
}

// -- robustness --------------------------------------------------------------------------------

namespace {

/// Runs bytes through msgpack_to_json for T's descriptor and through decode<T>: both accept or
/// both refuse (with decode_error), and when both accept, printing then parsing gives the value.
template <class T>
void check_agrees_with_decode(std::span<const std::byte> bytes, int& accepted, int& refused) {
    static const netchan::value_type t = type_of<T>();
    bool printed = false;
    json j;
    try {
        j = netchan::msgpack_to_json(t, bytes);
        printed = true;
    } catch (const netchan::decode_error&) {
    }
    std::optional<T> decoded;
    try {
        decoded = netchan::decode<T>(bytes);
    } catch (const netchan::decode_error&) {
    }
    INFO(netchan::type_name<T>());
    REQUIRE(printed == decoded.has_value());
    if (printed) {
        ++accepted;
        const auto again = netchan::json_to_msgpack(t, j);
        REQUIRE(netchan::decode<T>(again) == *decoded);
    } else {
        ++refused;
    }
}

template <class T>
void fuzz_against(const T& seed_value, std::mt19937& rng, int& accepted, int& refused) {
    const auto valid = netchan::encode(seed_value);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int i = 0; i < 400; ++i) {
        auto bytes = valid;
        const int flips = 1 + i % 3;
        for (int k = 0; k < flips && !bytes.empty(); ++k) {
            const auto at = std::uniform_int_distribution<std::size_t>(0, bytes.size() - 1)(rng);
            bytes[at] = static_cast<std::byte>(byte(rng));
        }
        if (i % 7 == 0) {
            bytes.resize(std::uniform_int_distribution<std::size_t>(0, bytes.size())(rng));
        }
        check_agrees_with_decode<T>(bytes, accepted, refused);
    }
}

} // namespace

TEST_CASE("typed_json: mutated values print exactly when decode accepts them", "[typed_json]") {
    std::mt19937 rng(7); // fixed seed: the same inputs on every run
    int accepted = 0;
    int refused = 0;
    fuzz_against(std::int64_t{-123456789}, rng, accepted, refused);
    fuzz_against(std::uint16_t{300}, rng, accepted, refused);
    fuzz_against(1.5F, rng, accepted, refused);
    fuzz_against(std::vector<std::optional<std::int32_t>>{1, std::nullopt, -70000}, rng, accepted,
                 refused);
    fuzz_against(std::tuple<bool, std::uint8_t, double>{true, 200, 0.25}, rng, accepted, refused);
    fuzz_against(std::map<std::int32_t, float>{{1, 0.5F}, {-2, 3.0F}}, rng, accepted, refused);
    fuzz_against(point{1.0, 2.0}, rng, accepted, refused);
    fuzz_against(std::array<unsigned char, 2>{1, 2}, rng, accepted, refused);
    fuzz_against(std::vector<std::byte>{std::byte{1}, std::byte{2}}, rng, accepted, refused);
    CHECK(accepted > 200); // the mutations reach the converters
    CHECK(refused > 200);
}

TEST_CASE("typed_json: random bytes never crash msgpack_to_json", "[typed_json]") {
    const std::vector<netchan::value_type> types = {
        netchan::parse_type("int64"),
        netchan::parse_type("string"),
        netchan::parse_type("map<string,array<optional<float64>>>"),
        netchan::parse_type("map<tuple<int8,bytes>,string>"),
        netchan::parse_type(netchan::type_name<polygon>()),
        netchan::parse_type("array<array<array<bytes<2>>>>"),
    };
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, 48);
    int refused = 0;
    for (int i = 0; i < 6000; ++i) {
        std::vector<std::byte> bytes(length(rng));
        for (auto& b : bytes) {
            b = static_cast<std::byte>(byte(rng));
        }
        for (const auto& t : types) {
            try {
                (void)netchan::msgpack_to_json_line(t, bytes);
            } catch (const netchan::decode_error&) {
                ++refused;
            }
        }
    }
    CHECK(refused > 0);
}

TEST_CASE("typed_json: the decode regression corpus is refused or printed", "[typed_json]") {
    const auto dir = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                     "data" / "decode_regressions";
    REQUIRE(std::filesystem::is_directory(dir));
    const std::vector<netchan::value_type> types = {
        netchan::parse_type("string"),
        netchan::parse_type("bytes<4>"),
        netchan::parse_type("array<int64>"),
        netchan::parse_type("map<string,int64>"),
        netchan::parse_type("tuple<int64,int64,int64>"),
        netchan::parse_type("point{x:float64,y:float64}"),
    };
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".msgpack") {
            continue;
        }
        ++files;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::vector<char> chars((std::istreambuf_iterator<char>(in)),
                                      std::istreambuf_iterator<char>());
        const auto bytes = std::as_bytes(std::span(chars));
        INFO(entry.path().filename().string());
        for (const auto& t : types) {
            try {
                (void)netchan::msgpack_to_json_line(t, bytes);
            } catch (const netchan::decode_error&) {
            }
        }
    }
    CHECK(files >= 10);
}
