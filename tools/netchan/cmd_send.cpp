// netchan send NAME: sends the JSON lines of stdin into NAME (an export for receiving) and
// exits once every value is delivered.
#include "netchan/directory_endpoints.hpp"
#include "netchan/importer.hpp"

#include "channel_io.hpp"
#include "cli_support.hpp"
#include "commands.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

namespace netchan::cli {

namespace {

struct send_options {
    std::string directory;
    std::string name;
    std::size_t credit = 64;
    double timeout_s = 30;
};

void run(const send_options& o) {
    const directory_entry e = find_export(o.directory, o.name, dir::recv);
    const value_type type = cli_type(e.type);
    importer imp{directories{directory_endpoints(o.directory)}}; // every exporter of the name
    auto out = imp.import_encoded(o.name, e.type, dir::send, o.credit);
    send_json_lines(std::cin, type, out);
    if (!imp.drain(std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000)))) {
        std::fprintf(stderr, "netchan: not every value was delivered within %g s\n", o.timeout_s);
        throw exit_request{exit_error};
    }
}

} // namespace

void add_send_command(CLI::App& app) {
    auto o = std::make_shared<send_options>();
    auto* cmd = app.add_subcommand(
        "send", "Send the JSON lines of stdin into a channel exported for receiving");
    cmd->add_option("NAME", o->name, "Channel name")->required();
    cmd->add_option("--credit", o->credit, "Values in flight at most (default 64)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--timeout", o->timeout_s,
                    "Seconds to wait at the end for every value to be delivered (default 30)")
        ->check(CLI::PositiveNumber);
    add_directory_option(*cmd, o->directory);
    cmd->callback([o] { run(*o); });
}

} // namespace netchan::cli
