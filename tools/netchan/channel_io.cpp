#include "channel_io.hpp"

#include "netchan/directory_client.hpp"
#include "netchan/directory_endpoints.hpp"
#include "netchan/typed_json.hpp"

#include "cli_support.hpp"

#include <cstdio>
#include <iostream>

namespace netchan::cli {

directory_entry find_export(const std::string& directory_option, const std::string& name,
                            dir exported_as) {
    directory_client client(directory_endpoints(directory_option));
    const auto entries = client.resolve(name);
    if (entries.empty()) {
        throw not_found_error("netchan: no export named \"" + name + "\" in directory " +
                              client.endpoints().front());
    }
    const directory_entry& e = entries.front();
    if (e.direction != exported_as) {
        throw error("netchan: \"" + name + "\" is exported for " +
                    (e.direction == dir::send ? "sending: use netchan recv"
                                              : "receiving: use netchan send"));
    }
    if (e.endpoints.empty()) {
        throw error("netchan: the directory lists no endpoint for \"" + name + "\"");
    }
    return e;
}

value_type cli_type(const std::string& descriptor) {
    try {
        return parse_type(descriptor);
    } catch (const error& e) {
        throw error(std::string(e.what()) +
                    " (the CLI carries built-in types and NETCHAN_STRUCTs)");
    }
}

long send_json_lines(std::istream& in, const value_type& type, chan<encoded> out) {
    std::string line;
    long number = 0;
    long sent = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        encoded v;
        try {
            v.bytes = json_line_to_msgpack(type, line);
        } catch (const error& e) {
            out.close(); // what was sent before still goes
            throw error("netchan: line " + std::to_string(number) + ": " + e.what() +
                        " (not sent; " + std::to_string(sent) + " value(s) before it were)");
        }
        out.send(std::move(v));
        ++sent;
    }
    out.close();
    return sent;
}

long print_json_lines(chan<encoded> in, const value_type& type, std::ostream& out) {
    long printed = 0;
    for (const auto& v : in) {
        try {
            out << msgpack_to_json_line(type, v.bytes) << '\n';
        } catch (const error& e) {
            std::fprintf(stderr, "netchan: a value that does not print as %s: %s\n",
                         type.descriptor().c_str(), e.what());
            continue;
        }
        out.flush(); // before asking for the next: a killed recv loses nothing it had not shown
        ++printed;
    }
    return printed;
}

} // namespace netchan::cli
