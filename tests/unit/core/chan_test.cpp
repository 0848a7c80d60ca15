#include "netchan/chan.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <numeric>
#include <thread>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using netchan::chan;

static_assert(std::is_nothrow_move_constructible_v<chan<int>>);
static_assert(std::is_copy_constructible_v<chan<int>>);
static_assert(std::is_nothrow_move_constructible_v<chan<std::unique_ptr<int>>>);

TEST_CASE("chan: buffered send and recv keep FIFO order", "[chan]") {
    chan<int> c(8);
    for (int i = 0; i < 8; ++i) {
        c.send(i);
    }
    for (int i = 0; i < 8; ++i) {
        CHECK(c.recv() == i);
    }
}

TEST_CASE("chan: size and capacity report the buffer", "[chan]") {
    chan<int> c(3);
    CHECK(c.capacity() == 3);
    CHECK(c.size() == 0);
    c.send(1);
    c.send(2);
    CHECK(c.size() == 2);
    (void)c.recv();
    CHECK(c.size() == 1);
    CHECK(chan<int>().capacity() == 0);
}

TEST_CASE("chan: copies of a handle share one channel", "[chan]") {
    chan<int> a(1);
    chan<int> b = a;
    a.send(7);
    CHECK(b.recv() == 7);
    CHECK(a == b);
    CHECK_FALSE(a == chan<int>(1));
}

TEST_CASE("chan: try_send fails on a full buffer and try_recv on an empty one", "[chan]") {
    chan<int> c(1);
    CHECK_FALSE(c.try_recv().has_value());
    CHECK(c.try_send(1));
    CHECK_FALSE(c.try_send(2));
    CHECK(c.try_recv() == 1);
}

TEST_CASE("chan: unbuffered try_send fails with no receiver waiting", "[chan]") {
    chan<int> c;
    CHECK_FALSE(c.try_send(1));
    CHECK_FALSE(c.try_recv().has_value());
}

TEST_CASE("chan: unbuffered send blocks until a receiver takes the value", "[chan]") {
    chan<int> c;
    std::atomic<bool> sent{false};
    std::jthread sender([&] {
        c.send(42);
        sent = true;
    });
    // Negative check with a bound: nobody receives for 50 ms, so the send must still be pending.
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(sent.load());
    CHECK(c.recv() == 42);
    sender.join();
    CHECK(sent.load());
}

TEST_CASE("chan: unbuffered send_for times out without a receiver", "[chan]") {
    chan<int> c;
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(c.send_for(1, 30ms));
    CHECK(std::chrono::steady_clock::now() - start >= 30ms);
    CHECK_FALSE(c.try_recv().has_value()); // the timed-out value was withdrawn
}

TEST_CASE("chan: recv_for times out on an empty channel and returns a value that arrives",
          "[chan]") {
    chan<int> c(1);
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(c.recv_for(30ms).has_value());
    CHECK(std::chrono::steady_clock::now() - start >= 30ms);
    CHECK_FALSE(c.closed());

    std::jthread sender([&] { c.send(5); });
    CHECK(c.recv_for(10s) == 5);
}

TEST_CASE("chan: close lets receivers drain buffered values, then reports closed", "[chan]") {
    chan<int> c(4);
    c.send(1);
    c.send(2);
    c.close();
    c.close(); // idempotent
    CHECK(c.closed());
    CHECK(c.recv() == 1);
    CHECK(c.recv() == 2);
    CHECK_FALSE(c.recv().has_value());
    CHECK_FALSE(c.recv().has_value());
}

TEST_CASE("chan: send on a closed channel throws closed_error", "[chan]") {
    chan<int> c(4);
    c.close();
    CHECK_THROWS_AS(c.send(1), netchan::closed_error);
    CHECK_THROWS_AS(c.try_send(1), netchan::closed_error);
    CHECK_THROWS_AS(c.send_for(1, 10ms), netchan::closed_error);
}

TEST_CASE("chan: close wakes all blocked receivers", "[chan]") {
    chan<int> c;
    constexpr int n = 4;
    std::latch started(n);
    std::atomic<int> woke_closed{0};
    std::vector<std::jthread> receivers;
    for (int i = 0; i < n; ++i) {
        receivers.emplace_back([&] {
            started.count_down();
            if (!c.recv().has_value()) {
                ++woke_closed;
            }
        });
    }
    started.wait();
    c.close();
    receivers.clear(); // joins
    CHECK(woke_closed == n);
}

TEST_CASE("chan: close wakes all blocked senders with closed_error", "[chan]") {
    chan<int> c;
    constexpr int n = 4;
    std::latch started(n);
    std::atomic<int> threw{0};
    std::vector<std::jthread> senders;
    for (int i = 0; i < n; ++i) {
        senders.emplace_back([&, i] {
            started.count_down();
            try {
                c.send(i);
            } catch (const netchan::closed_error&) {
                ++threw;
            }
        });
    }
    started.wait();
    c.close();
    senders.clear();
    CHECK(threw == n);
}

TEST_CASE("chan: range-for reads until closed and drained", "[chan]") {
    chan<int> c(2);
    std::jthread producer([c]() mutable {
        for (int i = 0; i < 100; ++i) {
            c.send(i);
        }
        c.close();
    });
    int expected = 0;
    for (int v : c) {
        CHECK(v == expected++);
    }
    CHECK(expected == 100);
}

TEST_CASE("chan: carries move-only values", "[chan]") {
    for (std::size_t cap : {0u, 1u, 8u}) {
        chan<std::unique_ptr<int>> c(cap);
        std::jthread producer([c]() mutable {
            for (int i = 0; i < 50; ++i) {
                c.send(std::make_unique<int>(i));
            }
            c.close();
        });
        int expected = 0;
        while (auto p = c.recv()) {
            REQUIRE(*p);
            CHECK(**p == expected++);
        }
        CHECK(expected == 50);
    }
}

TEST_CASE("chan: destroying a channel destroys its buffered values", "[chan]") {
    auto tracked = std::make_shared<int>(0);
    {
        chan<std::shared_ptr<int>> c(4);
        c.send(tracked);
        c.send(tracked);
        CHECK(tracked.use_count() == 3);
    }
    CHECK(tracked.use_count() == 1);
}

TEST_CASE("chan: many producers and consumers receive every value exactly once", "[chan]") {
    constexpr int producers = 4;
    constexpr int consumers = 4;
    constexpr int per_producer = 100'000;
    auto cap = GENERATE(as<std::size_t>{}, 0, 1, 64);
    chan<int> c(cap);
    std::vector<std::vector<int>> got(consumers);
    {
        std::vector<std::jthread> threads;
        for (int k = 0; k < consumers; ++k) {
            threads.emplace_back([c, &mine = got[static_cast<std::size_t>(k)]]() mutable {
                for (int v : c) {
                    mine.push_back(v);
                }
            });
        }
        std::vector<std::jthread> senders;
        for (int p = 0; p < producers; ++p) {
            senders.emplace_back([c, p]() mutable {
                for (int i = 0; i < per_producer; ++i) {
                    c.send(p * per_producer + i);
                }
            });
        }
        senders.clear();
        c.close();
    }
    std::vector<int> seen(producers * per_producer, 0);
    for (const auto& mine : got) {
        // Per producer, each consumer sees values in send order.
        std::vector<int> last(producers, -1);
        for (int v : mine) {
            ++seen[static_cast<std::size_t>(v)];
            auto& l = last[static_cast<std::size_t>(v / per_producer)];
            REQUIRE(v > l);
            l = v;
        }
    }
    CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
}
