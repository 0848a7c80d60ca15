#include "internal/directory_protocol.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace proto = netchan::internal::dirproto;
using proto::errc;
using proto::kind;

namespace {

constexpr std::size_t limit = std::size_t{1} << 20;

std::span<const std::byte> bytes_of(const msgpack::sbuffer& b) {
    return {reinterpret_cast<const std::byte*>(b.data()), b.size()};
}

netchan::directory_entry sample_entry() {
    netchan::directory_entry e;
    e.name = "jobs";
    e.type = "int64";
    e.direction = netchan::dir::recv;
    e.endpoints = {"tcp://10.0.0.1:5000", "ipc:///tmp/jobs"};
    e.host = "worker-1";
    e.pid = 4242;
    e.start = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
    e.lease = std::chrono::milliseconds(5000);
    e.counters = {{"sent", 7}, {"importers", 2}};
    return e;
}

// Returns the error code parse() reports for `b`, or nothing when it parses.
std::optional<errc> parse_error_of(std::span<const std::byte> b, std::uint64_t* req = nullptr,
                                   proto::side side = proto::side::directory) {
    try {
        (void)proto::parse(b, limit, side);
        return std::nullopt;
    } catch (const proto::protocol_error& e) {
        if (req) {
            *req = e.req_id();
        }
        return e.code();
    }
}

} // namespace

TEST_CASE("directory protocol: a register message round-trips every entry field",
          "[directory][protocol]") {
    const auto e = sample_entry();
    const auto bytes = proto::encode_register(17, std::span(&e, 1));
    const auto m = proto::parse(bytes, limit, proto::side::directory);
    CHECK(m.what == kind::register_entries);
    CHECK(m.req_id == 17);
    REQUIRE(m.entries.size() == 1);
    const auto& got = m.entries[0];
    CHECK(got.name == e.name);
    CHECK(got.type == e.type);
    CHECK(got.direction == netchan::dir::recv);
    CHECK(got.endpoints == e.endpoints);
    CHECK(got.host == e.host);
    CHECK(got.pid == e.pid);
    CHECK(got.start == e.start);
    CHECK(got.lease == e.lease);
    CHECK(got.counters == e.counters);
}

TEST_CASE("directory protocol: entries replies carry the lease left", "[directory][protocol]") {
    auto e = sample_entry();
    e.lease_left = std::chrono::milliseconds(1234);
    const auto m =
        proto::parse(proto::encode_entries(5, std::span(&e, 1)), limit, proto::side::client);
    CHECK(m.what == kind::entries);
    REQUIRE(m.entries.size() == 1);
    CHECK(m.entries[0].lease_left == std::chrono::milliseconds(1234));
}

TEST_CASE("directory protocol: unregister resolve and number messages round-trip",
          "[directory][protocol]") {
    const std::vector<proto::entry_key> keys{{"a", {"tcp://h:1"}},
                                             {"b", {"ipc:///x", "tcp://h:2"}}};
    const auto u = proto::parse(proto::encode_unregister(3, keys), limit, proto::side::directory);
    CHECK(u.what == kind::unregister);
    CHECK(u.keys == keys);
    const auto r = proto::parse(proto::encode_resolve(4, "jobs"), limit, proto::side::directory);
    CHECK(r.what == kind::resolve);
    CHECK(r.name == "jobs");
    const auto w =
        proto::parse(proto::encode_number(kind::watching, 9, 10000), limit, proto::side::client);
    CHECK(w.what == kind::watching);
    CHECK(w.req_id == 9);
    CHECK(w.number == 10000);
}

TEST_CASE("directory protocol: events and errors round-trip", "[directory][protocol]") {
    const std::vector<netchan::directory_event> evs{
        {netchan::directory_event::kind::added, sample_entry()},
        {netchan::directory_event::kind::gone, sample_entry()}};
    const auto m = proto::parse(proto::encode_events(42, evs), limit, proto::side::client);
    CHECK(m.what == kind::event);
    CHECK(m.number == 42);
    REQUIRE(m.events.size() == 2);
    CHECK(m.events[0].what == netchan::directory_event::kind::added);
    CHECK(m.events[1].what == netchan::directory_event::kind::gone);
    CHECK(m.events[1].entry.name == "jobs");

    const auto err = proto::parse(proto::encode_error(8, errc::bad_entry, "no name"), limit,
                                  proto::side::client);
    CHECK(err.what == kind::error);
    CHECK(err.req_id == 8);
    CHECK(err.code == errc::bad_entry);
    CHECK(err.text == "no name");
}

TEST_CASE("directory protocol: garbage and truncated messages are bad_message",
          "[directory][protocol]") {
    const std::vector<std::byte> garbage{std::byte{0xc1}, std::byte{0xff}, std::byte{0x00}};
    CHECK(parse_error_of(garbage) == errc::bad_message);
    CHECK(parse_error_of({}) == errc::bad_message);

    auto whole = proto::encode_resolve(4, "jobs");
    whole.pop_back();
    CHECK(parse_error_of(whole) == errc::bad_message);

    auto trailing = proto::encode_resolve(4, "jobs");
    trailing.push_back(std::byte{0x01});
    CHECK(parse_error_of(trailing) == errc::bad_message);

    msgpack::sbuffer not_array;
    msgpack::pack(not_array, std::string("hello"));
    CHECK(parse_error_of(bytes_of(not_array)) == errc::bad_message);
}

TEST_CASE("directory protocol: a length header beyond the message's bytes is refused",
          "[directory][protocol]") {
    // array32 header claiming 4 G elements, 5 bytes in all: must fail without allocating them.
    const std::vector<std::byte> huge{std::byte{0xdd}, std::byte{0xff}, std::byte{0xff},
                                      std::byte{0xff}, std::byte{0xff}};
    CHECK(parse_error_of(huge) == errc::bad_message);
}

TEST_CASE("directory protocol: a message over the size limit is too_large",
          "[directory][protocol]") {
    const auto m = proto::encode_resolve(1, std::string(100, 'x'));
    CHECK_THROWS_MATCHES(proto::parse(m, 50, proto::side::directory), proto::protocol_error,
                         Catch::Predicate<proto::protocol_error>(
                             [](const auto& e) { return e.code() == errc::too_large; }));
}

TEST_CASE("directory protocol: another version is version_mismatch with the request id",
          "[directory][protocol]") {
    msgpack::sbuffer b;
    msgpack::packer pk(b);
    pk.pack_array(3);
    pk.pack(2);
    pk.pack(static_cast<int>(kind::list));
    pk.pack(77);
    std::uint64_t req = 0;
    CHECK(parse_error_of(bytes_of(b), &req) == errc::version_mismatch);
    CHECK(req == 77);
}

TEST_CASE("directory protocol: each side takes only its own kinds", "[directory][protocol]") {
    const auto list = proto::encode_empty(kind::list, 3);
    CHECK(parse_error_of(list, nullptr, proto::side::client) == errc::unknown_kind);
    const auto ok = proto::encode_empty(kind::ok, 3);
    CHECK(parse_error_of(ok, nullptr, proto::side::directory) == errc::unknown_kind);
    CHECK_FALSE(parse_error_of(ok, nullptr, proto::side::client));
}

TEST_CASE("directory protocol: an unknown kind is unknown_kind", "[directory][protocol]") {
    msgpack::sbuffer b;
    msgpack::packer pk(b);
    pk.pack_array(3);
    pk.pack(1);
    pk.pack(40);
    pk.pack(5);
    std::uint64_t req = 0;
    CHECK(parse_error_of(bytes_of(b), &req) == errc::unknown_kind);
    CHECK(req == 5);
}

TEST_CASE("directory protocol: a request without its fields is bad_message",
          "[directory][protocol]") {
    const auto list = proto::encode_empty(kind::list, 1);
    auto m = proto::parse(list, limit, proto::side::directory);
    CHECK(m.what == kind::list);
    msgpack::sbuffer b;
    msgpack::packer pk(b);
    pk.pack_array(3);
    pk.pack(1);
    pk.pack(static_cast<int>(kind::resolve));
    pk.pack(5);
    CHECK(parse_error_of(bytes_of(b)) == errc::bad_message);
}

TEST_CASE("directory protocol: entries without name or endpoints are refused",
          "[directory][protocol]") {
    auto e = sample_entry();
    e.name.clear();
    CHECK(parse_error_of(proto::encode_register(1, std::span(&e, 1))) == errc::bad_entry);
    e = sample_entry();
    e.endpoints.clear();
    CHECK(parse_error_of(proto::encode_register(1, std::span(&e, 1))) == errc::bad_entry);
    e = sample_entry();
    e.endpoints.assign(proto::max_endpoints + 1, "tcp://h:1");
    CHECK(parse_error_of(proto::encode_register(1, std::span(&e, 1))) == errc::bad_entry);
}

TEST_CASE("directory protocol: unknown entry keys are ignored and a bad dir is refused",
          "[directory][protocol]") {
    const auto build = [](const std::string& dir_value) {
        msgpack::sbuffer b;
        msgpack::packer pk(b);
        pk.pack_array(4);
        pk.pack(1);
        pk.pack(static_cast<int>(kind::register_entries));
        pk.pack(9);
        pk.pack_array(1);
        pk.pack_map(5);
        pk.pack(std::string("name"));
        pk.pack(std::string("x"));
        pk.pack(std::string("type"));
        pk.pack(std::string("int64"));
        pk.pack(std::string("dir"));
        pk.pack(dir_value);
        pk.pack(std::string("endpoints"));
        pk.pack(std::vector<std::string>{"tcp://h:1"});
        pk.pack(std::string("future_field"));
        pk.pack(3.5);
        return b;
    };
    const auto ok = build("send");
    const auto m = proto::parse(bytes_of(ok), limit, proto::side::directory);
    REQUIRE(m.entries.size() == 1);
    CHECK(m.entries[0].name == "x");
    CHECK(m.entries[0].pid == 0);
    const auto bad = build("sideways");
    CHECK(parse_error_of(bytes_of(bad)) == errc::bad_entry);
}
