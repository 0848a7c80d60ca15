#include "netchan/select.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using netchan::chan;

TEST_CASE("select: receives from the channel that is ready", "[select]") {
    chan<int> a(1);
    chan<std::string> b(1);
    b.send("hello");
    std::optional<std::string> got;
    const auto ran = netchan::select(
        netchan::on_recv(a, [](std::optional<int>) { FAIL("a is empty"); }),
        netchan::on_recv(b, [&](std::optional<std::string> v) { got = std::move(v); }));
    CHECK(ran == 1);
    CHECK(got == "hello");
}

TEST_CASE("select: sends on the channel that has room", "[select]") {
    chan<int> full(1);
    full.send(0);
    chan<int> room(1);
    bool sent = false;
    const auto ran =
        netchan::select(netchan::on_send(full, 1), netchan::on_send(room, 2, [&] { sent = true; }));
    CHECK(ran == 1);
    CHECK(sent);
    CHECK(room.recv() == 2);
    CHECK(full.size() == 1);
}

TEST_CASE("select: default runs when no case is ready", "[select]") {
    chan<int> a;
    bool defaulted = false;
    const auto ran = netchan::select(netchan::on_recv(a, [](std::optional<int>) {}),
                                     netchan::otherwise([&] { defaulted = true; }));
    CHECK(ran == 1);
    CHECK(defaulted);
    CHECK_FALSE(a.try_send(1)); // the select left no receiver behind
}

TEST_CASE("select: timeout runs after its duration when no case is ready", "[select]") {
    chan<int> a;
    chan<int> b;
    bool timed_out = false;
    const auto start = std::chrono::steady_clock::now();
    const auto ran =
        netchan::select(netchan::on_recv(a, [](std::optional<int>) {}), netchan::on_send(b, 1),
                        netchan::after(30ms, [&] { timed_out = true; }));
    CHECK(std::chrono::steady_clock::now() - start >= 30ms);
    CHECK(ran == 2);
    CHECK(timed_out);
    CHECK_FALSE(a.try_send(1)); // withdrawn from both channels
    CHECK_FALSE(b.try_recv().has_value());
}

TEST_CASE("select: a blocked select wakes for a value on any of its channels", "[select]") {
    chan<int> a, b, c;
    std::jthread sender([c]() mutable { c.send(3); });
    int got = 0;
    const auto ran = netchan::select(netchan::on_recv(a, [&](std::optional<int> v) { got = *v; }),
                                     netchan::on_recv(b, [&](std::optional<int> v) { got = *v; }),
                                     netchan::on_recv(c, [&](std::optional<int> v) { got = *v; }));
    CHECK(ran == 2);
    CHECK(got == 3);
}

TEST_CASE("select: once fired, a select withdraws from its other channels", "[select]") {
    chan<int> a, b;
    std::jthread sender([a]() mutable { a.send(1); });
    netchan::select(netchan::on_recv(a, [](std::optional<int>) {}),
                    netchan::on_recv(b, [](std::optional<int>) {}));
    sender.join();
    // No stale receiver may remain on b: an unbuffered send there must find nobody.
    CHECK_FALSE(b.try_send(2));
}

TEST_CASE("select: a receive case on a closed channel yields an empty optional", "[select]") {
    chan<int> open_chan;
    chan<int> closed_chan;
    closed_chan.close();
    bool saw_closed = false;
    netchan::select(netchan::on_recv(open_chan, [](std::optional<int>) { FAIL("nothing sent"); }),
                    netchan::on_recv(closed_chan, [&](std::optional<int> v) { saw_closed = !v; }));
    CHECK(saw_closed);
}

TEST_CASE("select: a send case on a closed channel throws closed_error", "[select]") {
    chan<int> c(1);
    c.close();
    CHECK_THROWS_AS(netchan::select(netchan::on_send(c, 1)), netchan::closed_error);

    chan<int> unbuffered;
    std::jthread closer([unbuffered]() mutable { unbuffered.close(); });
    CHECK_THROWS_AS(netchan::select(netchan::on_send(unbuffered, 1)), netchan::closed_error);
}

TEST_CASE("select: picks fairly among ready cases", "[select]") {
    chan<int> a(1), b(1);
    int count_a = 0;
    int count_b = 0;
    constexpr int rounds = 20'000;
    for (int i = 0; i < rounds; ++i) {
        (void)a.try_send(0);
        (void)b.try_send(0);
        netchan::select(netchan::on_recv(a, [&](std::optional<int>) { ++count_a; }),
                        netchan::on_recv(b, [&](std::optional<int>) { ++count_b; }));
    }
    // Binomial(20000, 0.5): 4 standard deviations is +-283.
    CHECK(count_a + count_b == rounds);
    CHECK(std::abs(count_a - rounds / 2) < 300);
}

TEST_CASE("select: concurrent selects over shared channels lose and duplicate nothing",
          "[select]") {
    constexpr int per_producer = 20'000;
    chan<int> a, b(4);
    chan<int> done(2);
    std::vector<int> seen(2 * per_producer, 0);
    std::atomic<int> received{0};
    {
        std::vector<std::jthread> consumers;
        for (int k = 0; k < 2; ++k) {
            consumers.emplace_back([&] {
                std::vector<int> mine;
                bool a_open = true;
                bool b_open = true;
                while (a_open || b_open) {
                    netchan::select(netchan::on_recv(a,
                                                     [&](std::optional<int> v) {
                                                         v ? mine.push_back(*v)
                                                           : void(a_open = false);
                                                     }),
                                    netchan::on_recv(b, [&](std::optional<int> v) {
                                        v ? mine.push_back(*v) : void(b_open = false);
                                    }));
                }
                received += static_cast<int>(mine.size());
                for (int v : mine) {
                    done.send(v); // hand results back through a channel: no shared vector
                }
            });
        }
        std::vector<std::jthread> producers;
        for (int p = 0; p < 2; ++p) {
            producers.emplace_back([&, p] {
                for (int i = 0; i < per_producer; ++i) {
                    const int v = p * per_producer + i;
                    netchan::select(netchan::on_send(a, v), netchan::on_send(b, v));
                }
            });
        }
        std::jthread collector([&] {
            for (int i = 0; i < 2 * per_producer; ++i) {
                ++seen[static_cast<std::size_t>(*done.recv())];
            }
        });
        producers.clear();
        a.close();
        b.close();
    }
    CHECK(received == 2 * per_producer);
    CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
}
