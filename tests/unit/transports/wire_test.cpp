#include "netchan/internal/wire.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
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

namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> l) {
    std::vector<std::byte> out;
    for (int b : l) {
        out.push_back(static_cast<std::byte>(b));
    }
    return out;
}

std::vector<std::vector<std::byte>> values_of(const wire::data& d) {
    std::vector<std::vector<std::byte>> out;
    for (auto v : d.values) {
        out.emplace_back(v.begin(), v.end());
    }
    return out;
}

} // namespace

TEST_CASE("wire: a data frame parses in every encoding of its fields", "[wire]") {
    wire::value_batch batch;
    batch.add(std::int64_t{1});
    batch.add(std::string("two"));
    batch.add(std::int64_t{-3});
    // Values point into the frame: keep it.
    const auto frame = wire::encode_data(1ull << 40, 300, batch, 0, 3);
    const auto ours = parse(frame);
    REQUIRE(std::holds_alternative<wire::data>(ours));
    const auto& d = std::get<wire::data>(ours);
    CHECK(d.link == 1ull << 40);
    CHECK(d.first_seq == 300);
    const auto want = std::vector<std::vector<std::byte>>{
        bytes_of({0x01}), bytes_of({0xa3, 't', 'w', 'o'}), bytes_of({0xfd})};
    CHECK(values_of(d) == want);

    // Another peer's choices: uint16 link, signed int8 sequence number, array16, bin8 and bin16.
    const auto other_frame = bytes_of({0x95, 0x01, 0x04, 0xcd, 0x01, 0x00, 0xd0, 0x05, 0xdc,
                                       0x00, 0x03, 0xc4, 0x01, 0x01, 0xc5, 0x00, 0x04, 0xa3,
                                       't',  'w',  'o',  0xc6, 0x00, 0x00, 0x00, 0x01, 0xfd});
    const auto other = parse(other_frame);
    REQUIRE(std::holds_alternative<wire::data>(other));
    CHECK(std::get<wire::data>(other).link == 256);
    CHECK(std::get<wire::data>(other).first_seq == 5);
    CHECK(values_of(std::get<wire::data>(other)) == want);

    const auto empty_frame = wire::encode_data(2, 0, batch, 0, 0);
    const auto empty = parse(empty_frame);
    CHECK(std::get<wire::data>(empty).values.empty());
}

TEST_CASE("wire: a malformed data frame is a bad frame", "[wire]") {
    const auto truncated_value = bytes_of({0x95, 0x01, 0x04, 0x02, 0x00, 0x91, 0xc4, 0x02, 0x01});
    const auto missing_value = bytes_of({0x95, 0x01, 0x04, 0x02, 0x00, 0x92, 0xc4, 0x01, 0x01});
    const auto trailing = bytes_of({0x95, 0x01, 0x04, 0x02, 0x00, 0x91, 0xc4, 0x01, 0x01, 0x00});
    const auto not_bin = bytes_of({0x95, 0x01, 0x04, 0x02, 0x00, 0x91, 0x01});
    const auto negative_link = bytes_of({0x95, 0x01, 0x04, 0xff, 0x00, 0x90});
    const auto huge_array = bytes_of({0x95, 0x01, 0x04, 0x02, 0x00, 0xdd, 0xff, 0xff, 0xff, 0xff});
    for (const auto* f :
         {&truncated_value, &missing_value, &trailing, &not_bin, &negative_link, &huge_array}) {
        try {
            (void)parse(*f);
            FAIL("parsed a malformed data frame");
        } catch (const wire::frame_error& e) {
            CHECK(e.code() == wire::errc::bad_frame);
        }
    }
    const auto other_version = bytes_of({0x95, 0x02, 0x04, 0x02, 0x00, 0x90});
    try {
        (void)parse(other_version);
        FAIL("parsed a frame of another version");
    } catch (const wire::frame_error& e) {
        CHECK(e.code() == wire::errc::version_mismatch);
    }
}

TEST_CASE("wire: move_front moves the first values and keeps the rest in order", "[wire]") {
    wire::value_batch batch;
    for (std::int64_t v : {1, 300, -5, 7}) {
        batch.add(v);
    }
    wire::value_batch sent;
    sent.add(std::int64_t{0});
    batch.move_front(2, sent);
    REQUIRE(sent.size() == 3);
    REQUIRE(batch.size() == 2);
    wire::value_batch want_sent;
    for (std::int64_t v : {0, 1, 300}) {
        want_sent.add(v);
    }
    wire::value_batch want_rest;
    for (std::int64_t v : {-5, 7}) {
        want_rest.add(v);
    }
    const auto same = [](const wire::value_batch& a, const wire::value_batch& b) {
        const auto x = a.range(0, a.size());
        const auto y = b.range(0, b.size());
        return std::equal(x.begin(), x.end(), y.begin(), y.end());
    };
    CHECK(same(sent, want_sent));
    CHECK(same(batch, want_rest));
    CHECK(batch.range(1, 2).size() == want_rest.range(1, 2).size());
    batch.move_front(2, sent);
    CHECK(batch.empty());
    CHECK(sent.size() == 5);
}
