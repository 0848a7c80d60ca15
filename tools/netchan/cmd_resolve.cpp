// netchan resolve NAME [--json]: shows the exports of one name; exit 2 when there is none.
#include "netchan/directory_client.hpp"
#include "netchan/directory_endpoints.hpp"

#include "cli_support.hpp"
#include "commands.hpp"

#include <iostream>
#include <memory>

namespace netchan::cli {

namespace {

struct resolve_options {
    std::string directory;
    std::string name;
    bool json = false;
};

void run(const resolve_options& o) {
    directory_client client(directory_endpoints(o.directory));
    const auto entries = client.resolve(o.name);
    if (entries.empty()) {
        throw not_found_error("netchan: no export named \"" + o.name + "\" in directory " +
                              client.endpoints().front() +
                              (client.endpoints().size() > 1 ? " (and others)" : ""));
    }
    if (o.json) {
        print_json(entries, std::cout);
    } else {
        print_table(entries, std::cout);
        std::cout.flush();
    }
}

} // namespace

void add_resolve_command(CLI::App& app) {
    auto o = std::make_shared<resolve_options>();
    auto* cmd = app.add_subcommand(
        "resolve", "Show the exports of one channel name (exit 2 when no one exports it)");
    cmd->add_option("NAME", o->name, "Channel name")->required();
    cmd->add_flag("--json", o->json, "Print a JSON array of objects instead of a table");
    add_directory_option(*cmd, o->directory);
    cmd->callback([o] { run(*o); });
}

} // namespace netchan::cli
