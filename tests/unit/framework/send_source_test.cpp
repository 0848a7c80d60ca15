#include "internal/send_source.hpp"

#include "netchan/chan.hpp"
#include "netchan/detail/port.hpp"

#include <catch2/catch.hpp>

#include <vector>

using netchan::chan;
using netchan::detail::typed_port;
using netchan::detail::value_batch;
using netchan::internal::send_source;

TEST_CASE("send source: room is what the credit leaves beyond the pending values",
          "[send_source]") {
    CHECK(send_source::room(0, 0) == 0);
    CHECK(send_source::room(5, 5) == 0);
    CHECK(send_source::room(3, 5) == 0);
    CHECK(send_source::room(8, 5) == 3);
    CHECK(send_source::room(1'000'000, 10) == send_source::max_batch);
}

TEST_CASE("send source: takes ready values without arming the watch", "[send_source]") {
    chan<int> ch(8);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(ch.try_send(i));
    }
    typed_port<int> p(ch);
    value_batch pending;
    std::vector<bool> arms;
    const auto t = send_source::take(p, pending, 3, 0, [&](bool on) { arms.push_back(on); });
    CHECK(t.count == 3);
    CHECK_FALSE(t.drained);
    CHECK(pending.size() == 3);
    CHECK(arms.empty());
}

TEST_CASE("send source: an empty channel arms the watch and stays armed", "[send_source]") {
    chan<int> ch(8);
    typed_port<int> p(ch);
    value_batch pending;
    std::vector<bool> arms;
    const auto t = send_source::take(p, pending, 4, 0, [&](bool on) { arms.push_back(on); });
    CHECK(t.count == 0);
    CHECK_FALSE(t.drained);
    CHECK(arms == std::vector<bool>{true});
}

TEST_CASE("send source: a value offered while arming is taken and the watch disarmed",
          "[send_source]") {
    chan<int> ch(8);
    typed_port<int> p(ch);
    value_batch pending;
    std::vector<bool> arms;
    const auto t = send_source::take(p, pending, 4, 0, [&](bool on) {
        arms.push_back(on);
        if (on) {
            REQUIRE(ch.try_send(7)); // a sender races the arming
        }
    });
    CHECK(t.count == 1);
    CHECK(pending.size() == 1);
    CHECK(arms == std::vector<bool>{true, false});
}

TEST_CASE("send source: a closed and empty channel is drained without arming", "[send_source]") {
    chan<int> ch(8);
    ch.close();
    typed_port<int> p(ch);
    value_batch pending;
    std::vector<bool> arms;
    const auto t = send_source::take(p, pending, 4, 0, [&](bool on) { arms.push_back(on); });
    CHECK(t.count == 0);
    CHECK(t.drained);
    CHECK(arms.empty());
}

TEST_CASE("send source: values put in before count and spare the watch", "[send_source]") {
    chan<int> ch(8);
    typed_port<int> p(ch);
    value_batch pending;
    std::vector<bool> arms;
    const auto t = send_source::take(p, pending, 4, 2, [&](bool on) { arms.push_back(on); });
    CHECK(t.count == 2);
    CHECK(arms.empty());
}
