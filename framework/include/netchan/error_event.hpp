#pragma once

#include "netchan/errc.hpp"

#include <string>

namespace netchan {

/// An asynchronous failure of a network channel, delivered on an exporter's or importer's
/// errors() channel instead of being thrown across threads.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct error_event {
    errc code{};
    std::string channel; ///< the channel's name, or empty when the frame named none
    std::string peer;    ///< who sent the offending frame or was lost, when known
    std::string message; ///< a sentence for humans
};

} // namespace netchan
