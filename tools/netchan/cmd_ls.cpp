// netchan ls [--json]: lists every export the directory knows.
#include "netchan/directory_client.hpp"
#include "netchan/directory_endpoints.hpp"

#include "cli_support.hpp"
#include "commands.hpp"

#include <iostream>
#include <memory>

namespace netchan::cli {

namespace {

struct ls_options {
    std::string directory;
    bool json = false;
};

void run(const ls_options& o) {
    directory_client client(directory_endpoints(o.directory));
    const auto entries = client.list();
    if (o.json) {
        print_json(entries, std::cout);
    } else {
        print_table(entries, std::cout);
        std::cout.flush();
    }
}

} // namespace

void add_ls_command(CLI::App& app) {
    auto o = std::make_shared<ls_options>();
    auto* cmd = app.add_subcommand("ls", "List the exported channels");
    cmd->add_flag("--json", o->json, "Print a JSON array of objects instead of a table");
    add_directory_option(*cmd, o->directory);
    cmd->callback([o] { run(*o); });
}

} // namespace netchan::cli
