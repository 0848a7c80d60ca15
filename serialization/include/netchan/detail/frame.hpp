#pragma once

#include <msgpack.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace netchan {

struct decode_limits;

namespace detail {

struct mismatch;

/// Exactly one msgpack object parsed from a whole frame within decode_limits; its str, bin and ext
/// values point into the input bytes, which must outlive the frame.
/// Thread-confined: use only from the thread that created it.
class frame {
public:
    /// Parses bytes as one object. Throws decode_error(expected, why) when they are empty, over a
    /// limit, malformed, truncated, or followed by trailing bytes.
    frame(std::span<const std::byte> bytes, const decode_limits& limits,
          const std::string& expected);

    frame(const frame&) = delete;
    frame& operator=(const frame&) = delete;

    /// Returns the parsed object.
    const msgpack::object& root() const noexcept { return root_; }

private:
    /// Borrows this thread's cached zone, or owns a fresh one when a decode nests in another.
    /// Thread-confined: use only from the thread that created it.
    class zone_lease {
    public:
        zone_lease();
        ~zone_lease();
        zone_lease(const zone_lease&) = delete;
        zone_lease& operator=(const zone_lease&) = delete;

        msgpack::zone& get() noexcept { return *zone_; }

    private:
        std::unique_ptr<msgpack::zone> own_;
        msgpack::zone* zone_;
    };

    zone_lease zone_; // first member: released even when the constructor throws
    msgpack::object root_;
};

/// Throws decode_error(expected, "<found> at $<path>").
[[noreturn]] void throw_mismatch(const std::string& expected, const mismatch& where);

/// Rethrows the exception in flight as decode_error when it is one a conversion can raise
/// (msgpack errors, std::bad_cast, std::bad_alloc, std::length_error); other exceptions propagate.
/// where locates the failure, or is null when the shape check found none.
/// @pre called inside a catch handler
[[noreturn]] void rethrow_as_decode_error(const std::string& expected, const msgpack::object& root,
                                          const mismatch* where);

} // namespace detail
} // namespace netchan
