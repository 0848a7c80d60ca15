#include "netchan/encoded.hpp"

#include "netchan/detail/frame.hpp"

namespace netchan {

encoded decode_encoded(std::span<const std::byte> bytes, const std::string& type,
                       const decode_limits& limits) {
    const detail::frame parsed(bytes, limits, type); // throws unless exactly one value
    return encoded{{bytes.begin(), bytes.end()}};
}

} // namespace netchan
