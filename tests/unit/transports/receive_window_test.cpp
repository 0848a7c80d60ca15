#include "netchan/internal/receive_window.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <type_traits>

using netchan::internal::receive_window;
using arrival = receive_window::arrival;

namespace {

constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t link_id = 3;

} // namespace

static_assert(std::is_move_constructible_v<receive_window>);

TEST_CASE("receive window: values are taken strictly in order", "[receive_window]") {
    receive_window w(8);
    CHECK(w.arrive(0, 0) == arrival::accept);
    CHECK(w.arrive(0, 1) == arrival::accept);
    CHECK(w.expected() == 2);
    CHECK(w.arrive(0, 0) == arrival::duplicate);
    CHECK(w.arrive(1, 0) == arrival::duplicate);
    CHECK(w.arrive(3, 0) == arrival::gap);
    CHECK(w.expected() == 2);
    CHECK(w.arrive(2, 0) == arrival::accept);
    CHECK(w.in_flight() == 3);
}

TEST_CASE("receive window: a value beyond the credit is refused", "[receive_window]") {
    receive_window w(2);
    CHECK(w.arrive(0, 0) == arrival::accept);
    CHECK(w.arrive(0, 1) == arrival::accept);
    CHECK(w.arrive(0, 2) == arrival::beyond_credit);
    CHECK(w.expected() == 2);
    w.consume(1);
    CHECK(w.arrive(0, 2) == arrival::accept);
    CHECK(w.arrive(0, 3) == arrival::beyond_credit);
}

TEST_CASE("receive window: a credit of 0 grants one value", "[receive_window]") {
    receive_window w(0);
    CHECK(w.window() == 1);
    CHECK(w.arrive(0, 0) == arrival::accept);
    CHECK(w.arrive(1, 0) == arrival::beyond_credit);
}

TEST_CASE("receive window: a credit of 2^64-1 never refuses a value", "[receive_window]") {
    receive_window w(max64);
    for (std::uint64_t i = 0; i < 100; ++i) {
        CHECK(w.arrive(0, i) == arrival::accept);
    }
    w.consume(50);
    CHECK(w.arrive(100, 0) == arrival::accept);
    const auto a = w.take_ack(link_id);
    REQUIRE(a);
    CHECK(a->credit == max64);
}

TEST_CASE("receive window: sequence numbers near 2^64 are gaps, never wrapped",
          "[receive_window]") {
    receive_window w(8);
    CHECK(w.arrive(max64, 0) == arrival::gap);
    CHECK(w.arrive(max64, 1) == arrival::gap); // max64 + 1 would wrap to 0
    CHECK(w.arrive(max64 - 1, 2) == arrival::gap);
    CHECK(w.expected() == 0);
}

TEST_CASE("receive window: acknowledges consumption once, then repeats it", "[receive_window]") {
    receive_window w(4);
    CHECK_FALSE(w.take_ack(link_id));
    CHECK_FALSE(w.repeat_ack(link_id));
    for (std::uint64_t i = 0; i < 4; ++i) {
        REQUIRE(w.arrive(0, i) == arrival::accept);
    }
    w.consume(2);
    CHECK(w.consumed() == 2);
    auto a = w.take_ack(link_id);
    REQUIRE(a);
    CHECK(a->link == link_id);
    CHECK(a->next == 2);
    CHECK(a->credit == 4);
    CHECK_FALSE(w.take_ack(link_id));
    auto r = w.repeat_ack(link_id);
    REQUIRE(r);
    CHECK(r->next == 2);
    w.consume(1); // a count that went back changes nothing
    CHECK(w.consumed() == 2);
}

TEST_CASE("receive window: acknowledges in quarter windows, or at once for tiny credit",
          "[receive_window]") {
    CHECK(receive_window::worth_reporting(16, 64, 10));
    CHECK_FALSE(receive_window::worth_reporting(15, 64, 10));
    CHECK_FALSE(receive_window::worth_reporting(15, 64, 0)); // big window: wait for the tick
    CHECK(receive_window::worth_reporting(1, 4, 0));         // tiny credit, caught up
    CHECK(receive_window::worth_reporting(1, 4, 3));         // a quarter of 4 is 1
    CHECK_FALSE(receive_window::worth_reporting(1, 8, 0));
    CHECK(receive_window::worth_reporting(1, 7, 0)); // below 8, caught up;
    CHECK(receive_window::worth_reporting(1, 0, 5));
    CHECK_FALSE(receive_window::worth_reporting(0, max64, 5));

    receive_window w(16);
    for (std::uint64_t i = 0; i < 8; ++i) {
        REQUIRE(w.arrive(0, i) == arrival::accept);
    }
    w.consume(3);
    CHECK_FALSE(w.ack_due(w.in_flight()));
    w.consume(4);
    CHECK(w.ack_due(w.in_flight()));
}

TEST_CASE("receive window: a bad value counts once the good values before it do",
          "[receive_window]") {
    receive_window w(8);
    for (std::uint64_t i = 0; i < 4; ++i) {
        REQUIRE(w.arrive(0, i) == arrival::accept);
    }
    // Values 0 and 1 good, 2 bad, 3 good.
    w.bad_value(2);
    CHECK(w.with_bad(1) == 1);
    CHECK(w.with_bad(2) == 3);
    w.consume(1);
    CHECK(w.consumed() == 1);
    w.consume(2);
    CHECK(w.consumed() == 3); // the bad value with them
    w.consume(3);
    CHECK(w.consumed() == 4);
    CHECK(w.with_bad(3) == 4); // still counted once settled
}

TEST_CASE("receive window: a bad first value counts at once", "[receive_window]") {
    receive_window w(8);
    REQUIRE(w.arrive(0, 0) == arrival::accept);
    w.bad_value(0);
    w.consume(0);
    CHECK(w.consumed() == 1);
    CHECK(w.take_ack(link_id)->next == 1);
}

TEST_CASE("receive window: the stream is complete when everything before CLOSE is consumed",
          "[receive_window]") {
    receive_window w(8);
    CHECK_FALSE(w.complete(0));
    REQUIRE(w.arrive(0, 0) == arrival::accept);
    REQUIRE(w.arrive(0, 1) == arrival::accept);
    w.on_close({link_id, 3});
    CHECK(w.close_seen());
    CHECK(w.end() == 3);
    CHECK_FALSE(w.complete(2)); // value 2 has not arrived
    REQUIRE(w.arrive(2, 0) == arrival::accept);
    CHECK_FALSE(w.complete(2));
    CHECK(w.complete(3));
}

TEST_CASE("receive window: a restart numbers a new link from the values received before",
          "[receive_window]") {
    receive_window w(4);
    for (std::uint64_t i = 0; i < 3; ++i) {
        REQUIRE(w.arrive(0, i) == arrival::accept);
    }
    w.consume(1);
    (void)w.take_ack(link_id);
    w.restart(3);
    CHECK(w.expected() == 0);
    CHECK(w.ack_sent() == 0);
    CHECK_FALSE(w.close_seen());
    w.consume(2); // still from the old link
    CHECK(w.consumed() == 0);
    CHECK_FALSE(w.take_ack(link_id));
    REQUIRE(w.arrive(0, 0) == arrival::accept);
    w.consume(4);
    CHECK(w.consumed() == 1);
    CHECK(w.take_ack(link_id)->next == 1);
}
