#include "internal/directory_protocol.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <limits>
#include <new>
#include <string_view>

namespace netchan::internal::dirproto {

namespace {

// Lets msgpack's packer append straight into the message bytes.
struct byte_sink {
    std::vector<std::byte>& out;
    void write(const char* p, std::size_t n) {
        const auto* b = reinterpret_cast<const std::byte*>(p);
        out.insert(out.end(), b, b + n);
    }
};
using packer = msgpack::packer<byte_sink>;

void pack_header(packer& pk, std::size_t fields, kind what, std::uint64_t req_id) {
    pk.pack_array(static_cast<std::uint32_t>(3 + fields));
    pk.pack_uint8(version);
    pk.pack_uint8(static_cast<std::uint8_t>(what));
    pk.pack_uint64(req_id);
}

void pack_str(packer& pk, std::string_view s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void pack_entry(packer& pk, const directory_entry& e, bool with_lease_left) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    pk.pack_map(with_lease_left ? 10 : 9);
    pack_str(pk, "name");
    pack_str(pk, e.name);
    pack_str(pk, "type");
    pack_str(pk, e.type);
    pack_str(pk, "dir");
    pack_str(pk, e.direction == dir::send ? "send" : "recv");
    pack_str(pk, "endpoints");
    pk.pack_array(static_cast<std::uint32_t>(e.endpoints.size()));
    for (const auto& ep : e.endpoints) {
        pack_str(pk, ep);
    }
    pack_str(pk, "host");
    pack_str(pk, e.host);
    pack_str(pk, "pid");
    pk.pack_int64(e.pid);
    pack_str(pk, "start_ms");
    pk.pack_int64(duration_cast<milliseconds>(e.start.time_since_epoch()).count());
    pack_str(pk, "lease_ms");
    pk.pack_int64(e.lease.count());
    if (with_lease_left) {
        pack_str(pk, "lease_left_ms");
        pk.pack_int64(e.lease_left.count());
    }
    pack_str(pk, "counters");
    pk.pack_map(static_cast<std::uint32_t>(e.counters.size()));
    for (const auto& [k, v] : e.counters) {
        pack_str(pk, k);
        pk.pack_uint64(v);
    }
}

// -- parsing --

class reader {
public:
    explicit reader(std::uint64_t req_id) : req_id_(req_id) {}

    [[noreturn]] void fail(errc code, const std::string& what) const {
        throw protocol_error(code, req_id_, "directory protocol: " + what);
    }

    const msgpack::object_array& array(const msgpack::object& o, const char* what) const {
        if (o.type != msgpack::type::ARRAY) {
            fail(errc::bad_message, std::string(what) + " is not an array");
        }
        return o.via.array;
    }

    std::uint64_t uint(const msgpack::object& o, const char* what) const {
        if (o.type != msgpack::type::POSITIVE_INTEGER) {
            fail(errc::bad_message, std::string(what) + " is not an unsigned integer");
        }
        return o.via.u64;
    }

    std::int64_t sint(const msgpack::object& o, const char* what) const {
        if (o.type == msgpack::type::NEGATIVE_INTEGER) {
            return o.via.i64;
        }
        const auto u = uint(o, what);
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            fail(errc::bad_message, std::string(what) + " is out of range");
        }
        return static_cast<std::int64_t>(u);
    }

    std::string str(const msgpack::object& o, const char* what) const {
        if (o.type != msgpack::type::STR) {
            fail(errc::bad_message, std::string(what) + " is not a string");
        }
        return std::string(o.via.str.ptr, o.via.str.size);
    }

    std::vector<std::string> endpoints(const msgpack::object& o) const {
        const auto& a = array(o, "endpoints");
        if (a.size > max_endpoints) {
            fail(errc::bad_entry, "more than " + std::to_string(max_endpoints) + " endpoints");
        }
        std::vector<std::string> out;
        out.reserve(a.size);
        for (std::uint32_t i = 0; i < a.size; ++i) {
            out.push_back(str(a.ptr[i], "endpoint"));
        }
        return out;
    }

    directory_entry entry(const msgpack::object& o) const {
        if (o.type != msgpack::type::MAP) {
            fail(errc::bad_message, "entry is not a map");
        }
        directory_entry e;
        bool has_name = false, has_type = false, has_dir = false, has_endpoints = false;
        const auto& m = o.via.map;
        for (std::uint32_t i = 0; i < m.size; ++i) {
            const auto key = str(m.ptr[i].key, "entry key");
            const auto& v = m.ptr[i].val;
            if (key == "name") {
                e.name = str(v, "name");
                has_name = true;
            } else if (key == "type") {
                e.type = str(v, "type");
                has_type = true;
            } else if (key == "dir") {
                const auto d = str(v, "dir");
                if (d != "send" && d != "recv") {
                    fail(errc::bad_entry, "dir is \"" + d + "\", not \"send\" or \"recv\"");
                }
                e.direction = d == "send" ? dir::send : dir::recv;
                has_dir = true;
            } else if (key == "endpoints") {
                e.endpoints = endpoints(v);
                has_endpoints = true;
            } else if (key == "host") {
                e.host = str(v, "host");
            } else if (key == "pid") {
                e.pid = sint(v, "pid");
            } else if (key == "start_ms") {
                e.start = std::chrono::system_clock::time_point(
                    std::chrono::milliseconds(sint(v, "start_ms")));
            } else if (key == "lease_ms") {
                e.lease = std::chrono::milliseconds(sint(v, "lease_ms"));
            } else if (key == "lease_left_ms") {
                e.lease_left = std::chrono::milliseconds(sint(v, "lease_left_ms"));
            } else if (key == "counters") {
                counters(v, e);
            } // other keys: from a newer minor revision; ignored
        }
        if (!has_name || !has_type || !has_dir || !has_endpoints) {
            fail(errc::bad_message, "entry lacks one of name, type, dir, endpoints");
        }
        if (e.name.empty() || e.endpoints.empty()) {
            fail(errc::bad_entry, "entry has an empty name or no endpoint");
        }
        return e;
    }

    void counters(const msgpack::object& v, directory_entry& e) const {
        if (v.type != msgpack::type::MAP) {
            fail(errc::bad_message, "counters is not a map");
        }
        if (v.via.map.size > max_counters) {
            fail(errc::bad_entry, "more than " + std::to_string(max_counters) + " counters");
        }
        for (std::uint32_t j = 0; j < v.via.map.size; ++j) {
            e.counters[str(v.via.map.ptr[j].key, "counter name")] =
                uint(v.via.map.ptr[j].val, "counter");
        }
    }

    std::vector<directory_entry> entries(const msgpack::object& o) const {
        const auto& a = array(o, "entries");
        std::vector<directory_entry> out;
        out.reserve(a.size);
        for (std::uint32_t i = 0; i < a.size; ++i) {
            out.push_back(entry(a.ptr[i]));
        }
        return out;
    }

private:
    std::uint64_t req_id_;
};

bool known_kind(std::uint64_t k, side who) {
    return who == side::directory ? k >= 1 && k <= 7 : k >= 64 && k <= 69;
}

// Fields each kind carries after [version, kind, req_id].
std::size_t fields_of(kind k) {
    switch (k) {
    case kind::register_entries:
    case kind::unregister:
    case kind::resolve:
    case kind::registered:
    case kind::entries:
    case kind::watching:
        return 1;
    case kind::event:
    case kind::error:
        return 2;
    default:
        return 0;
    }
}

message parse_object(const msgpack::object& root, side who) {
    reader r0(0);
    const auto& top = r0.array(root, "message");
    if (top.size < 3) {
        r0.fail(errc::bad_message, "message has fewer than 3 elements");
    }
    const std::uint64_t req_id =
        top.ptr[2].type == msgpack::type::POSITIVE_INTEGER ? top.ptr[2].via.u64 : 0;
    reader r(req_id);
    const auto v = r.uint(top.ptr[0], "version");
    if (v != version) {
        r.fail(errc::version_mismatch, "version " + std::to_string(v) + " (this side speaks " +
                                           std::to_string(version) + ")");
    }
    const auto k = r.uint(top.ptr[1], "kind");
    if (!known_kind(k, who)) {
        r.fail(errc::unknown_kind,
               "kind " + std::to_string(k) +
                   (who == side::directory ? " is not a request" : " is not a reply"));
    }
    message m;
    m.what = static_cast<kind>(k);
    m.req_id = r.uint(top.ptr[2], "req_id");
    if (top.size < 3 + fields_of(m.what)) {
        r.fail(errc::bad_message, "kind " + std::to_string(k) + " lacks fields");
    }
    const msgpack::object* f = top.ptr + 3;
    switch (m.what) {
    case kind::register_entries:
    case kind::entries:
        m.entries = r.entries(f[0]);
        break;
    case kind::unregister: {
        const auto& a = r.array(f[0], "keys");
        for (std::uint32_t i = 0; i < a.size; ++i) {
            const auto& pair = r.array(a.ptr[i], "key");
            if (pair.size != 2) {
                r.fail(errc::bad_message, "key is not [name, endpoints]");
            }
            m.keys.push_back({r.str(pair.ptr[0], "name"), r.endpoints(pair.ptr[1])});
        }
        break;
    }
    case kind::resolve:
        m.name = r.str(f[0], "name");
        break;
    case kind::registered:
    case kind::watching:
        m.number = r.uint(f[0], "milliseconds");
        break;
    case kind::event: {
        m.number = r.uint(f[0], "seq");
        const auto& a = r.array(f[1], "events");
        m.events.reserve(a.size);
        for (std::uint32_t i = 0; i < a.size; ++i) {
            const auto& pair = r.array(a.ptr[i], "event");
            if (pair.size != 2) {
                r.fail(errc::bad_message, "event is not [kind, entry]");
            }
            const auto ek = r.uint(pair.ptr[0], "event kind");
            if (ek < 1 || ek > 3) {
                r.fail(errc::bad_message, "unknown event kind " + std::to_string(ek));
            }
            m.events.push_back({static_cast<directory_event::kind>(ek), r.entry(pair.ptr[1])});
        }
        break;
    }
    case kind::error: {
        const auto code = r.uint(f[0], "error code");
        m.code = static_cast<errc>(std::min<std::uint64_t>(code, 255));
        m.text = r.str(f[1], "error message");
        break;
    }
    default:
        break;
    }
    return m;
}

} // namespace

message parse(std::span<const std::byte> bytes, std::size_t max_bytes, side who) {
    if (bytes.size() > max_bytes) {
        throw protocol_error(errc::too_large, 0,
                             "directory protocol: message of " + std::to_string(bytes.size()) +
                                 " bytes is over the limit of " + std::to_string(max_bytes));
    }
    // Every element takes at least one byte, so no count may exceed the message's size: a
    // length header alone cannot make the parser allocate more than the bytes could hold.
    const std::size_t n = bytes.size();
    const msgpack::unpack_limit limit(n, n / 2, max_string_bytes, 0, 0, 8);
    try {
        std::size_t off = 0;
        const msgpack::object_handle oh = msgpack::unpack(
            reinterpret_cast<const char*>(bytes.data()), n, off, nullptr, nullptr, limit);
        if (off != n) {
            throw protocol_error(errc::bad_message, 0,
                                 "directory protocol: trailing bytes after the message");
        }
        return parse_object(oh.get(), who);
    } catch (const protocol_error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw protocol_error(errc::too_large, 0, "directory protocol: out of memory parsing");
    } catch (const std::exception& e) {
        // msgpack::unpack_error and msgpack::type_error end here: translated once, at parsing.
        throw protocol_error(errc::bad_message, 0,
                             std::string("directory protocol: not a message: ") + e.what());
    }
}

std::vector<std::byte> encode_entry(const directory_entry& e, bool with_lease_left) {
    std::vector<std::byte> out;
    byte_sink sink{out};
    packer pk(sink);
    pack_entry(pk, e, with_lease_left);
    return out;
}

std::vector<std::byte> encode_with_entries(kind what, std::uint64_t req_id, std::size_t count,
                                           std::span<const std::byte> encoded_entries) {
    std::vector<std::byte> out;
    out.reserve(encoded_entries.size() + 32);
    byte_sink sink{out};
    packer pk(sink);
    pack_header(pk, 1, what, req_id);
    pk.pack_array(static_cast<std::uint32_t>(count));
    out.insert(out.end(), encoded_entries.begin(), encoded_entries.end());
    return out;
}

std::vector<std::byte> encode_register(std::uint64_t req_id,
                                       std::span<const directory_entry> entries) {
    std::vector<std::byte> out;
    byte_sink sink{out};
    packer pk(sink);
    pack_header(pk, 1, kind::register_entries, req_id);
    pk.pack_array(static_cast<std::uint32_t>(entries.size()));
    for (const auto& e : entries) {
        pack_entry(pk, e, false);
    }
    return out;
}

std::vector<std::byte> encode_entries(std::uint64_t req_id,
                                      std::span<const directory_entry> entries) {
    std::vector<std::byte> out;
    out.reserve(64 + entries.size() * 160);
    byte_sink sink{out};
    packer pk(sink);
    pack_header(pk, 1, kind::entries, req_id);
    pk.pack_array(static_cast<std::uint32_t>(entries.size()));
    for (const auto& e : entries) {
        pack_entry(pk, e, true);
    }
    return out;
}

std::vector<std::byte> encode_unregister(std::uint64_t req_id, std::span<const entry_key> keys) {
    std::vector<std::byte> out;
    byte_sink sink{out};
    packer pk(sink);
    pack_header(pk, 1, kind::unregister, req_id);
    pk.pack_array(static_cast<std::uint32_t>(keys.size()));
    for (const auto& k : keys) {
        pk.pack_array(2);
        pack_str(pk, k.name);
        pk.pack_array(static_cast<std::uint32_t>(k.endpoints.size()));
        for (const auto& ep : k.endpoints) {
            pack_str(pk, ep);
        }
    }
    return out;
}

std::vector<std::byte> encode_resolve(std::uint64_t req_id, const std::string& name) {
    std::vector<std::byte> out;
    byte_sink sink{out};
    packer pk(sink);
    pack_header(pk, 1, kind::resolve, req_id);
    pack_str(pk, name);
    return out;
}

std::vector<std::byte> encode_empty(kind what, std::uint64_t req_id) {
    std::vector<std::byte> out;
    byte_sink sink{out};
    packer pk(sink);
    pack_header(pk, 0, what, req_id);
    return out;
}

std::vector<std::byte> encode_number(kind what, std::uint64_t req_id, std::uint64_t n) {
    std::vector<std::byte> out;
    byte_sink sink{out};
    packer pk(sink);
    pack_header(pk, 1, what, req_id);
    pk.pack_uint64(n);
    return out;
}

std::vector<std::byte> encode_events(std::uint64_t seq, std::span<const directory_event> events) {
    std::vector<std::byte> out;
    byte_sink sink{out};
    packer pk(sink);
    pack_header(pk, 2, kind::event, 0);
    pk.pack_uint64(seq);
    pk.pack_array(static_cast<std::uint32_t>(events.size()));
    for (const auto& ev : events) {
        pk.pack_array(2);
        pk.pack_uint8(static_cast<std::uint8_t>(ev.what));
        pack_entry(pk, ev.entry, false);
    }
    return out;
}

std::vector<std::byte> encode_error(std::uint64_t req_id, errc code, const std::string& text) {
    std::vector<std::byte> out;
    byte_sink sink{out};
    packer pk(sink);
    pack_header(pk, 2, kind::error, req_id);
    pk.pack_uint8(static_cast<std::uint8_t>(code));
    pack_str(pk, std::string_view(text).substr(0, max_string_bytes));
    return out;
}

} // namespace netchan::internal::dirproto
