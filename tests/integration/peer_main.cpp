// A netchan process for multi-process tests.
//
//   netchan_test_peer export-send ENDPOINT NAME COUNT
//       exports NAME (dir::send) at ENDPOINT, prints "ready <endpoint>", sends 0..COUNT-1,
//       closes, drains, prints "max_in_flight <n>" (the most values ever unacknowledged) and exits.
#include "netchan/exporter.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
    if (argc != 5 || std::strcmp(argv[1], "export-send") != 0) {
        std::fprintf(stderr, "usage: netchan_test_peer export-send ENDPOINT NAME COUNT\n");
        return 2;
    }
    const std::string name = argv[3];
    const long count = std::atol(argv[4]);
    netchan::exporter exp(argv[2]);
    netchan::chan<std::int64_t> out(
        256); // lets the exporter batch; the link's credit still bounds it
    exp.export_chan(name, out, netchan::dir::send);
    std::printf("ready %s\n", exp.endpoint().c_str());
    std::fflush(stdout);

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
    for (long i = 0; i < count; ++i) {
        out.send(i);
    }
    out.close();
    const bool drained = exp.drain(60s);
    done = true;
    watcher.join();
    std::printf("max_in_flight %llu\n", static_cast<unsigned long long>(max_in_flight.load()));
    std::fflush(stdout);
    return drained ? 0 : 1;
}
