#pragma once

#include "netchan/codec.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace netchan {

/// One value in its MessagePack encoding, of a type known only at run time by its descriptor:
/// what tools that learn a channel's type as a string (the netchan CLI) send and receive.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct encoded {
    std::vector<std::byte> bytes;

    friend bool operator==(const encoded&, const encoded&) = default;
};

/// Checks that `bytes` hold exactly one MessagePack value within `limits` and returns a copy.
/// Throws decode_error (expected() == `type`) for empty, malformed, truncated or oversized
/// bytes, or bytes followed by more. Whether the value fits `type` is the caller's to check.
/// @threadsafe
[[nodiscard]] encoded decode_encoded(std::span<const std::byte> bytes, const std::string& type,
                                     const decode_limits& limits = {});

} // namespace netchan
