// netchan recv NAME [-n COUNT] [--credit K]: prints the values of NAME (an export for sending)
// as JSON lines until it closes or COUNT have arrived. Each line is written and flushed before
// the next value is asked for, so a recv killed with -9 loses nothing: what it had not printed
// goes to another importer.
#include "netchan/directory_endpoints.hpp"
#include "netchan/importer.hpp"

#include "channel_io.hpp"
#include "cli_support.hpp"
#include "commands.hpp"

#include <iostream>
#include <memory>

namespace netchan::cli {

namespace {

struct recv_options {
    std::string directory;
    std::string name;
    std::size_t count = 0;
    std::size_t credit = 16;
};

void run(const recv_options& o) {
    const directory_entry e = find_export(o.directory, o.name, dir::send);
    const value_type type = cli_type(e.type);
    importer imp{directories{directory_endpoints(o.directory)}}; // every exporter of the name
    auto in = imp.import_encoded(o.name, e.type, dir::recv, o.credit, o.count);
    print_json_lines(in, type, std::cout);
}

} // namespace

void add_recv_command(CLI::App& app) {
    auto o = std::make_shared<recv_options>();
    auto* cmd = app.add_subcommand(
        "recv", "Print the values of a channel exported for sending, one JSON line each");
    cmd->add_option("NAME", o->name, "Channel name")->required();
    cmd->add_option("-n,--count", o->count, "Stop after COUNT values (0: until it closes)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--credit", o->credit, "Values sent ahead to this importer (default 16)")
        ->check(CLI::PositiveNumber);
    add_directory_option(*cmd, o->directory);
    cmd->callback([o] { run(*o); });
}

} // namespace netchan::cli
