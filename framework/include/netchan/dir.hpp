#pragma once

#include <cstdint>

namespace netchan {

/// Direction of a network channel from the caller's side, as in Go: exporting with `send` means
/// this process sends and importers receive; importing with `recv` means this process receives.
enum class dir : std::uint8_t { send, recv };

} // namespace netchan
