#include "net_fixture.hpp"
#include "support/child_process.hpp"
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {
std::string peer_binary() {
    return NETCHAN_TEST_PEER;
}
} // namespace

TEST_CASE("multiprocess: a million values to a slow consumer stay within credit",
          "[multiprocess]") {
    const std::string transport = "tcp"; // the wire paths themselves are covered in network_test
    constexpr std::size_t credit = 20;
    constexpr long count = 1'000'000;
    netchan::test::child_process exporter_proc({peer_binary(), "export-send",
                                                netchan::test::fresh_endpoint(transport), "nums",
                                                std::to_string(count)});
    const auto ready = exporter_proc.read_line(10s);
    REQUIRE(ready);
    REQUIRE(ready->rfind("ready ", 0) == 0);
    const std::string endpoint = ready->substr(6);

    netchan::importer imp(endpoint);
    auto in = imp.import_chan<std::int64_t>("nums", netchan::dir::recv, credit);
    std::int64_t expected = 0;
    std::size_t max_held = 0;
    for (auto v : in) {
        REQUIRE(v == expected++);
        max_held = std::max(max_held, in.size());
        if (expected % 100'000 == 0) {
            std::this_thread::sleep_for(20ms); // a slow consumer: the sender must wait
        }
    }
    CHECK(expected == count);
    CHECK(max_held <= credit);
    const auto report = exporter_proc.read_line(30s);
    REQUIRE(report);
    REQUIRE(report->rfind("max_in_flight ", 0) == 0);
    const auto in_flight = std::stoull(report->substr(14));
    CHECK(in_flight <= credit);
    CHECK(exporter_proc.wait(10s) == 0);
}
