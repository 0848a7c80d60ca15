// Importing by name through a directory (docs/design.md section 5): every exporter of a name,
// exporters that appear later or move, and the errors. Exporters are real processes registered with
// an in-process directory; every child is killed and reaped even when a check fails.
#include "netchan/directory_server.hpp"
#include "netchan/exporter.hpp"
#include "netchan/importer.hpp"

#include "integration/directory_fixture.hpp"
#include "support/child_process.hpp"
#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace std::chrono_literals;
using netchan::test::child_process;
using netchan::test::eventually;

namespace {

const std::string peer = NETCHAN_TEST_PEER;

struct fixture {
    netchan::directory_server dir{"tcp://127.0.0.1:*"};

    // Starts a test peer exporting through `dir`; returns it once its export is registered.
    std::unique_ptr<child_process> exporter(std::vector<std::string> args) {
        args.insert(args.begin(), peer);
        args[2] += "+" + dir.endpoint(); // the endpoint, then the directory to register with
        auto p = std::make_unique<child_process>(args);
        const auto line = p->read_line(10s);
        REQUIRE(line);
        REQUIRE(line->starts_with("ready "));
        return p;
    }

    // An exporter in this process, registering with `dir`.
    netchan::exporter local_exporter() {
        netchan::exporter_options o;
        o.directories = {dir.endpoint()};
        return netchan::exporter("tcp://127.0.0.1:*", o);
    }

    netchan::importer importer(std::chrono::milliseconds import_timeout = 3000ms) {
        netchan::importer_options o;
        o.import_timeout = import_timeout;
        o.heartbeat_interval = 100ms;
        o.peer_timeout = 1000ms;
        return netchan::importer(netchan::directories{{dir.endpoint()}}, o);
    }
};

// Reads "v N" lines of `p` until "closed" (or nothing for 10 s); returns the values.
std::vector<std::int64_t> values_of(child_process& p) {
    std::vector<std::int64_t> out;
    while (auto line = p.read_line(10s)) {
        if (*line == "closed") {
            break;
        }
        if (line->starts_with("v ")) {
            out.push_back(std::stoll(line->substr(2)));
        }
    }
    return out;
}

} // namespace

TEST_CASE("by name: a recv import receives from every exporter of the name", "[named]") {
    fixture f;
    auto a = f.exporter({"export-send", "tcp://127.0.0.1:*", "nums", "500", "0"});
    auto b = f.exporter({"export-send", "tcp://127.0.0.1:*", "nums", "500", "1000"});
    auto imp = f.importer();
    auto in = imp.import_chan<std::int64_t>("nums", netchan::dir::recv, 16);

    std::multiset<std::int64_t> got;
    for (;;) {
        auto v = in.recv_for(10s);
        if (!v) {
            break; // closed once both exporters closed (or stuck: then the check below fails)
        }
        got.insert(*v);
    }
    REQUIRE(in.closed());
    REQUIRE(got.size() == 1000);
    for (std::int64_t i = 0; i < 500; ++i) {
        REQUIRE(got.count(i) == 1);
        REQUIRE(got.count(1000 + i) == 1);
    }
    CHECK(imp.stats("nums").received == 1000);
    CHECK(a->wait(10s) == 0); // each exporter had all its values acknowledged
    CHECK(b->wait(10s) == 0);
}

TEST_CASE("by name: a send import spreads its values over every exporter of the name", "[named]") {
    fixture f;
    auto a = f.exporter({"export-recv", "tcp://127.0.0.1:*", "sink"});
    auto b = f.exporter({"export-recv", "tcp://127.0.0.1:*", "sink"});
    auto imp = f.importer();
    auto out = imp.import_chan<std::int64_t>("sink", netchan::dir::send, 8);
    for (std::int64_t i = 0; i < 2000; ++i) {
        out.send(i);
    }
    out.close();
    REQUIRE(imp.drain(10s));

    const auto from_a = values_of(*a);
    const auto from_b = values_of(*b);
    CHECK(!from_a.empty()); // both had credit, so both took values
    CHECK(!from_b.empty());
    std::multiset<std::int64_t> all(from_a.begin(), from_a.end());
    all.insert(from_b.begin(), from_b.end());
    REQUIRE(all.size() == 2000);
    for (std::int64_t i = 0; i < 2000; ++i) {
        REQUIRE(all.count(i) == 1);
    }
}

TEST_CASE("by name: an exporter that appears later is attached", "[named]") {
    fixture f;
    // The first exporter is slow (a value every 2 ms); a second one appears mid-stream.
    auto a = f.exporter({"export-send", "tcp://127.0.0.1:*", "nums", "1000", "0", "2000"});
    auto imp = f.importer();
    auto in = imp.import_chan<std::int64_t>("nums", netchan::dir::recv, 8);
    REQUIRE(in.recv_for(5s).has_value());
    auto b = f.exporter(
        {"export-send", netchan::test::fresh_ipc_endpoint("named"), "nums", "100", "5000"});

    std::set<std::int64_t> from_b;
    REQUIRE(eventually(
        [&] {
            while (auto v = in.try_recv()) {
                if (*v >= 5000) {
                    from_b.insert(*v);
                }
            }
            return from_b.size() == 100;
        },
        10s));
}

TEST_CASE("by name: an import follows an exporter that moved", "[named]") {
    fixture f;
    auto imp = f.importer(2000ms);
    auto a = f.exporter({"export-send", "tcp://127.0.0.1:*", "nums", "1000000", "0", "1000"});
    auto in = imp.import_chan<std::int64_t>("nums", netchan::dir::recv, 4);
    REQUIRE(in.recv_for(5s).has_value());
    a->kill(SIGKILL);
    (void)a->wait(5s);

    // The exporter starts again elsewhere: values from it arrive, then its close.
    auto b = f.exporter({"export-send", "tcp://127.0.0.1:*", "nums", "50", "7000"});
    std::set<std::int64_t> moved;
    for (;;) {
        auto v = in.recv_for(15s);
        if (!v) {
            break;
        }
        if (*v >= 7000) {
            moved.insert(*v);
        }
    }
    CHECK(in.closed()); // the lost exporter is let go; the new one closed its stream
    REQUIRE(moved.size() == 50);
    CHECK(imp.stats("nums").peers_lost >= 1);
}

TEST_CASE("by name: an unknown name fails within the import timeout", "[named]") {
    fixture f;
    auto imp = f.importer(500ms);
    const auto start = std::chrono::steady_clock::now();
    REQUIRE_THROWS_WITH(imp.import_chan<std::int64_t>("ghost", netchan::dir::recv),
                        Catch::Contains("'ghost'") && Catch::Contains(f.dir.endpoint()));
    CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("by name: a type mismatch names both types", "[named]") {
    fixture f;
    auto exp = f.local_exporter();
    netchan::chan<std::int64_t> nums(4);
    exp.export_chan("nums", nums, netchan::dir::send);
    REQUIRE(exp.wait_registered(5s));
    auto imp = f.importer();
    REQUIRE_THROWS_WITH(imp.import_chan<std::string>("nums", netchan::dir::recv),
                        Catch::Contains("int64") && Catch::Contains("string"));
}

TEST_CASE("by name: an export of this process is the very channel", "[named]") {
    fixture f;
    auto exp = f.local_exporter();
    netchan::chan<std::int64_t> jobs(4);
    exp.export_chan("jobs", jobs, netchan::dir::recv);
    REQUIRE(exp.wait_registered(5s));
    auto imp = f.importer();
    auto out = imp.import_chan<std::int64_t>("jobs", netchan::dir::send);
    out.send(42);
    CHECK(jobs.try_recv() == std::optional<std::int64_t>(42)); // no wire: already there
}

TEST_CASE("by name: an exporter already closed does not close the channel before the others",
          "[named]") {
    fixture f;
    auto done_exp = f.local_exporter();
    auto live_exp = f.local_exporter();
    netchan::chan<std::int64_t> done(4);
    done.close(); // nothing to send: its importers see the close at once
    netchan::chan<std::int64_t> live(16);
    for (std::int64_t i = 0; i < 10; ++i) {
        live.send(i);
    }
    live.close();
    done_exp.export_chan("nums", done, netchan::dir::send);
    live_exp.export_chan("nums", live, netchan::dir::send);
    REQUIRE(done_exp.wait_registered(5s));
    REQUIRE(live_exp.wait_registered(5s));

    auto imp = f.importer();
    auto in = imp.import_chan<std::int64_t>("nums", netchan::dir::recv, 4);
    std::vector<std::int64_t> got;
    while (auto v = in.recv_for(5s)) {
        got.push_back(*v);
    }
    CHECK(in.closed());
    CHECK(got.size() == 10);
}

TEST_CASE("by name: a value the application still holds is not acknowledged", "[named]") {
    fixture f;
    auto a = f.exporter({"export-send", "tcp://127.0.0.1:*", "nums", "3", "0"});
    auto imp = f.importer();
    auto in = imp.import_chan<std::int64_t>("nums", netchan::dir::recv, 1);
    REQUIRE(in.recv_for(5s).has_value());
    std::this_thread::sleep_for(500ms); // several ticks: none may count the value held
    CHECK(imp.stats("nums").acknowledged == 0);
    REQUIRE(in.recv_for(5s).has_value()); // asking for the next: the first is consumed
    CHECK(eventually([&] { return imp.stats("nums").acknowledged >= 1; }, 5s));
}

TEST_CASE("by name: hanging up a send import that waits for values returns", "[named]") {
    fixture f;
    auto a = f.exporter({"export-recv", "tcp://127.0.0.1:*", "sink"});
    auto imp = f.importer();
    auto out = imp.import_chan<std::int64_t>("sink", netchan::dir::send, 4);
    out.send(1);
    REQUIRE(imp.drain(5s));
    std::this_thread::sleep_for(200ms); // the link found the channel empty and waits
    imp.hangup("sink");
    CHECK(out.closed());
}
