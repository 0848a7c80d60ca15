#pragma once

#include "netchan/error.hpp"

#include <string>
#include <utility>

namespace netchan {

/// Thrown when bytes do not decode to the expected type: malformed, truncated, wrong-typed or over
/// a limit. Thread-compatible: const members may run concurrently; mutation needs external sync.
class decode_error : public error {
public:
    /// Builds the message "netchan: cannot decode <expected>: found <found>".
    decode_error(std::string expected, std::string found)
        : error("netchan: cannot decode " + expected + ": found " + found),
          expected_(std::move(expected)), found_(std::move(found)) {}

    /// Returns the type descriptor the decoder was asked for.
    const std::string& expected() const noexcept { return expected_; }
    /// Returns what the bytes held instead (a wire type, or why they did not parse).
    const std::string& found() const noexcept { return found_; }

private:
    std::string expected_;
    std::string found_;
};

} // namespace netchan
