// A registrant for multi-process directory tests: what an exporter does with the directory.
//
//   netchan_dir_peer DIRECTORIES NAME ENDPOINT LEASE_MS
//       registers NAME (int64, send) at ENDPOINT (advertised: a wildcard host is replaced) with the
//       comma-separated DIRECTORIES, renews it every LEASE_MS/3, prints "ready" once a directory
//       acknowledged it, and runs until SIGTERM or SIGINT (then unregisters and exits 0) or SIGKILL
//       (then its lease runs out).
#include "netchan/directory_endpoints.hpp"
#include "netchan/directory_registrar.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: netchan_dir_peer DIRECTORIES NAME ENDPOINT LEASE_MS\n");
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr); // before the registrar's thread starts

    netchan::directory_registrar reg(
        netchan::split_endpoints(argv[1]), std::chrono::milliseconds(std::atol(argv[4])),
        [](const std::string&) {
            return std::map<std::string, std::uint64_t>{{"importers", 1}, {"sent", 42}};
        });
    netchan::directory_entry e;
    e.name = argv[2];
    e.type = "int64";
    e.direction = netchan::dir::send;
    e.endpoints = {netchan::advertised_endpoint(argv[3])}; // as an exporter registers
    reg.add(e);
    if (reg.sync(std::chrono::seconds(10))) {
        std::printf("ready\n");
    } else {
        std::printf("no directory\n");
    }
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    return 0;
}
