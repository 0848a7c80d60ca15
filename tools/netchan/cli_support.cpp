#include "cli_support.hpp"

#include "netchan/directory_endpoints.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <ostream>

namespace netchan::cli {

void add_directory_option(CLI::App& cmd, std::string& value) {
    cmd.add_option("--directory", value,
                   "Directory endpoint(s), comma-separated (default: $NETCHAN_DIRECTORY, else " +
                       std::string(default_directory_endpoint) + ")");
}

void print_json(const std::vector<directory_entry>& entries, std::ostream& out) {
    auto all = nlohmann::json::array();
    for (const auto& e : entries) {
        all.push_back(to_json(e));
    }
    out << all.dump() << std::endl;
}

nlohmann::json to_json(const directory_entry& e) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    return {
        {"name", e.name},
        {"type", e.type},
        {"dir", e.direction == dir::send ? "send" : "recv"},
        {"endpoints", e.endpoints},
        {"host", e.host},
        {"pid", e.pid},
        {"start_ms", duration_cast<milliseconds>(e.start.time_since_epoch()).count()},
        {"lease_ms", e.lease.count()},
        {"lease_left_ms", e.lease_left.count()},
        {"counters", e.counters},
    };
}

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
        s += (s.empty() ? "" : ",") + x;
    }
    return s;
}

std::string seconds(std::chrono::milliseconds ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms.count()) / 1000.0);
    return buf;
}

} // namespace

void print_table(const std::vector<directory_entry>& entries, std::ostream& out) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"NAME", "TYPE", "DIR", "ENDPOINTS", "HOST", "PID", "IMPORTERS", "LEASE"});
    for (const auto& e : entries) {
        const auto imp = e.counters.find("importers");
        rows.push_back({e.name, e.type, e.direction == dir::send ? "send" : "recv",
                        join(e.endpoints), e.host, std::to_string(e.pid),
                        imp == e.counters.end() ? "-" : std::to_string(imp->second),
                        seconds(e.lease_left)});
    }
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < r.size(); ++i) {
            width[i] = std::max(width[i], r[i].size());
        }
    }
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) {
                line.append(width[i] - r[i].size() + 2, ' ');
            }
        }
        out << line << '\n';
    }
}

std::string event_line(const directory_event& ev) {
    const auto& e = ev.entry;
    return std::string(to_string(ev.what)) + " " + e.name + " " + e.type + " " +
           (e.direction == dir::send ? "send" : "recv") + " " + join(e.endpoints) + " " + e.host +
           " " + std::to_string(e.pid);
}

signal_waiter::signal_waiter() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

bool signal_waiter::wait(std::chrono::milliseconds timeout) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const timespec ts{static_cast<std::time_t>(s.count()),
                      static_cast<long>((timeout - s).count()) * 1'000'000L};
    return sigtimedwait(&set_, nullptr, &ts) > 0;
}

} // namespace netchan::cli
