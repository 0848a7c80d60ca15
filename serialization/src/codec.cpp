#include "netchan/codec.hpp"

#include "netchan/decode_error.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string>
#include <typeinfo>

namespace netchan::detail {

namespace {

// A fresh msgpack::zone mallocs an 8 KiB chunk; reusing one per thread makes decoding a small
// value allocation-free. clear() keeps only that first chunk after a large frame.
struct zone_cache {
    msgpack::zone zone;
    bool busy = false;
};

thread_local zone_cache this_thread_zone;

// str, bin and ext values point into the caller's bytes instead of being copied into the zone.
bool reference_input(msgpack::type::object_type, std::size_t, void*) {
    return true;
}

// effective is the configured limit capped by what the frame can hold; say which one bit.
std::string over_limit(const char* what, std::size_t configured, std::size_t effective,
                       const char* unit, std::size_t frame_bytes) {
    if (configured <= effective) {
        return std::string(what) + " over the limit of " + std::to_string(configured) + unit;
    }
    return "truncated frame (" + std::to_string(frame_bytes) + " bytes): " + what +
           " header claims more" + unit + " than the frame holds";
}

} // namespace

frame::zone_lease::zone_lease() {
    if (this_thread_zone.busy) {
        // A user adaptor decoding inside a decode: the cached zone holds the outer frame.
        own_ = std::make_unique<msgpack::zone>();
        zone_ = own_.get();
    } else {
        this_thread_zone.busy = true;
        zone_ = &this_thread_zone.zone;
    }
}

frame::zone_lease::~zone_lease() {
    if (!own_) {
        this_thread_zone.zone.clear();
        this_thread_zone.busy = false;
    }
}

frame::frame(std::span<const std::byte> bytes, const decode_limits& limits,
             const std::string& expected) {
    const std::size_t size = bytes.size();
    if (size > limits.max_frame_bytes) {
        throw decode_error(expected, "frame of " + std::to_string(size) +
                                         " bytes, over the limit of " +
                                         std::to_string(limits.max_frame_bytes) + " bytes");
    }
    if (size == 0) {
        throw decode_error(expected, "empty frame");
    }
    // An array of n elements needs at least n more bytes, a map 2n, a string n: capping the
    // limits at the frame size refuses a lying length header before msgpack allocates for it.
    const std::size_t max_array = std::min(limits.max_array_size, size);
    const std::size_t max_map = std::min(limits.max_map_size, size / 2);
    const std::size_t max_str = std::min(limits.max_str_bytes, size);
    const std::size_t max_bin = std::min(limits.max_bin_bytes, size);
    const std::size_t max_ext = std::min(limits.max_ext_bytes, size);
    const msgpack::unpack_limit limit(max_array, max_map, max_str, max_bin, max_ext,
                                      limits.max_depth);
    const auto* data = reinterpret_cast<const char*>(bytes.data());
    std::size_t offset = 0;
    try {
        root_ = msgpack::unpack(zone_.get(), data, size, offset, reference_input, nullptr, limit);
    } catch (const msgpack::insufficient_bytes&) {
        throw decode_error(expected, "truncated frame (" + std::to_string(size) + " bytes)");
    } catch (const msgpack::parse_error&) {
        throw decode_error(expected, "malformed msgpack (reserved type byte)");
    } catch (const msgpack::array_size_overflow&) {
        throw decode_error(
            expected, over_limit("array", limits.max_array_size, max_array, " elements", size));
    } catch (const msgpack::map_size_overflow&) {
        throw decode_error(expected,
                           over_limit("map", limits.max_map_size, max_map, " pairs", size));
    } catch (const msgpack::str_size_overflow&) {
        throw decode_error(expected,
                           over_limit("string", limits.max_str_bytes, max_str, " bytes", size));
    } catch (const msgpack::bin_size_overflow&) {
        throw decode_error(expected,
                           over_limit("bin", limits.max_bin_bytes, max_bin, " bytes", size));
    } catch (const msgpack::ext_size_overflow&) {
        throw decode_error(expected,
                           over_limit("ext", limits.max_ext_bytes, max_ext, " bytes", size));
    } catch (const msgpack::depth_size_overflow&) {
        throw decode_error(expected,
                           "nesting deeper than " + std::to_string(limits.max_depth) + " levels");
    } catch (const msgpack::unpack_error& e) {
        throw decode_error(expected, std::string("malformed msgpack (") + e.what() + ")");
    } catch (const std::bad_alloc&) {
        throw decode_error(expected,
                           "frame of " + std::to_string(size) + " bytes too large to allocate");
    }
    if (offset != size) {
        throw decode_error(expected, describe(root_) + " followed by " +
                                         std::to_string(size - offset) + " trailing bytes");
    }
}

void throw_mismatch(const std::string& expected, const mismatch& where) {
    throw decode_error(expected,
                       where.path.empty() ? where.found : where.found + " at $" + where.path);
}

void rethrow_as_decode_error(const std::string& expected, const msgpack::object& root,
                             const mismatch* where) {
    try {
        throw;
    } catch (const decode_error&) {
        throw;
    } catch (const std::bad_cast&) { // includes msgpack::type_error
        if (where != nullptr) {
            throw_mismatch(expected, *where);
        }
        throw decode_error(expected, describe(root) + " (refused by its msgpack adaptor)");
    } catch (const std::bad_alloc&) {
        throw decode_error(expected, describe(root) + " too large to allocate");
    } catch (const std::length_error&) {
        throw decode_error(expected, describe(root) + " too large to allocate");
    } catch (const msgpack::unpack_error& e) {
        throw decode_error(expected, describe(root) + " (" + e.what() + ")");
    }
}

void rethrow_encode_failure() {
    try {
        throw;
    } catch (const msgpack::container_size_overflow&) {
        throw error("netchan: cannot encode: a string or container holds more than 2^32-1 "
                    "elements, msgpack's limit");
    }
}

} // namespace netchan::detail
