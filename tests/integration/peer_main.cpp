// A netchan process for multi-process tests. Every mode prints "ready <endpoint>" first; values
// are printed as "v N", each line flushed before the next value is asked for, so that what a
// killed peer printed is exactly what it consumed.
//
//   netchan_test_peer export-send ENDPOINT NAME COUNT [FIRST [PACE_US]]
//       exports NAME (dir::send), sends FIRST..FIRST+COUNT-1 (one every PACE_US microseconds),
//       closes, drains, prints "max_in_flight <n>" (the most values ever unacknowledged), exits.
//   netchan_test_peer export-recv ENDPOINT NAME
//       exports NAME (dir::recv, closed when its importers are done), prints every value, then
//       "closed".
//   netchan_test_peer import-recv ENDPOINT NAME CREDIT [DELAY_US]
//       imports NAME (dir::recv) with CREDIT, prints every value (then sleeps DELAY_US), then
//       "closed".
//
// An exporter's ENDPOINT may end in "+DIRECTORY": the export is then registered with that
// directory (lease 1.5 s). An importer's ENDPOINT "directory:DIRECTORY" imports NAME by name.
//
// Heartbeats every 100 ms; a peer silent for 2 s is lost.
#include "netchan/directory_endpoints.hpp"
#include "netchan/exporter.hpp"
#include "netchan/importer.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

constexpr auto heartbeat = 100ms;
constexpr auto peer_timeout = 2000ms;

netchan::exporter make_exporter(const std::string& endpoint) {
    netchan::exporter_options o;
    o.heartbeat_interval = heartbeat;
    o.peer_timeout = peer_timeout;
    const auto plus = endpoint.find('+');
    if (plus == std::string::npos) {
        return netchan::exporter(endpoint, o);
    }
    o.directories = {endpoint.substr(plus + 1)};
    o.lease = 1500ms;
    return netchan::exporter(endpoint.substr(0, plus), o);
}

netchan::importer make_importer(const std::string& endpoint) {
    netchan::importer_options o;
    o.heartbeat_interval = heartbeat;
    o.peer_timeout = peer_timeout;
    const std::string by_name = "directory:";
    if (endpoint.starts_with(by_name)) {
        return netchan::importer(netchan::directories{{endpoint.substr(by_name.size())}}, o);
    }
    return netchan::importer(endpoint, o);
}

void say(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

int export_send(const char* endpoint, const std::string& name, long count, long first,
                long pace_us) {
    auto exp = make_exporter(endpoint);
    netchan::chan<std::int64_t> out(256); // lets the exporter batch; credit still bounds it
    exp.export_chan(name, out, netchan::dir::send);
    (void)exp.wait_registered(10s);
    say("ready " + exp.endpoint());

    std::atomic<std::uint64_t> max_in_flight{0};
    std::atomic<bool> done{false};
    std::thread watcher([&] {
        while (!done) {
            const auto s = exp.stats(name);
            if (s.in_flight > max_in_flight) {
                max_in_flight = s.in_flight;
            }
            std::this_thread::sleep_for(1ms);
        }
    });
    for (long i = first; i < first + count; ++i) {
        out.send(i);
        if (pace_us > 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(pace_us));
        }
    }
    out.close();
    const bool drained = exp.drain(60s);
    done = true;
    watcher.join();
    say("max_in_flight " + std::to_string(max_in_flight.load()));
    return drained ? 0 : 1;
}

int export_recv(const char* endpoint, const std::string& name) {
    auto exp = make_exporter(endpoint);
    netchan::chan<std::int64_t> in(16);
    exp.export_chan(name, in, netchan::dir::recv, {.close_when_importers_done = true});
    (void)exp.wait_registered(10s);
    say("ready " + exp.endpoint());
    for (auto v : in) {
        say("v " + std::to_string(v));
    }
    say("closed");
    return 0;
}

int import_recv(const char* endpoint, const std::string& name, std::size_t credit, long delay_us) {
    auto imp = make_importer(endpoint);
    auto in = imp.import_chan<std::int64_t>(name, netchan::dir::recv, credit);
    say(std::string("ready ") + endpoint);
    for (auto v : in) {
        say("v " + std::to_string(v));
        if (delay_us > 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
        }
    }
    say("closed");
    return 0;
}

long arg(int argc, char** argv, int i, long fallback) {
    return i < argc ? std::atol(argv[i]) : fallback;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "export-send" && argc >= 5 && argc <= 7) {
            return export_send(argv[2], argv[3], std::atol(argv[4]), arg(argc, argv, 5, 0),
                               arg(argc, argv, 6, 0));
        }
        if (mode == "export-recv" && argc == 4) {
            return export_recv(argv[2], argv[3]);
        }
        if (mode == "import-recv" && argc >= 5 && argc <= 6) {
            return import_recv(argv[2], argv[3], static_cast<std::size_t>(std::atol(argv[4])),
                               arg(argc, argv, 5, 0));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "netchan_test_peer: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: netchan_test_peer export-send ENDPOINT NAME COUNT [FIRST "
                         "[PACE_US]]\n"
                         "       netchan_test_peer export-recv ENDPOINT NAME\n"
                         "       netchan_test_peer import-recv ENDPOINT NAME CREDIT [DELAY_US]\n");
    return 2;
}
