// netchan watch [--json] [-n COUNT]: prints changes as they happen, one line each.
#include "netchan/directory_client.hpp"
#include "netchan/directory_endpoints.hpp"

#include "cli_support.hpp"
#include "commands.hpp"

#include <iostream>
#include <memory>

namespace netchan::cli {

namespace {

struct watch_options {
    std::string directory;
    bool json = false;
    long count = 0;
};

void run(const watch_options& o) {
    signal_waiter signals; // before the watch thread starts, which then inherits the mask
    directory_client client(directory_endpoints(o.directory));
    auto watch = client.watch();
    auto events = watch.events();
    long seen = 0;
    while (o.count == 0 || seen < o.count) {
        if (signals.wait(std::chrono::milliseconds(0))) {
            return;
        }
        auto ev = events.recv_for(std::chrono::milliseconds(100));
        if (!ev) {
            if (events.closed()) {
                throw directory_error("netchan: watch of " + client.endpoints().front() + " ended");
            }
            continue;
        }
        if (o.json) {
            auto j = to_json(ev->entry);
            j["event"] = to_string(ev->what);
            std::cout << j.dump() << std::endl;
        } else {
            std::cout << event_line(*ev) << std::endl;
        }
        ++seen;
    }
}

} // namespace

void add_watch_command(CLI::App& app) {
    auto o = std::make_shared<watch_options>();
    auto* cmd = app.add_subcommand(
        "watch", "Print changes (added, renewed, gone) as they happen, until interrupted");
    cmd->add_flag("--json", o->json, "Print each change as a JSON object with an \"event\" key");
    cmd->add_option("-n,--count", o->count, "Stop after COUNT changes (0: never)")
        ->check(CLI::NonNegativeNumber);
    add_directory_option(*cmd, o->directory);
    cmd->callback([o] { run(*o); });
}

} // namespace netchan::cli
