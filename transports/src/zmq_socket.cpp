#include "netchan/zmq_socket.hpp"

namespace netchan {

zmq::socket_t make_socket(zmq::context_t& ctx, zmq::socket_type type,
                          std::chrono::milliseconds linger) {
    try {
        zmq::socket_t s(ctx, type);
        s.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
        return s;
    } catch (const zmq::error_t& e) {
        throw transport_error("cannot create socket", e);
    }
}

std::string bind(zmq::socket_t& s, const std::string& endpoint) {
    try {
        s.bind(endpoint);
        return s.get(zmq::sockopt::last_endpoint);
    } catch (const zmq::error_t& e) {
        throw transport_error("cannot bind " + endpoint, e);
    }
}

void connect(zmq::socket_t& s, const std::string& endpoint) {
    try {
        s.connect(endpoint);
    } catch (const zmq::error_t& e) {
        throw transport_error("cannot connect to " + endpoint, e);
    }
}

} // namespace netchan
