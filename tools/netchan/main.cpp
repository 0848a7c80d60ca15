// netchan: the command line of the netchan framework (docs/design.md section 6).
#include "netchan/error.hpp"

#include "cli_support.hpp"
#include "commands.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    CLI::App app{"netchan: typed, named channels across processes and machines"};
    app.require_subcommand(1);
    netchan::cli::add_directory_command(app);
    netchan::cli::add_ls_command(app);
    netchan::cli::add_resolve_command(app);
    netchan::cli::add_watch_command(app);
    netchan::cli::add_stat_command(app);
    netchan::cli::add_export_command(app);
    netchan::cli::add_send_command(app);
    netchan::cli::add_recv_command(app);
    try {
        app.parse(argc, argv);
        return 0;
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const netchan::cli::exit_request& e) {
        return e.code;
    } catch (const netchan::cli::not_found_error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return netchan::cli::exit_not_found;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return netchan::cli::exit_error;
    }
}
