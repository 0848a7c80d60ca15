#include "netchan/internal/liveness.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using netchan::internal::liveness;

TEST_CASE("liveness: heartbeats are due once per interval", "[liveness]") {
    liveness l(100ms, 1s);
    const auto t0 = liveness::clock::now();
    CHECK(l.beat_due(t0));
    CHECK_FALSE(l.beat_due(t0 + 50ms));
    CHECK(l.beat_due(t0 + 100ms));
    CHECK_FALSE(l.beat_due(t0 + 150ms));
    l.beat_soon();
    CHECK(l.beat_due(t0 + 160ms));
    CHECK(l.min_resend_gap() == 50ms);
    CHECK(l.heartbeat_interval() == 100ms);
}

TEST_CASE("liveness: a peer silent past the timeout is lost once", "[liveness]") {
    liveness l(100ms, 1s);
    const auto t0 = liveness::clock::now();
    l.heard("a", t0);
    l.heard("b", t0 + 500ms);
    CHECK(l.lost(t0 + 1s).empty()); // exactly the timeout: not yet
    CHECK(l.lost(t0 + 1200ms) == std::vector<std::string>{"a"});
    CHECK(l.lost(t0 + 1300ms).empty()); // reported once
    CHECK(l.lost(t0 + 2s) == std::vector<std::string>{"b"});
    l.heard("a", t0 + 3s); // heard again: watched again
    CHECK(l.lost(t0 + 3500ms).empty());
    CHECK(l.lost(t0 + 5s) == std::vector<std::string>{"a"});
}

TEST_CASE("liveness: every frame keeps a peer alive", "[liveness]") {
    liveness l(100ms, 1s);
    const auto t0 = liveness::clock::now();
    for (int i = 0; i < 10; ++i) {
        l.heard("a", t0 + i * 900ms);
        CHECK(l.lost(t0 + i * 900ms + 950ms).empty());
    }
}
