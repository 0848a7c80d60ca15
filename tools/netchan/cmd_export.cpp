// netchan export NAME --type TYPE (--send | --recv): serves a channel from the command line.
//   --send: exports a channel fed with the JSON lines of stdin; at the end of input closes it
//           and waits until every value is delivered.
//   --recv: exports a channel importers send into and prints each value as a JSON line, until
//           interrupted (SIGINT or SIGTERM: then exits 0).
#include "netchan/directory_endpoints.hpp"
#include "netchan/exporter.hpp"

#include "channel_io.hpp"
#include "cli_support.hpp"
#include "commands.hpp"

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

namespace netchan::cli {

namespace {

struct export_command {
    std::string directory;
    std::string name;
    std::string type;
    std::string listen = "tcp://0.0.0.0:*";
    bool send = false;
    bool recv = false;
};

void run(const export_command& o) {
    if (o.send == o.recv) {
        throw error("netchan: say --send (stdin feeds the channel) or --recv (importers feed it)");
    }
    const value_type type = cli_type(o.type);
    std::optional<signal_waiter> signals;
    if (o.recv) {
        signals.emplace(); // before the exporter's threads start: they inherit the mask
    }
    exporter_options eo;
    eo.directories = directory_endpoints(o.directory);
    exporter exp(o.listen, eo);
    chan<encoded> ch(64);
    exp.export_encoded(o.name, type.descriptor(), ch, o.send ? dir::send : dir::recv);
    if (!exp.wait_registered(std::chrono::seconds(3))) {
        std::fprintf(stderr, "netchan: warning: no directory of %s confirmed the export yet\n",
                     eo.directories.front().c_str());
    }
    std::fprintf(stderr, "netchan: exporting \"%s\" (%s) for %s at %s\n", o.name.c_str(),
                 type.descriptor().c_str(), o.send ? "sending" : "receiving",
                 advertised_endpoint(exp.endpoint()).c_str());
    if (o.recv) {
        std::jthread until_signal([&](std::stop_token stop) {
            while (!stop.stop_requested() && !signals->wait(std::chrono::milliseconds(100))) {
            }
            ch.close(); // what arrived is still printed
        });
        print_json_lines(ch, type, std::cout);
        return;
    }
    const long sent = send_json_lines(std::cin, type, ch);
    std::fprintf(stderr, "netchan: %ld value(s) read; waiting until importers have them all\n",
                 sent);
    while (!exp.drain(std::chrono::seconds(1))) {
    }
}

} // namespace

void add_export_command(CLI::App& app) {
    auto o = std::make_shared<export_command>();
    auto* cmd = app.add_subcommand(
        "export", "Export a channel: fed by stdin's JSON lines (--send) or printing what "
                  "importers send (--recv)");
    cmd->add_option("NAME", o->name, "Channel name")->required();
    cmd->add_option("--type", o->type,
                    "Type descriptor of the values, e.g. int64, string, "
                    "array<float64>")
        ->required();
    cmd->add_flag("--send", o->send, "This side sends: one value per line of stdin");
    cmd->add_flag("--recv", o->recv, "This side receives: one JSON line per value on stdout");
    cmd->add_option("--listen", o->listen, "Endpoint to bind (default tcp://0.0.0.0:*)");
    add_directory_option(*cmd, o->directory);
    cmd->callback([o] { run(*o); });
}

} // namespace netchan::cli
