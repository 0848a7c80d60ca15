#pragma once

#include "netchan/error.hpp"

#include <zmq.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace netchan {

/// A ZeroMQ call failed: names the endpoint (or operation) and the errno text.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class transport_error : public error {
public:
    transport_error(std::string_view what, const zmq::error_t& e)
        : error("netchan: " + std::string(what) + ": " + e.what()), errnum_(e.num()) {}
    explicit transport_error(const std::string& what) : error("netchan: " + what) {}

    /// Returns the zmq/errno code, or 0 when the failure did not come from ZeroMQ.
    int errnum() const noexcept { return errnum_; }

private:
    int errnum_ = 0;
};

/// Default linger of every netchan socket: unsent frames are dropped after this long at close,
/// so closing a context never blocks forever (libzmq's default is -1: wait for ever).
inline constexpr std::chrono::milliseconds default_linger{200};

/// Returns a socket of `type` on `ctx` with linger set explicitly; every netchan socket is made
/// here.
zmq::socket_t make_socket(zmq::context_t& ctx, zmq::socket_type type,
                          std::chrono::milliseconds linger = default_linger);

/// Binds `s` to `endpoint` (which may end in `:*`) and returns the endpoint actually bound.
/// Throws transport_error naming the endpoint on failure.
std::string bind(zmq::socket_t& s, const std::string& endpoint);

/// Connects `s` to `endpoint`. Throws transport_error naming the endpoint on failure.
void connect(zmq::socket_t& s, const std::string& endpoint);

} // namespace netchan
