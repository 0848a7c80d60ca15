#pragma once

#include "netchan/netchan_struct.hpp"

#include <string>

namespace netchan {

/// Names a channel that an exporter serves, so that a channel can travel inside a message: the
/// receiver imports it to use it (Go's netchan could not send channels). The classic use is a
/// reply channel: a client exports a private channel and sends its reference with each request;
/// the server imports it and answers there.
///
/// @code
/// struct request {
///     std::string text;
///     netchan::chan_ref<std::string> reply;
///     NETCHAN_STRUCT(request, text, reply);
/// };
/// // server, for a request r:
/// netchan::importer back(r.reply.endpoint);
/// back.import_chan<std::string>(r.reply.name, netchan::dir::send).send("echo " + r.text);
/// @endcode
/// T is the channel's value type; importing the reference with another type fails at import
/// time, as for any channel. Thread-compatible.
template <class T>
struct chan_ref {
    std::string endpoint; ///< where the exporter serving the channel listens
    std::string name;     ///< the channel's export name there

    friend bool operator==(const chan_ref&, const chan_ref&) = default;

    NETCHAN_STRUCT(chan_ref, endpoint, name);
};

} // namespace netchan
