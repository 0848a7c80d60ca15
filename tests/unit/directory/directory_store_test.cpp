#include "internal/directory_store.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using netchan::directory_entry;
using netchan::directory_event;
using netchan::internal::directory_store;

namespace {

directory_entry entry(const std::string& name, const std::string& endpoint,
                      std::chrono::milliseconds lease = 1000ms) {
    directory_entry e;
    e.name = name;
    e.type = "int64";
    e.endpoints = {endpoint};
    e.lease = lease;
    return e;
}

} // namespace

TEST_CASE("directory store: the first put adds and later puts renew", "[directory][store]") {
    directory_store store(5000ms);
    const auto t0 = directory_store::clock::now();
    CHECK(store.put(entry("a", "tcp://h:1"), t0).what == directory_event::kind::added);
    CHECK(store.put(entry("a", "tcp://h:1"), t0 + 10ms).what == directory_event::kind::renewed);
    CHECK(store.put(entry("a", "tcp://h:2"), t0).what == directory_event::kind::added);
    CHECK(store.size() == 2);
}

TEST_CASE("directory store: leases are cut to the maximum", "[directory][store]") {
    directory_store store(300ms);
    const auto t0 = directory_store::clock::now();
    CHECK(store.put(entry("a", "tcp://h:1", 10s), t0).entry.lease == 300ms);
    CHECK(store.put(entry("b", "tcp://h:1", 0ms), t0).entry.lease == 300ms);
    CHECK(store.put(entry("c", "tcp://h:1", 100ms), t0).entry.lease == 100ms);
}

TEST_CASE("directory store: an entry expires when its lease runs out unrenewed",
          "[directory][store]") {
    directory_store store(5000ms);
    const auto t0 = directory_store::clock::now();
    (void)store.put(entry("a", "tcp://h:1", 100ms), t0);
    (void)store.put(entry("b", "tcp://h:1", 300ms), t0);
    std::vector<directory_event> events;
    store.expire(t0 + 99ms, events);
    CHECK(events.empty());
    (void)store.put(entry("a", "tcp://h:1", 100ms), t0 + 90ms); // renewed: lives to t0 + 190
    store.expire(t0 + 150ms, events);
    CHECK(events.empty());
    store.expire(t0 + 200ms, events);
    REQUIRE(events.size() == 1);
    CHECK(events[0].what == directory_event::kind::gone);
    CHECK(events[0].entry.name == "a");
    store.expire(t0 + 300ms, events);
    CHECK(events.size() == 2);
    CHECK(store.size() == 0);
}

TEST_CASE("directory store: resolve returns every entry of the name and no other",
          "[directory][store]") {
    directory_store store(5000ms);
    const auto t0 = directory_store::clock::now();
    (void)store.put(entry("jobs", "tcp://h:1"), t0);
    (void)store.put(entry("jobs", "tcp://h:2"), t0);
    (void)store.put(entry("jobsx", "tcp://h:3"), t0);
    (void)store.put(entry("job", "tcp://h:4"), t0);
    std::vector<directory_entry> out;
    store.resolve("jobs", t0 + 400ms, out);
    REQUIRE(out.size() == 2);
    CHECK(out[0].endpoints[0] == "tcp://h:1");
    CHECK(out[1].endpoints[0] == "tcp://h:2");
    CHECK(out[0].lease_left == 600ms);
    out.clear();
    store.resolve("nothing", t0, out);
    CHECK(out.empty());
}

TEST_CASE("directory store: erase reports gone once", "[directory][store]") {
    directory_store store(5000ms);
    const auto t0 = directory_store::clock::now();
    (void)store.put(entry("a", "tcp://h:1"), t0);
    std::vector<directory_event> events;
    CHECK(store.erase({"a", {"tcp://h:1"}}, events));
    CHECK_FALSE(store.erase({"a", {"tcp://h:1"}}, events));
    CHECK(events.size() == 1);
    std::vector<directory_entry> out;
    store.list(t0, out);
    CHECK(out.empty());
}
