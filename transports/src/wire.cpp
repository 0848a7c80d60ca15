#include "netchan/internal/wire.hpp"

#include "netchan/detail/byte_writer.hpp"
#include "netchan/detail/frame.hpp"

#include <msgpack.hpp>

#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

namespace netchan::wire {
namespace {

using packer = msgpack::packer<detail::byte_writer>;

// Starts a frame: the array header, the version and the kind.
template <class F>
std::vector<std::byte> frame_of(kind k, std::uint32_t n_fields, F fields) {
    std::vector<std::byte> out;
    out.reserve(32);
    detail::byte_writer w(out);
    packer p(w);
    p.pack_array(2 + n_fields);
    p.pack_uint8(version);
    p.pack_uint8(static_cast<std::uint8_t>(k));
    fields(p);
    return out;
}

[[noreturn]] void bad(const std::string& why) {
    throw frame_error(errc::bad_frame, "netchan: bad frame: " + why);
}

// Field access with the error a peer's bug deserves, instead of msgpack's type_error.
class fields {
public:
    fields(const msgpack::object_array& a, std::string_view what) : a_(a), what_(what) {}

    void expect(std::uint32_t n) const {
        if (a_.size != n) {
            bad(std::string(what_) + " has " + std::to_string(a_.size) + " fields, expected " +
                std::to_string(n));
        }
    }
    std::vector<std::uint64_t> u64_array(std::uint32_t i) const {
        const auto& o = a_.ptr[i];
        if (o.type != msgpack::type::ARRAY) {
            bad(std::string(what_) + " field " + std::to_string(i) + " is not an array");
        }
        std::vector<std::uint64_t> out;
        out.reserve(o.via.array.size);
        for (std::uint32_t k = 0; k < o.via.array.size; ++k) {
            if (o.via.array.ptr[k].type != msgpack::type::POSITIVE_INTEGER) {
                bad(std::string(what_) + " field " + std::to_string(i) + "[" + std::to_string(k) +
                    "] is not an unsigned integer");
            }
            out.push_back(o.via.array.ptr[k].via.u64);
        }
        return out;
    }
    std::uint64_t u64(std::uint32_t i) const {
        const auto& o = a_.ptr[i];
        if (o.type != msgpack::type::POSITIVE_INTEGER) {
            bad(std::string(what_) + " field " + std::to_string(i) + " is not an unsigned integer");
        }
        return o.via.u64;
    }
    std::uint8_t u8(std::uint32_t i) const {
        const auto v = u64(i);
        if (v > 255) {
            bad(std::string(what_) + " field " + std::to_string(i) + " is out of range");
        }
        return static_cast<std::uint8_t>(v);
    }
    std::string str(std::uint32_t i) const {
        const auto& o = a_.ptr[i];
        if (o.type != msgpack::type::STR) {
            bad(std::string(what_) + " field " + std::to_string(i) + " is not a string");
        }
        return std::string(o.via.str.ptr, o.via.str.size);
    }
    const msgpack::object& at(std::uint32_t i) const { return a_.ptr[i]; }

private:
    const msgpack::object_array& a_;
    std::string_view what_;
};

direction to_direction(std::uint8_t v) {
    if (v > 1) {
        bad("direction " + std::to_string(v) + " is neither send (0) nor recv (1)");
    }
    return static_cast<direction>(v);
}

errc to_errc(std::uint8_t v) {
    if (v < 1 || v > static_cast<std::uint8_t>(errc::internal_error)) {
        return errc::bad_frame; // a newer peer's code: keep the message, generalize the code
    }
    return static_cast<errc>(v);
}

// Reads the DATA frames this library writes, and any DATA frame in the same common forms,
// straight from the bytes: every value travels in one, and building a msgpack object per value
// only to point into the frame again cost more than the rest of parsing it. Returns nothing for
// any other frame or form (other integer formats, a short or malformed frame); the general
// parser then takes it, and reports the errors, so both accept exactly the same frames.
class data_reader {
public:
    data_reader(std::span<const std::byte> bytes, const decode_limits& limits)
        : p_(reinterpret_cast<const unsigned char*>(bytes.data())), end_(p_ + bytes.size()),
          limits_(limits) {}

    std::optional<data> read() {
        std::uint64_t v = 0;
        std::uint64_t k = 0;
        data d;
        std::uint64_t n = 0;
        if (!fixed(0x95) || !uint(v) || v != version || !uint(k) ||
            k != static_cast<std::uint8_t>(kind::data) || !uint(d.link) || !uint(d.first_seq) ||
            !array_header(n) || n > left() || n > limits_.max_array_size) {
            return std::nullopt;
        }
        d.values.reserve(static_cast<std::size_t>(n));
        for (std::uint64_t i = 0; i < n; ++i) {
            std::uint64_t size = 0;
            if (!bin_header(size) || size > left() || size > limits_.max_bin_bytes) {
                return std::nullopt;
            }
            d.values.emplace_back(reinterpret_cast<const std::byte*>(p_),
                                  static_cast<std::size_t>(size));
            p_ += size;
        }
        if (p_ != end_) {
            return std::nullopt; // trailing bytes
        }
        return d;
    }

private:
    std::uint64_t left() const noexcept { return static_cast<std::uint64_t>(end_ - p_); }

    bool fixed(unsigned char b) noexcept {
        if (p_ == end_ || *p_ != b) {
            return false;
        }
        ++p_;
        return true;
    }

    // A big-endian unsigned of `n` bytes.
    bool be(std::size_t n, std::uint64_t& out) noexcept {
        if (left() < n) {
            return false;
        }
        out = 0;
        for (std::size_t i = 0; i < n; ++i) {
            out = (out << 8) | p_[i];
        }
        p_ += n;
        return true;
    }

    bool uint(std::uint64_t& out) noexcept {
        if (p_ == end_) {
            return false;
        }
        const unsigned char b = *p_++;
        switch (b) {
        case 0xcc:
            return be(1, out);
        case 0xcd:
            return be(2, out);
        case 0xce:
            return be(4, out);
        case 0xcf:
            return be(8, out);
        default:
            out = b;
            return b < 0x80; // positive fixint
        }
    }

    bool array_header(std::uint64_t& n) noexcept {
        if (p_ == end_) {
            return false;
        }
        const unsigned char b = *p_++;
        if ((b & 0xf0) == 0x90) {
            n = b & 0x0f;
            return true;
        }
        return (b == 0xdc && be(2, n)) || (b == 0xdd && be(4, n));
    }

    bool bin_header(std::uint64_t& n) noexcept {
        if (p_ == end_) {
            return false;
        }
        const unsigned char b = *p_++;
        return (b == 0xc4 && be(1, n)) || (b == 0xc5 && be(2, n)) || (b == 0xc6 && be(4, n));
    }

    const unsigned char* p_;
    const unsigned char* end_;
    const decode_limits& limits_;
};

} // namespace

const char* to_string(errc e) noexcept {
    switch (e) {
    case errc::unknown_channel:
        return "unknown_channel";
    case errc::type_mismatch:
        return "type_mismatch";
    case errc::wrong_direction:
        return "wrong_direction";
    case errc::bad_frame:
        return "bad_frame";
    case errc::version_mismatch:
        return "version_mismatch";
    case errc::frame_too_large:
        return "frame_too_large";
    case errc::unknown_link:
        return "unknown_link";
    case errc::bad_value:
        return "bad_value";
    case errc::peer_lost:
        return "peer_lost";
    case errc::internal_error:
        return "internal_error";
    }
    return "unknown";
}

message parse(std::span<const std::byte> bytes, std::size_t max_frame_bytes) {
    if (bytes.size() > max_frame_bytes) {
        throw frame_error(errc::frame_too_large,
                          "netchan: frame of " + std::to_string(bytes.size()) +
                              " bytes is over the limit of " + std::to_string(max_frame_bytes));
    }
    decode_limits limits;
    limits.max_frame_bytes = max_frame_bytes;
    limits.max_depth = 3; // [v, kind, ..., [bin, ...]]
    if (auto d = data_reader(bytes, limits).read()) {
        return std::move(*d);
    }
    std::optional<detail::frame> f;
    try {
        f.emplace(bytes, limits, "netchan frame");
    } catch (const decode_error& e) {
        bad(e.found());
    }
    const msgpack::object& root = f->root();
    if (root.type != msgpack::type::ARRAY || root.via.array.size < 2) {
        bad("not an array [version, kind, ...]");
    }
    const fields head(root.via.array, "frame");
    const auto v = head.u64(0);
    if (v != version) {
        throw frame_error(errc::version_mismatch, "netchan: frame of protocol version " +
                                                      std::to_string(v) + ", this side speaks " +
                                                      std::to_string(version));
    }
    const auto k = head.u64(1);
    if (k > 255) {
        bad("unknown kind " + std::to_string(k));
    }
    switch (static_cast<kind>(k)) {
    case kind::import_req: {
        const fields fs(root.via.array, "import");
        fs.expect(8);
        return import_req{fs.u64(2), fs.str(3), fs.str(4), to_direction(fs.u8(5)),
                          fs.u64(6), fs.u64(7)};
    }
    case kind::imported: {
        const fields fs(root.via.array, "imported");
        fs.expect(4);
        return imported{fs.u64(2), fs.u64(3)};
    }
    case kind::refused: {
        const fields fs(root.via.array, "refused");
        fs.expect(5);
        return refused{fs.u64(2), to_errc(fs.u8(3)), fs.str(4)};
    }
    case kind::data: {
        const fields fs(root.via.array, "data");
        fs.expect(5);
        data d{fs.u64(2), fs.u64(3), {}};
        const msgpack::object& vals = fs.at(4);
        if (vals.type != msgpack::type::ARRAY) {
            bad("data values are not an array");
        }
        d.values.reserve(vals.via.array.size);
        for (std::uint32_t i = 0; i < vals.via.array.size; ++i) {
            const auto& b = vals.via.array.ptr[i];
            if (b.type != msgpack::type::BIN) {
                bad("data value " + std::to_string(i) + " is not a bin object");
            }
            // The frame's bin objects point into `bytes` (unpacked by reference).
            d.values.emplace_back(reinterpret_cast<const std::byte*>(b.via.bin.ptr),
                                  b.via.bin.size);
        }
        return d;
    }
    case kind::ack: {
        const fields fs(root.via.array, "ack");
        fs.expect(5);
        return ack{fs.u64(2), fs.u64(3), fs.u64(4)};
    }
    case kind::close: {
        const fields fs(root.via.array, "close");
        fs.expect(4);
        return close{fs.u64(2), fs.u64(3)};
    }
    case kind::hangup: {
        const fields fs(root.via.array, "hangup");
        fs.expect(3);
        return hangup{fs.u64(2)};
    }
    case kind::heartbeat: {
        const fields fs(root.via.array, "heartbeat");
        if (root.via.array.size != 4) {
            fs.expect(3);
        }
        heartbeat h;
        h.links = fs.u64_array(2);
        h.received = root.via.array.size == 4 ? fs.u64_array(3)
                                              : std::vector<std::uint64_t>(h.links.size(), 0);
        if (h.received.size() != h.links.size()) {
            bad("heartbeat has " + std::to_string(h.links.size()) + " links but " +
                std::to_string(h.received.size()) + " received counts");
        }
        return h;
    }
    case kind::error: {
        const fields fs(root.via.array, "error");
        fs.expect(5);
        return error{fs.u64(2), to_errc(fs.u8(3)), fs.str(4)};
    }
    }
    bad("unknown kind " + std::to_string(k));
}

std::vector<std::byte> encode(const import_req& m) {
    return frame_of(kind::import_req, 6, [&](packer& p) {
        p.pack_uint64(m.req_id);
        p.pack(m.name);
        p.pack(m.type);
        p.pack_uint8(static_cast<std::uint8_t>(m.dir));
        p.pack_uint64(m.credit);
        p.pack_uint64(m.limit);
    });
}
std::vector<std::byte> encode(const imported& m) {
    return frame_of(kind::imported, 2, [&](packer& p) {
        p.pack_uint64(m.req_id);
        p.pack_uint64(m.link);
    });
}
std::vector<std::byte> encode(const refused& m) {
    return frame_of(kind::refused, 3, [&](packer& p) {
        p.pack_uint64(m.req_id);
        p.pack_uint8(static_cast<std::uint8_t>(m.code));
        p.pack(m.message);
    });
}
std::vector<std::byte> encode(const ack& m) {
    return frame_of(kind::ack, 3, [&](packer& p) {
        p.pack_uint64(m.link);
        p.pack_uint64(m.next);
        p.pack_uint64(m.credit);
    });
}
std::vector<std::byte> encode(const close& m) {
    return frame_of(kind::close, 2, [&](packer& p) {
        p.pack_uint64(m.link);
        p.pack_uint64(m.end);
    });
}
std::vector<std::byte> encode(const hangup& m) {
    return frame_of(kind::hangup, 1, [&](packer& p) { p.pack_uint64(m.link); });
}
std::vector<std::byte> encode(const heartbeat& m) {
    return frame_of(kind::heartbeat, 2, [&](packer& p) {
        for (const auto* list : {&m.links, &m.received}) {
            p.pack_array(static_cast<std::uint32_t>(list->size()));
            for (auto n : *list) {
                p.pack_uint64(n);
            }
        }
    });
}
std::vector<std::byte> encode(const error& m) {
    return frame_of(kind::error, 3, [&](packer& p) {
        p.pack_uint64(m.link);
        p.pack_uint8(static_cast<std::uint8_t>(m.code));
        p.pack(m.message);
    });
}

std::vector<std::byte> encode_data(std::uint64_t link, std::uint64_t first_seq,
                                   const value_batch& batch, std::size_t first, std::size_t last) {
    const auto values = batch.range(first, last);
    std::vector<std::byte> out;
    out.reserve(values.size() + 32);
    detail::byte_writer w(out);
    packer p(w);
    p.pack_array(5);
    p.pack_uint8(version);
    p.pack_uint8(static_cast<std::uint8_t>(kind::data));
    p.pack_uint64(link);
    p.pack_uint64(first_seq);
    p.pack_array(static_cast<std::uint32_t>(last - first));
    out.insert(out.end(), values.begin(), values.end());
    return out;
}

} // namespace netchan::wire
