#include "net_fixture.hpp"

#include "netchan/netchan_struct.hpp"
#include "netchan/select.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using netchan::chan;
using netchan::dir;
using netchan::exporter;
using netchan::importer;
using netchan::test::fresh_endpoint;
using netchan::test::wire_only;

#define TRANSPORTS GENERATE(as<std::string>{}, "tcp", "ipc", "inproc")

TEST_CASE("network: values an exporter sends arrive in order", "[network]") {
    const std::string transport = TRANSPORTS;
    exporter exp(fresh_endpoint(transport));
    chan<std::int64_t> out(16);
    exp.export_chan("nums", out, dir::send);
    importer imp(exp.endpoint(), wire_only());
    auto in = imp.import_chan<std::int64_t>("nums", dir::recv, 8);
    std::jthread producer([out]() mutable {
        for (std::int64_t i = 0; i < 1000; ++i) {
            out.send(i);
        }
        out.close();
    });
    std::int64_t expected = 0;
    for (auto v : in) {
        REQUIRE(v == expected++);
    }
    CHECK(expected == 1000);
}

TEST_CASE("network: values an importer sends arrive in order", "[network]") {
    const std::string transport = TRANSPORTS;
    exporter exp(fresh_endpoint(transport));
    chan<std::string> sink(4);
    exp.export_chan("words", sink, dir::recv);
    importer imp(exp.endpoint(), wire_only());
    auto out = imp.import_chan<std::string>("words", dir::send, 8);
    std::jthread producer([out]() mutable {
        for (int i = 0; i < 1000; ++i) {
            out.send("w" + std::to_string(i));
        }
    });
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(sink.recv() == "w" + std::to_string(i));
    }
}

TEST_CASE("network: close after five values propagates to the importer", "[network]") {
    const std::string transport = TRANSPORTS;
    exporter exp(fresh_endpoint(transport));
    chan<int> out(16);
    exp.export_chan("five", out, dir::send);
    importer imp(exp.endpoint(), wire_only());
    auto in = imp.import_chan<int>("five", dir::recv);
    for (int i = 0; i < 5; ++i) {
        out.send(i);
    }
    out.close();
    std::vector<int> got;
    for (int v : in) {
        got.push_back(v);
    }
    CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(exp.drain(5s));
}

TEST_CASE("network: close after five values propagates to the exporter", "[network]") {
    const std::string transport = TRANSPORTS;
    exporter exp(fresh_endpoint(transport));
    chan<int> sink(16);
    exp.export_chan("five", sink, dir::recv, {.close_when_importers_done = true});
    importer imp(exp.endpoint(), wire_only());
    auto out = imp.import_chan<int>("five", dir::send);
    for (int i = 0; i < 5; ++i) {
        out.send(i);
    }
    out.close();
    std::vector<int> got;
    for (int v : sink) {
        got.push_back(v);
    }
    CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(imp.drain(5s));
}

TEST_CASE("network: importing an unknown name fails naming the channel", "[network]") {
    const std::string transport = TRANSPORTS;
    exporter exp(fresh_endpoint(transport));
    importer imp(exp.endpoint(), wire_only());
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(imp.import_chan<int>("nope", dir::recv), Catch::Contains("'nope'"));
    CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("network: importing from nobody fails within the import timeout", "[network]") {
    auto opts = wire_only();
    opts.import_timeout = 200ms;
    importer imp("tcp://127.0.0.1:1", opts);
    CHECK_THROWS_WITH(imp.import_chan<int>("jobs", dir::recv), Catch::Contains("'jobs'") && Catch::Contains("no answer"));
}

TEST_CASE("network: importing with another type fails naming both types", "[network]") {
    const std::string transport = TRANSPORTS;
    exporter exp(fresh_endpoint(transport));
    chan<std::int64_t> out(1);
    exp.export_chan("ints", out, dir::send);
    importer imp(exp.endpoint(), wire_only());
    CHECK_THROWS_WITH(imp.import_chan<std::string>("ints", dir::recv),
                      Catch::Contains("int64") && Catch::Contains("string"));
}

TEST_CASE("network: importing for the exporter's own direction fails", "[network]") {
    const std::string transport = TRANSPORTS;
    exporter exp(fresh_endpoint(transport));
    chan<int> out(1);
    exp.export_chan("jobs", out, dir::send);
    importer imp(exp.endpoint(), wire_only());
    CHECK_THROWS_WITH(imp.import_chan<int>("jobs", dir::send), Catch::Contains("dir::recv"));
}
