#include "netchan/type_name.hpp"

#include "netchan/netchan_struct.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using netchan::type_name;

struct point {
    double x = 0;
    double y = 0;
    NETCHAN_STRUCT(point, x, y);
};

struct segment {
    point from;
    point to;
    std::string label;
    NETCHAN_STRUCT(segment, from, to, label);
};

struct spaced {
    std::int32_t a = 0;
    std::vector<point> b;
    std::optional<std::string> c;
    NETCHAN_STRUCT(spaced, a, b, c);
};

// Inherits the macro's members but not the descriptor: it must declare its own.
struct point3 : point {
    double z = 0;
};

enum class color : std::uint8_t { red, green };
enum class level { low, high };
enum legacy : std::int16_t { legacy_a };

struct no_descriptor {};

struct rgb {
    std::uint8_t r, g, b;
};

} // namespace

template <>
struct netchan::type_descriptor<rgb> {
    static std::string name() { return "rgb"; }
};

static_assert(netchan::has_type_descriptor<point>);
static_assert(!netchan::has_type_descriptor<no_descriptor>);
static_assert(!netchan::has_type_descriptor<point3>);
static_assert(!netchan::has_type_descriptor<long double>);
static_assert(!netchan::has_type_descriptor<std::set<int>>);
static_assert(netchan::descriptor_fingerprint("") == 0xcbf29ce484222325ULL);

TEST_CASE("type_name: names integers by width and signedness", "[type_name]") {
    CHECK(type_name<std::int8_t>() == "int8");
    CHECK(type_name<std::int16_t>() == "int16");
    CHECK(type_name<std::int32_t>() == "int32");
    CHECK(type_name<std::int64_t>() == "int64");
    CHECK(type_name<std::uint8_t>() == "uint8");
    CHECK(type_name<std::uint16_t>() == "uint16");
    CHECK(type_name<std::uint32_t>() == "uint32");
    CHECK(type_name<std::uint64_t>() == "uint64");
    CHECK(type_name<char>() == "int8");
    CHECK(type_name<signed char>() == "int8");
    CHECK(type_name<unsigned char>() == "uint8");
    CHECK(type_name<long long>() == "int64");
    CHECK(type_name<unsigned long long>() == "uint64");
    // By size, not by spelling: long is int64 on LP64 (Linux, macOS) and int32 on Windows.
    CHECK(type_name<long>() == (sizeof(long) == 8 ? "int64" : "int32"));
    CHECK(type_name<unsigned long>() == (sizeof(long) == 8 ? "uint64" : "uint32"));
}

TEST_CASE("type_name: names bool, floats, strings and byte vectors", "[type_name]") {
    CHECK(type_name<bool>() == "bool");
    CHECK(type_name<float>() == "float32");
    CHECK(type_name<double>() == "float64");
    CHECK(type_name<std::string>() == "string");
    CHECK(type_name<std::vector<std::byte>>() == "bytes");
    CHECK(type_name<std::vector<std::uint8_t>>() == "bytes");
    CHECK(type_name<std::vector<char>>() == "bytes");
    CHECK(type_name<std::array<std::byte, 16>>() == "bytes<16>");
    CHECK(type_name<std::array<char, 4>>() == "bytes<4>");
    // signed char is a number, and msgpack packs its vectors as arrays.
    CHECK(type_name<std::vector<std::int8_t>>() == "array<int8>");
}

TEST_CASE("type_name: names containers, optionals and tuples by their elements", "[type_name]") {
    CHECK(type_name<std::vector<std::int32_t>>() == "array<int32>");
    CHECK(type_name<std::vector<std::vector<std::string>>>() == "array<array<string>>");
    CHECK(type_name<std::array<std::int16_t, 3>>() == "array<int16,3>");
    CHECK(type_name<std::map<std::string, std::int64_t>>() == "map<string,int64>");
    CHECK(type_name<std::unordered_map<std::int32_t, bool>>() == "map<int32,bool>");
    CHECK(type_name<std::optional<float>>() == "optional<float32>");
    CHECK(type_name<std::tuple<std::int64_t, std::string>>() == "tuple<int64,string>");
    CHECK(type_name<std::tuple<>>() == "tuple<>");
    CHECK(type_name<std::pair<std::int8_t, double>>() == "tuple<int8,float64>");
    CHECK(type_name<std::map<std::string, std::vector<std::optional<std::int32_t>>>>() ==
          "map<string,array<optional<int32>>>");
    CHECK(type_name<std::optional<std::tuple<std::vector<std::byte>, std::array<bool, 2>>>>() ==
          "optional<tuple<bytes,array<bool,2>>>");
}

TEST_CASE("type_name: names enums by their underlying integer", "[type_name]") {
    CHECK(type_name<color>() == "uint8");
    CHECK(type_name<level>() == "int32");
    CHECK(type_name<legacy>() == "int16");
    CHECK(type_name<std::byte>() == "uint8");
    CHECK(type_name<std::vector<color>>() == "array<uint8>");
}

TEST_CASE("type_name: names structs by name and typed fields", "[type_name]") {
    CHECK(type_name<point>() == "point{x:float64,y:float64}");
    CHECK(type_name<segment>() ==
          "segment{from:point{x:float64,y:float64},to:point{x:float64,y:float64},label:string}");
    CHECK(type_name<spaced>() ==
          "spaced{a:int32,b:array<point{x:float64,y:float64}>,c:optional<string>}");
    CHECK(type_name<std::map<std::string, point>>() == "map<string,point{x:float64,y:float64}>");
}

TEST_CASE("type_name: uses a user specialization of type_descriptor", "[type_name]") {
    CHECK(type_name<rgb>() == "rgb");
    CHECK(type_name<std::vector<rgb>>() == "array<rgb>");
}

TEST_CASE("type_name: computes each descriptor once and ignores cv and references", "[type_name]") {
    const std::string& first = type_name<std::map<std::string, point>>();
    CHECK(&first == &type_name<std::map<std::string, point>>());
    CHECK(&type_name<const std::int64_t&>() == &type_name<std::int64_t>());
}

TEST_CASE("type_fingerprint: is the FNV-1a 64 hash of the descriptor", "[type_name]") {
    CHECK(netchan::type_fingerprint<std::int64_t>() == 0xf9d0c88f42834344ULL);
    CHECK(netchan::type_fingerprint<long long>() == netchan::type_fingerprint<std::int64_t>());
    CHECK(netchan::type_fingerprint<point>() ==
          netchan::descriptor_fingerprint("point{x:float64,y:float64}"));
    CHECK(netchan::fingerprint_hex(netchan::type_fingerprint<std::int64_t>()) ==
          "f9d0c88f42834344");
}

TEST_CASE("type_fingerprint: differs between different types", "[type_name]") {
    const std::set<std::uint64_t> fingerprints{
        netchan::type_fingerprint<std::int64_t>(),
        netchan::type_fingerprint<std::int32_t>(),
        netchan::type_fingerprint<std::uint64_t>(),
        netchan::type_fingerprint<double>(),
        netchan::type_fingerprint<std::string>(),
        netchan::type_fingerprint<std::vector<std::byte>>(),
        netchan::type_fingerprint<std::vector<std::int64_t>>(),
        netchan::type_fingerprint<std::optional<std::int64_t>>(),
        netchan::type_fingerprint<point>(),
        netchan::type_fingerprint<segment>(),
    };
    CHECK(fingerprints.size() == 10);
}

TEST_CASE("fingerprint_hex: prints 16 zero-padded lowercase hex digits", "[type_name]") {
    CHECK(netchan::fingerprint_hex(0) == "0000000000000000");
    CHECK(netchan::fingerprint_hex(0xabc) == "0000000000000abc");
    CHECK(netchan::fingerprint_hex(0xFFFFFFFFFFFFFFFFULL) == "ffffffffffffffff");
}
