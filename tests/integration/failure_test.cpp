// Network channels when processes die or stall (docs/design.md section 4, delivery guarantee):
// real child processes, killed with SIGKILL or stopped with SIGSTOP, always bounded in time.
#include "net_fixture.hpp"
#include "support/child_process.hpp"
#include "support/tcp_proxy.hpp"
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using netchan::chan;
using netchan::dir;
using netchan::test::child_process;

namespace {

constexpr auto heartbeat = 100ms;
constexpr auto peer_timeout = 1000ms;

netchan::exporter_options fast_exporter() {
    netchan::exporter_options o;
    o.heartbeat_interval = heartbeat;
    o.peer_timeout = peer_timeout;
    return o;
}

netchan::importer_options fast_importer() {
    netchan::importer_options o = netchan::test::wire_only();
    o.heartbeat_interval = heartbeat;
    o.peer_timeout = peer_timeout;
    return o;
}

// A test peer process (tests/integration/peer_main.cpp) that has said "ready".
struct peer {
    child_process proc;
    std::string endpoint;

    explicit peer(std::vector<std::string> args) : proc(with_binary(std::move(args))) {
        const auto ready = proc.read_line(10s);
        REQUIRE(ready);
        REQUIRE(ready->rfind("ready ", 0) == 0);
        endpoint = ready->substr(6);
    }

    static std::vector<std::string> with_binary(std::vector<std::string> args) {
        args.insert(args.begin(), NETCHAN_TEST_PEER);
        return args;
    }

    // Reads printed values until `n` more arrived, "closed", the end of output or the timeout.
    // Returns true when it saw "closed".
    bool read_values(std::vector<std::int64_t>& into, std::size_t n,
                     std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (std::size_t got = 0; got < n;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            const auto line = proc.read_line(std::max(left, 1ms));
            if (!line) {
                return false;
            }
            if (*line == "closed") {
                return true;
            }
            if (line->rfind("v ", 0) == 0) {
                into.push_back(std::stoll(line->substr(2)));
                ++got;
            }
        }
        return false;
    }

    // After a SIGKILL: what the process printed before it died.
    void read_rest(std::vector<std::int64_t>& into) { (void)read_values(into, SIZE_MAX, 2s); }
};

// Sends 0..n-1 on `ch` from a thread of its own, then closes it.
std::jthread send_range(chan<std::int64_t> ch, std::int64_t n) {
    return std::jthread([ch, n]() mutable {
        for (std::int64_t i = 0; i < n; ++i) {
            ch.send(i);
        }
        ch.close();
    });
}

// Lets `p` print `k` values, kills it with SIGKILL and adds everything it printed to `seen`.
void kill_after(peer& p, std::size_t k, std::vector<std::int64_t>& seen) {
    const std::size_t before = seen.size();
    p.read_values(seen, k, 10s);
    REQUIRE(seen.size() == before + k);
    p.proc.kill(SIGKILL);
    p.read_rest(seen);
}

// Checks that `seen` holds every value of [0, n) and returns how many it holds twice or more.
std::size_t check_all_seen(const std::vector<std::int64_t>& seen, std::int64_t n) {
    std::map<std::int64_t, int> count;
    for (auto v : seen) {
        ++count[v];
    }
    std::size_t duplicates = 0;
    for (std::int64_t v = 0; v < n; ++v) {
        INFO("value " << v);
        REQUIRE(count[v] >= 1);
        duplicates += static_cast<std::size_t>(count[v] - 1);
    }
    CHECK(count.size() == static_cast<std::size_t>(n)); // nothing that was never sent
    return duplicates;
}

std::optional<netchan::error_event> next_error(chan<netchan::error_event> errors,
                                               std::chrono::milliseconds timeout) {
    return errors.recv_for(timeout);
}

} // namespace

TEST_CASE("failure: a killed importer's unacknowledged values go to the other importers",
          "[failure]") {
    constexpr std::int64_t n = 3000;
    constexpr std::size_t credit = 10;
    netchan::exporter exp("tcp://127.0.0.1:*", fast_exporter());
    chan<std::int64_t> jobs(64);
    exp.export_chan("jobs", jobs, dir::send);
    std::vector<std::unique_ptr<peer>> importers;
    for (int i = 0; i < 3; ++i) {
        importers.push_back(std::make_unique<peer>(std::vector<std::string>{
            "import-recv", exp.endpoint(), "jobs", std::to_string(credit), "1000"}));
    }
    auto producer = send_range(jobs, n);
    std::vector<std::int64_t> seen;
    kill_after(*importers[0], 100, seen);
    CHECK(importers[1]->read_values(seen, SIZE_MAX, 60s));
    CHECK(importers[2]->read_values(seen, SIZE_MAX, 60s));

    const std::size_t duplicates = check_all_seen(seen, n);
    CHECK(duplicates <= credit);
    CHECK(exp.drain(5s));
    const auto stats = exp.stats("jobs");
    CHECK(stats.peers_lost == 1);
    CHECK(stats.redelivered >= 1); // the killed importer held values it had not consumed
    const auto ev = next_error(exp.errors(), 1s);
    REQUIRE(ev);
    CHECK(ev->code == netchan::errc::peer_lost);
    CHECK(ev->channel == "jobs");
}

TEST_CASE("failure: a new importer gets what the killed only importer had not acknowledged",
          "[failure]") {
    constexpr std::int64_t n = 500;
    constexpr std::size_t credit = 10;
    netchan::exporter exp("tcp://127.0.0.1:*", fast_exporter());
    chan<std::int64_t> jobs(64);
    exp.export_chan("jobs", jobs, dir::send);
    auto first = std::make_unique<peer>(std::vector<std::string>{
        "import-recv", exp.endpoint(), "jobs", std::to_string(credit), "2000"});
    auto producer = send_range(jobs, n);
    std::vector<std::int64_t> seen;
    kill_after(*first, 100, seen);
    const auto last_seen = seen.back();
    const auto ev = next_error(exp.errors(), peer_timeout + 2s);
    REQUIRE(ev);
    CHECK(ev->code == netchan::errc::peer_lost);

    peer second({"import-recv", exp.endpoint(), "jobs", std::to_string(credit)});
    std::vector<std::int64_t> later;
    CHECK(second.read_values(later, SIZE_MAX, 60s));
    REQUIRE_FALSE(later.empty());
    CHECK(later.front() <= last_seen + 1); // the held values come first, then the rest
    CHECK(std::is_sorted(later.begin(), later.end()));
    seen.insert(seen.end(), later.begin(), later.end());
    CHECK(check_all_seen(seen, n) <= credit);
    CHECK(exp.drain(5s));
    CHECK(exp.stats("jobs").peers_lost == 1);
}

TEST_CASE("failure: importers learn of a killed exporter and resume when it returns", "[failure]") {
    constexpr std::size_t credit = 10;
    auto source = std::make_unique<peer>(std::vector<std::string>{
        "export-send", "tcp://127.0.0.1:*", "nums", "100000000", "0", "1000"});
    const std::string endpoint = source->endpoint;
    netchan::importer imp(endpoint, fast_importer());
    auto in = imp.import_chan<std::int64_t>("nums", dir::recv, credit);
    std::int64_t expected = 0;
    for (int i = 0; i < 50; ++i) {
        REQUIRE(in.recv_for(5s) == expected++);
    }

    source->proc.kill(SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    const auto ev = next_error(imp.errors(), 5s);
    const auto noticed = std::chrono::steady_clock::now() - killed;
    REQUIRE(ev);
    CHECK(ev->code == netchan::errc::peer_lost);
    CHECK(ev->channel == "nums");
    CHECK(noticed < peer_timeout + 1000ms);
    // What had arrived is still there, in order; then receiving times out, it does not hang.
    while (auto v = in.recv_for(300ms)) {
        CHECK(*v == expected++);
    }
    CHECK_FALSE(in.closed());

    source = std::make_unique<peer>(
        std::vector<std::string>{"export-send", endpoint, "nums", "100000000", "1000000", "1000"});
    for (std::int64_t want = 1000000; want < 1000020; ++want) {
        const auto v = in.recv_for(10s);
        const auto s = imp.stats("nums");
        INFO("got " << (v ? std::to_string(*v) : std::string("nothing")) << " received "
                    << s.received << " acknowledged " << s.acknowledged << " in flight "
                    << s.in_flight << " resumed " << s.resumed);
        REQUIRE(v == want); // the new exporter's stream, nothing of the old
    }
    const auto stats = imp.stats("nums");
    CHECK(stats.peers_lost == 1);
    CHECK(stats.resumed == 1);
}

TEST_CASE("failure: an import can close instead when its exporter is killed", "[failure]") {
    auto source = std::make_unique<peer>(std::vector<std::string>{
        "export-send", "tcp://127.0.0.1:*", "nums", "100000000", "0", "1000"});
    auto options = fast_importer();
    options.close_when_exporter_lost = true;
    netchan::importer imp(source->endpoint, options);
    auto in = imp.import_chan<std::int64_t>("nums", dir::recv, 10);
    REQUIRE(in.recv_for(5s) == 0);
    source->proc.kill(SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    while (in.recv_for(5s)) {
    }
    CHECK(in.closed());
    CHECK(std::chrono::steady_clock::now() - killed < peer_timeout + 1000ms);
}

TEST_CASE("failure: values sent to a killed and restarted recv export are neither lost nor "
          "repeated once acknowledged",
          "[failure]") {
    constexpr std::int64_t n = 2000;
    constexpr std::size_t credit = 10;
    auto sink = std::make_unique<peer>(
        std::vector<std::string>{"export-recv", "tcp://127.0.0.1:*", "sink"});
    const std::string endpoint = sink->endpoint;
    netchan::importer imp(endpoint, fast_importer());
    auto out = imp.import_chan<std::int64_t>("sink", dir::send, credit);
    auto producer = send_range(out, n);
    std::vector<std::int64_t> seen;
    kill_after(*sink, 300, seen);
    sink = std::make_unique<peer>(std::vector<std::string>{"export-recv", endpoint, "sink"});
    CHECK(sink->read_values(seen, SIZE_MAX, 60s));
    CHECK(check_all_seen(seen, n) <= credit);
    CHECK(imp.drain(5s));
    const auto stats = imp.stats("sink");
    CHECK(stats.resumed == 1);
    CHECK(stats.peers_lost == 1);
}

TEST_CASE("failure: a stall shorter than the peer timeout loses and repeats nothing", "[failure]") {
    constexpr std::int64_t n = 3000;
    peer source({"export-send", "tcp://127.0.0.1:*", "nums", std::to_string(n), "0", "200"});
    auto options = fast_importer();
    options.peer_timeout = 2000ms; // the peer's own timeout too
    netchan::importer imp(source.endpoint, options);
    auto in = imp.import_chan<std::int64_t>("nums", dir::recv, 10);
    std::int64_t expected = 0;
    for (; expected < 300; ++expected) {
        REQUIRE(in.recv_for(5s) == expected);
    }
    source.proc.kill(SIGSTOP);
    std::this_thread::sleep_for(700ms);
    source.proc.kill(SIGCONT);
    while (auto v = in.recv_for(10s)) {
        REQUIRE(*v == expected++);
    }
    CHECK(expected == n);
    CHECK(in.closed());
    CHECK_FALSE(imp.errors().try_recv());
    const auto stats = imp.stats("nums");
    CHECK(stats.peers_lost == 0);
    CHECK(stats.duplicates_dropped == 0);
    CHECK(source.proc.wait(10s) == 0);
}

TEST_CASE("failure: a peer that exits normally is gone at once and not reported lost",
          "[failure]") {
    netchan::exporter exp("tcp://127.0.0.1:*", fast_exporter());
    chan<std::int64_t> jobs(16);
    exp.export_chan("jobs", jobs, dir::send);
    peer importer_proc({"import-recv", exp.endpoint(), "jobs", "4"});
    auto producer = send_range(jobs, 10);
    std::vector<std::int64_t> seen;
    CHECK(importer_proc.read_values(seen, SIZE_MAX, 10s)); // "closed": it exits now
    CHECK(importer_proc.proc.wait(5s) == 0);
    // Its last frames (the HANGUP) were sent before the process ended, not lost with it.
    const auto deadline = std::chrono::steady_clock::now() + peer_timeout / 2;
    while (exp.stats("jobs").importers != 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    CHECK(exp.stats("jobs").importers == 0);
    const auto error = next_error(exp.errors(), peer_timeout + 500ms);
    INFO("error reported: " << (error ? error->message : ""));
    CHECK_FALSE(error);
}

TEST_CASE("failure: a network cut shorter than the peer timeout loses and repeats nothing",
          "[failure]") {
    constexpr std::int64_t n = 20000;
    constexpr auto peer_timeout = 8000ms; // far beyond each 300 ms cut, even on a loaded machine
    auto options = fast_exporter();
    options.peer_timeout = peer_timeout;
    netchan::exporter exp("tcp://127.0.0.1:*", options);
    chan<std::int64_t> out(64);
    chan<std::int64_t> sink(64);
    exp.export_chan("nums", out, dir::send);
    exp.export_chan("sink", sink, dir::recv);
    const auto port = std::stoi(exp.endpoint().substr(exp.endpoint().rfind(':') + 1));
    netchan::test::tcp_proxy proxy(static_cast<std::uint16_t>(port));

    auto import_options = fast_importer();
    import_options.peer_timeout = peer_timeout;
    netchan::importer imp("tcp://127.0.0.1:" + std::to_string(proxy.port()), import_options);
    auto in = imp.import_chan<std::int64_t>("nums", dir::recv, 64);
    auto back = imp.import_chan<std::int64_t>("sink", dir::send, 64);
    const auto resent = [&] {
        return exp.stats("nums").redelivered + imp.stats("sink").redelivered;
    };
    // The stream lasts until the cuts are over; a cut that happens to lose nothing (nothing in
    // flight at that instant, on a loaded machine) is followed by another, up to twenty.
    std::atomic<bool> cutting{true};
    std::atomic<std::int64_t> total{-1};
    std::jthread producer([out, &cutting, &total]() mutable {
        try {
            std::int64_t i = 0;
            for (; cutting || i < n; ++i) {
                out.send(i);
                if (i % 100 == 0) {
                    std::this_thread::sleep_for(1ms); // a steady stream
                }
            }
            total = i;
            out.close();
        } catch (const netchan::closed_error&) {
            // the test failed and closed it: stop
        }
    });
    std::jthread echo_back([in, back]() mutable { // and the same values the other way
        try {
            for (auto v : in) {
                back.send(v);
            }
            back.close();
        } catch (const netchan::closed_error&) {
            // the importer went first (the test failed): nothing to send to
        }
    });
    std::jthread cutter([&] {
        for (int i = 0; i < 20 && (i < 2 || resent() == 0); ++i) {
            std::this_thread::sleep_for(60ms);
            proxy.cut();
            std::this_thread::sleep_for(300ms);
            proxy.join();
        }
        cutting = false;
    });
    // Destroyed before the threads are joined: a failed check must not leave them blocked.
    struct stop_threads {
        std::function<void()> fn;
        ~stop_threads() { fn(); }
    } stop{[&] {
        out.close();
        in.close();
        back.close();
    }};
    std::int64_t expected = 0;
    bool in_order = true;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (in_order && std::chrono::steady_clock::now() < deadline) {
        if (auto v = sink.recv_for(100ms)) {
            in_order = *v == expected;
            expected += in_order ? 1 : 0;
        }
        if (const auto t = total.load(); t >= 0 && expected == t) {
            break;
        }
    }
    // The premise: no cut outlasted the peer timeout. A peer declared lost is resumed at least
    // once (values may come twice, by design), which is another test's subject.
    const auto lost = exp.stats("nums").peers_lost + exp.stats("sink").peers_lost +
                      imp.stats("nums").peers_lost + imp.stats("sink").peers_lost;
    if (lost != 0) {
        WARN("a cut outlasted the " << peer_timeout.count() << " ms peer timeout here (after "
                                    << expected << " values in order): not a short cut");
        return;
    }
    INFO("first value out of order after " << expected << " in order");
    REQUIRE(in_order);
    CHECK(expected == total.load());
    CHECK_FALSE(exp.errors().try_recv());
    CHECK_FALSE(imp.errors().try_recv());
    // The other premise: some cut lost values in flight, so that resending was exercised. Twenty
    // cuts that all happened to find nothing in flight (seen once on a loaded machine) leave the
    // checks above true but prove less: said, not failed.
    if (resent() == 0) {
        WARN("none of the cuts lost a value in flight here: resending was not exercised");
    }
}
