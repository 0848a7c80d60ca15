#pragma once

#include <stdexcept>

namespace netchan {

/// Base of every exception netchan throws; the message carries the context (channel, endpoint,
/// type). Thread-compatible: const members may run concurrently; mutation needs external sync.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown by a send on a closed channel (where Go panics).
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class closed_error : public error {
public:
    closed_error() : error("netchan: send on closed channel") {}
    using error::error;
};

} // namespace netchan
