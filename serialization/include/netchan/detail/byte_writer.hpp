#pragma once

#include <cstddef>
#include <vector>

namespace netchan::detail {

/// msgpack output stream appending straight into a byte vector: no intermediate sbuffer and copy.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class byte_writer {
public:
    explicit byte_writer(std::vector<std::byte>& out) noexcept : out_(&out) {}

    /// Appends size bytes; msgpack::packer calls this once per header and once per body.
    void write(const char* data, std::size_t size) {
        const auto* bytes = reinterpret_cast<const std::byte*>(data);
        out_->insert(out_->end(), bytes, bytes + size);
    }

private:
    std::vector<std::byte>* out_;
};

/// Rethrows the exception in flight from packing: msgpack's container_size_overflow becomes
/// netchan::error; anything else propagates unchanged.
/// @pre called inside a catch handler
[[noreturn]] void rethrow_encode_failure();

} // namespace netchan::detail
