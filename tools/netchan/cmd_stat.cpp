// netchan stat NAME [--json]: the counters of every exporter of NAME, as they reported them
// with their latest lease renewal.
#include "netchan/directory_client.hpp"
#include "netchan/directory_endpoints.hpp"

#include "cli_support.hpp"
#include "commands.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

namespace netchan::cli {

namespace {

struct stat_options {
    std::string directory;
    std::string name;
    bool json = false;
};

void run(const stat_options& o) {
    directory_client client(directory_endpoints(o.directory));
    const auto entries = client.resolve(o.name);
    if (entries.empty()) {
        throw not_found_error("netchan: no export named \"" + o.name + "\" in directory " +
                              client.endpoints().front());
    }
    if (o.json) {
        print_json(entries, std::cout);
        return;
    }
    static const char* shown[] = {"sent",      "received",    "acknowledged", "in_flight",
                                  "importers", "redelivered", "peers_lost",   "errors"};
    std::printf("%-28s %-8s", "ENDPOINT", "PID");
    for (const char* c : shown) {
        std::printf(" %12s", c);
    }
    std::printf("\n");
    for (const auto& e : entries) {
        std::printf("%-28s %-8lld", e.endpoints.empty() ? "-" : e.endpoints.front().c_str(),
                    static_cast<long long>(e.pid));
        for (const char* c : shown) {
            const auto it = e.counters.find(c);
            if (it == e.counters.end()) {
                std::printf(" %12s", "-");
            } else {
                std::printf(" %12llu", static_cast<unsigned long long>(it->second));
            }
        }
        std::printf("\n");
    }
    std::fflush(stdout);
}

} // namespace

void add_stat_command(CLI::App& app) {
    auto o = std::make_shared<stat_options>();
    auto* cmd = app.add_subcommand(
        "stat", "Show the counters of every exporter of a channel (as of their latest renewal)");
    cmd->add_option("NAME", o->name, "Channel name")->required();
    cmd->add_flag("--json", o->json, "Print a JSON array of entries, counters included");
    add_directory_option(*cmd, o->directory);
    cmd->callback([o] { run(*o); });
}

} // namespace netchan::cli
