#pragma once

#include "netchan/error.hpp"

namespace netchan {

/// A directory could not be reached in time, refused a request, or sent a reply that does not
/// parse. The message names the directory endpoint(s) and, where there is one, the channel.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class directory_error : public error {
public:
    using error::error;
};

} // namespace netchan
