#pragma once

#include "netchan/codec.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace netchan::detail {

/// Encoded values, each as a MessagePack bin object holding its encoding, kept contiguous so
/// that a run of them can be copied into a frame at once (the wire protocol's DATA frames).
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class value_batch {
public:
    /// Appends `v` (encoded with netchan::encode_into) as one bin object.
    template <class T>
    void add(const T& v) {
        const std::size_t start = bytes_.size();
        bytes_.resize(start + bin_header);
        encode_into(v, bytes_);
        patch_bin_header(start);
        ends_.push_back(bytes_.size());
    }

    /// Appends an already encoded value as one bin object.
    void add_encoded(std::span<const std::byte> encoded);

    std::size_t size() const noexcept { return ends_.size(); }
    bool empty() const noexcept { return ends_.empty(); }
    void clear() noexcept {
        bytes_.clear();
        ends_.clear();
    }

    /// Returns the bin objects of values [first, last) as contiguous bytes.
    std::span<const std::byte> range(std::size_t first, std::size_t last) const noexcept;

    /// Moves values [first, size()) into `to` (appending) and drops them here.
    void move_tail(std::size_t first, value_batch& to);

    /// Moves values [0, n) into `to` (appending) and drops them here, keeping this batch's
    /// buffers for the values still to come.
    void move_front(std::size_t n, value_batch& to);

private:
    static constexpr std::size_t bin_header = 5; // bin32: 0xc6 + 4-byte length
    void patch_bin_header(std::size_t start);

    std::vector<std::byte> bytes_;
    std::vector<std::size_t> ends_; // end offset of each value's bin object
};

} // namespace netchan::detail
