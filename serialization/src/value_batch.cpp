#include "netchan/detail/value_batch.hpp"

#include "netchan/error.hpp"

#include <cstdint>
#include <limits>
#include <string>

namespace netchan::detail {

void value_batch::add_encoded(std::span<const std::byte> encoded) {
    const std::size_t start = bytes_.size();
    bytes_.resize(start + bin_header);
    bytes_.insert(bytes_.end(), encoded.begin(), encoded.end());
    patch_bin_header(start);
    ends_.push_back(bytes_.size());
}

void value_batch::patch_bin_header(std::size_t start) {
    const std::size_t n = bytes_.size() - start - bin_header;
    if (n > std::numeric_limits<std::uint32_t>::max()) {
        bytes_.resize(start);
        throw netchan::error("netchan: value of " + std::to_string(n) + " bytes is too large");
    }
    bytes_[start] = std::byte{0xc6};
    for (int i = 0; i < 4; ++i) {
        bytes_[start + 1 + static_cast<std::size_t>(i)] =
            static_cast<std::byte>((n >> (24 - 8 * i)) & 0xff);
    }
}

std::span<const std::byte> value_batch::range(std::size_t first, std::size_t last) const noexcept {
    const std::size_t from = first == 0 ? 0 : ends_[first - 1];
    const std::size_t to = last == 0 ? 0 : ends_[last - 1];
    return std::span<const std::byte>(bytes_).subspan(from, to - from);
}

void value_batch::move_tail(std::size_t first, value_batch& to) {
    const std::size_t from = first == 0 ? 0 : ends_[first - 1];
    const std::size_t base = to.bytes_.size();
    to.bytes_.insert(to.bytes_.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(from),
                     bytes_.end());
    for (std::size_t i = first; i < ends_.size(); ++i) {
        to.ends_.push_back(base + ends_[i] - from);
    }
    bytes_.resize(from);
    ends_.resize(first);
}

void value_batch::move_front(std::size_t n, value_batch& to) {
    const std::size_t cut = n == 0 ? 0 : ends_[n - 1];
    const std::size_t base = to.bytes_.size();
    to.bytes_.insert(to.bytes_.end(), bytes_.begin(),
                     bytes_.begin() + static_cast<std::ptrdiff_t>(cut));
    to.ends_.reserve(to.ends_.size() + n);
    for (std::size_t i = 0; i < n; ++i) {
        to.ends_.push_back(base + ends_[i]);
    }
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(cut));
    ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(n));
    for (auto& e : ends_) {
        e -= cut;
    }
}

} // namespace netchan::detail
