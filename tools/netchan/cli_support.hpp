#pragma once

#include "netchan/directory_entry.hpp"
#include "netchan/directory_event.hpp"
#include "netchan/error.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <iosfwd>
#include <string>
#include <vector>

// What the subcommands share: the --directory option, JSON and table output, exit codes and
// signal handling.
namespace netchan::cli {

/// Exit codes (docs/directory.md): 0 success, 1 directory unreachable or failing, 2 unknown name.
inline constexpr int exit_error = 1;
inline constexpr int exit_not_found = 2;

/// A name no directory knows; main() exits with exit_not_found.
class not_found_error : public netchan::error {
public:
    using error::error;
};

/// Thrown by a command to end the program with `code` (its message is already printed).
struct exit_request {
    int code = 0;
};

/// Adds `--directory` (comma-separated endpoints; default NETCHAN_DIRECTORY, then the default
/// endpoint) to `cmd`, stored in `value`.
void add_directory_option(CLI::App& cmd, std::string& value);

/// Returns the entry as a JSON object: name, type, dir, endpoints, host, pid, start_ms,
/// lease_ms, lease_left_ms, counters.
nlohmann::json to_json(const directory_entry& e);

/// Prints `entries` as one JSON array of to_json() objects, on one line.
void print_json(const std::vector<directory_entry>& entries, std::ostream& out);

/// Prints `entries` as an aligned table with a header line.
void print_table(const std::vector<directory_entry>& entries, std::ostream& out);

/// Returns one line for an event: "added NAME TYPE DIR ENDPOINTS HOST PID".
std::string event_line(const directory_event& ev);

/// Blocks SIGINT and SIGTERM for this thread and the threads started after it, so that they
/// can be waited for; construct before starting threads.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class signal_waiter {
public:
    signal_waiter();
    /// Returns true when SIGINT or SIGTERM arrived within `timeout`.
    bool wait(std::chrono::milliseconds timeout);

private:
    sigset_t set_{};
};

} // namespace netchan::cli
