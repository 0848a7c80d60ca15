#pragma once

#include "netchan/chan.hpp"
#include "netchan/directory_entry.hpp"
#include "netchan/encoded.hpp"
#include "netchan/value_type.hpp"

#include <iosfwd>
#include <string>

// What export, send and recv share: finding a channel by name, JSON lines in and out.
namespace netchan::cli {

/// Returns the first export of `name` in the directories of `directory_option`, checking that
/// it was exported for `exported_as`. Throws not_found_error for an unknown name and error,
/// naming the command to use instead, for the other direction.
directory_entry find_export(const std::string& directory_option, const std::string& name,
                            dir exported_as);

/// Returns the parsed type, or throws error saying the CLI cannot carry values of `descriptor`.
value_type cli_type(const std::string& descriptor);

/// Sends each JSON line of `in` (blank lines skipped) on `out` as a value of `type`, then closes
/// `out`. A line that does not fit stops it, unsent: throws error naming the line and why.
/// Returns how many values were sent.
long send_json_lines(std::istream& in, const value_type& type, chan<encoded> out);

/// Prints each value received on `in` as one JSON line, flushed before the next is asked for,
/// until `in` closes. A value that cannot be printed is reported on stderr and skipped.
/// Returns how many were printed.
long print_json_lines(chan<encoded> in, const value_type& type, std::ostream& out);

} // namespace netchan::cli
