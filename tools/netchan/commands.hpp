#pragma once

#include <CLI/CLI.hpp>

// Each subcommand adds itself to the app; main.cpp calls them in the order of `netchan --help`.
namespace netchan::cli {

void add_directory_command(CLI::App& app);
void add_ls_command(CLI::App& app);
void add_resolve_command(CLI::App& app);
void add_watch_command(CLI::App& app);
void add_stat_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_send_command(CLI::App& app);
void add_recv_command(CLI::App& app);

} // namespace netchan::cli
