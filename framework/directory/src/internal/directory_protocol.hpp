#pragma once

#include "netchan/directory_entry.hpp"
#include "netchan/directory_event.hpp"
#include "netchan/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

/// The directory protocol, version 1 (docs/directory.md): every message is one MessagePack
/// array `[version, kind, req_id, fields...]`; entries are maps with string keys.
namespace netchan::internal::dirproto {

inline constexpr std::uint8_t version = 1;

/// Message kinds; on the wire, never renumbered. Requests below 64, replies from 64.
enum class kind : std::uint8_t {
    register_entries = 1, ///< [entries]: add or renew
    unregister = 2,       ///< [[name, endpoints]...]
    list = 3,             ///< []
    resolve = 4,          ///< [name]
    watch = 5,            ///< []: subscribe (again) to events
    unwatch = 6,          ///< []
    ping = 7,             ///< []
    ok = 64,              ///< []
    registered = 65,      ///< [lease_ms]: the lease granted
    entries = 66,         ///< [entries]
    watching = 67,        ///< [watch_lease_ms]: subscribe again before it runs out
    event = 68,           ///< [seq, [[event kind, entry]...]], pushed with req_id 0
    error = 69,           ///< [code, message]
};

/// Error codes of error replies; on the wire, never renumbered.
enum class errc : std::uint8_t {
    bad_message = 1,      ///< not MessagePack, not an array, missing or mistyped fields
    version_mismatch = 2, ///< a protocol version this directory does not speak
    unknown_kind = 3,     ///< a kind this directory does not know (or a reply kind)
    too_large = 4,        ///< over the directory's message size limit
    bad_entry = 5,        ///< an entry with an empty name or no endpoint, or over a limit
};

/// Limits on one entry; larger ones are refused as bad_entry.
inline constexpr std::size_t max_string_bytes = 4096;
inline constexpr std::size_t max_endpoints = 64;
inline constexpr std::size_t max_counters = 64;

/// A message that is not valid: `code` says why, `req_id` is the request's id when it got that
/// far (0 otherwise). Thread-compatible: const members may run concurrently; mutation needs
/// external sync.
class protocol_error : public netchan::error {
public:
    protocol_error(errc code, std::uint64_t req_id, const std::string& what)
        : netchan::error(what), code_(code), req_id_(req_id) {}
    errc code() const noexcept { return code_; }
    std::uint64_t req_id() const noexcept { return req_id_; }

private:
    errc code_;
    std::uint64_t req_id_;
};

/// Identifies an entry: its name and its endpoint list.
struct entry_key {
    std::string name;
    std::vector<std::string> endpoints;
    friend auto operator<=>(const entry_key&, const entry_key&) = default;
};

/// Any message, parsed; only the fields of its kind are set.
struct message {
    kind what{};
    std::uint64_t req_id = 0;
    std::vector<directory_entry> entries; ///< register_entries, entries
    std::vector<entry_key> keys;          ///< unregister
    std::string name;                     ///< resolve
    std::uint64_t number = 0;             ///< registered, watching: ms; event: seq
    std::vector<directory_event> events;  ///< event
    errc code{};                          ///< error
    std::string text;                     ///< error
};

/// Which messages a side accepts: a directory takes requests, a client replies.
enum class side : std::uint8_t { directory, client };

/// Parses one message that side `who` accepts. Throws protocol_error for anything but a valid
/// message of this version, for kinds `who` does not take (unknown_kind), and for messages
/// over `max_bytes`.
message parse(std::span<const std::byte> bytes, std::size_t max_bytes, side who);

/// Returns the encoding of one entry (a map), to be put in a message with encode_with_entries.
std::vector<std::byte> encode_entry(const directory_entry& e, bool with_lease_left);

/// Returns `[version, what, req_id, [entries...]]` from entries already encoded back to back.
std::vector<std::byte> encode_with_entries(kind what, std::uint64_t req_id, std::size_t count,
                                           std::span<const std::byte> encoded_entries);

/// Returns a REGISTER message of `entries`.
std::vector<std::byte> encode_register(std::uint64_t req_id,
                                       std::span<const directory_entry> entries);
/// Returns an ENTRIES reply of `entries`, each with its lease_left.
std::vector<std::byte> encode_entries(std::uint64_t req_id,
                                      std::span<const directory_entry> entries);
std::vector<std::byte> encode_unregister(std::uint64_t req_id, std::span<const entry_key> keys);
std::vector<std::byte> encode_resolve(std::uint64_t req_id, const std::string& name);
/// Returns a message of a kind that has no fields (list, watch, unwatch, ping, ok).
std::vector<std::byte> encode_empty(kind what, std::uint64_t req_id);
/// Returns a message of a kind whose one field is a number (registered, watching).
std::vector<std::byte> encode_number(kind what, std::uint64_t req_id, std::uint64_t n);
std::vector<std::byte> encode_events(std::uint64_t seq, std::span<const directory_event> events);
std::vector<std::byte> encode_error(std::uint64_t req_id, errc code, const std::string& text);

} // namespace netchan::internal::dirproto
