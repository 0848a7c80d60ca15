#include "netchan/wire.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include <cstddef>
#include <vector>

namespace wire = netchan::wire;

namespace {

template <class... Fields>
std::vector<std::byte> raw_frame(const Fields&... fields) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> p(buf);
    p.pack_array(sizeof...(fields));
    (p.pack(fields), ...);
    const auto* b = reinterpret_cast<const std::byte*>(buf.data());
    return {b, b + buf.size()};
}

wire::message parse(const std::vector<std::byte>& f) {
    return wire::parse(f, 1 << 20);
}

} // namespace

TEST_CASE("wire: a heartbeat carries the sender's links", "[wire]") {
    const auto f = wire::encode(wire::heartbeat{{3, 1ull << 40, 7}, {0, 12, 1ull << 33}});
    const auto m = parse(f);
    REQUIRE(std::holds_alternative<wire::heartbeat>(m));
    CHECK(std::get<wire::heartbeat>(m).links == std::vector<std::uint64_t>{3, 1ull << 40, 7});
    CHECK(std::get<wire::heartbeat>(m).received == std::vector<std::uint64_t>{0, 12, 1ull << 33});
    const auto without_counts = parse(raw_frame(1, 8, std::vector<int>{4, 5}));
    CHECK(std::get<wire::heartbeat>(without_counts).received == std::vector<std::uint64_t>{0, 0});
    const auto empty = parse(wire::encode(wire::heartbeat{}));
    CHECK(std::get<wire::heartbeat>(empty).links.empty());
}

TEST_CASE("wire: a heartbeat without a list of links is a bad frame", "[wire]") {
    const auto no_list = raw_frame(1, 8);
    const auto not_a_list = raw_frame(1, 8, 5);
    const auto bad_entry = raw_frame(1, 8, std::vector<int>{1, -2});
    const auto uneven = raw_frame(1, 8, std::vector<int>{1, 2}, std::vector<int>{1});
    for (const auto* f : {&no_list, &not_a_list, &bad_entry, &uneven}) {
        try {
            (void)parse(*f);
            FAIL("parsed a malformed heartbeat");
        } catch (const wire::frame_error& e) {
            CHECK(e.code() == wire::errc::bad_frame);
        }
    }
}
