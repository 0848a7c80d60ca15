// netchan directory --listen ENDPOINT [--lease-ms N]: runs a directory in the foreground.
#include "netchan/directory_endpoints.hpp"
#include "netchan/directory_server.hpp"

#include "cli_support.hpp"
#include "commands.hpp"

#include <cstdio>
#include <memory>

namespace netchan::cli {

namespace {

struct directory_options {
    std::string directory;
    std::string listen;
    long lease_ms = 5000;
    long watch_lease_ms = 10000;
};

void run(const directory_options& o) {
    // Before any thread starts: every thread inherits the blocked signals, only sigwait sees them.
    signal_waiter signals;
    const auto endpoint = o.listen.empty() ? directory_endpoints(o.directory).front() : o.listen;
    directory_server_options so;
    so.max_lease = std::chrono::milliseconds(o.lease_ms);
    so.watch_lease = std::chrono::milliseconds(o.watch_lease_ms);
    directory_server server(endpoint, so);
    std::printf("%s\n", server.endpoint().c_str());
    std::fflush(stdout);
    while (!signals.wait(std::chrono::seconds(1))) {
    }
}

} // namespace

void add_directory_command(CLI::App& app) {
    auto o = std::make_shared<directory_options>();
    auto* cmd = app.add_subcommand(
        "directory", "Run a directory in the foreground; prints its endpoint, stops on SIGINT or "
                     "SIGTERM");
    cmd->add_option("--listen", o->listen,
                    "Endpoint to bind, e.g. tcp://0.0.0.0:7474 (a :* port picks a free one; "
                    "default: the first --directory endpoint)");
    cmd->add_option("--lease-ms", o->lease_ms, "Longest lease granted, in milliseconds")
        ->check(CLI::Range(30L, 3'600'000L))
        ->capture_default_str();
    cmd->add_option("--watch-lease-ms", o->watch_lease_ms,
                    "Watchers not subscribing again within this long are dropped")
        ->check(CLI::Range(100L, 3'600'000L))
        ->capture_default_str();
    add_directory_option(*cmd, o->directory);
    cmd->callback([o] { run(*o); });
}

} // namespace netchan::cli
