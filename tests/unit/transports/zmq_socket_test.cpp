#include "netchan/zmq_socket.hpp"

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("zmq_socket: every socket has an explicit, bounded linger", "[zmq_socket]") {
    zmq::context_t ctx;
    auto s = netchan::make_socket(ctx, zmq::socket_type::push);
    CHECK(s.get(zmq::sockopt::linger) == netchan::default_linger.count());
}

TEST_CASE("zmq_socket: bind to a wildcard port returns the port actually bound", "[zmq_socket]") {
    zmq::context_t ctx;
    auto s = netchan::make_socket(ctx, zmq::socket_type::pull);
    const std::string ep = netchan::bind(s, "tcp://127.0.0.1:*");
    CHECK(ep.rfind("tcp://127.0.0.1:", 0) == 0);
    CHECK(ep != "tcp://127.0.0.1:*");
}

TEST_CASE("zmq_socket: a bad endpoint throws transport_error naming it", "[zmq_socket]") {
    zmq::context_t ctx;
    auto s = netchan::make_socket(ctx, zmq::socket_type::pull);
    CHECK_THROWS_AS(netchan::bind(s, "bogus://nowhere"), netchan::transport_error);
    CHECK_THROWS_WITH(netchan::connect(s, "tcp://"), Catch::Contains("tcp://"));
}
