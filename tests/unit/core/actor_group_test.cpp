#include "netchan/actor_group.hpp"

#include "netchan/chan.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <stop_token>

using netchan::actor_group;
using netchan::chan;

TEST_CASE("actor_group: joins every actor at scope exit", "[actor_group]") {
    std::atomic<int> finished{0};
    {
        actor_group group;
        for (int i = 0; i < 8; ++i) {
            group.spawn([&finished, i](int bonus) { finished += 1 + bonus - i; }, i);
        }
    }
    CHECK(finished == 8);
}

TEST_CASE("actor_group: actors talk through channels", "[actor_group]") {
    chan<int> nums(4);
    chan<int> sum(1);
    {
        actor_group group;
        group.spawn([nums]() mutable {
            for (int i = 1; i <= 100; ++i) {
                nums.send(i);
            }
            nums.close();
        });
        group.spawn([nums, sum]() mutable {
            int total = 0;
            for (int v : nums) {
                total += v;
            }
            sum.send(total);
        });
    }
    CHECK(sum.recv() == 5050);
}

TEST_CASE("actor_group: rethrows the first exception an actor threw at scope exit",
          "[actor_group]") {
    auto run = [] {
        actor_group group;
        group.spawn([] { throw std::runtime_error("boom"); });
        group.spawn([] {});
    };
    CHECK_THROWS_WITH(run(), "boom");
}

TEST_CASE("actor_group: wait rethrows once and the destructor then stays quiet", "[actor_group]") {
    actor_group group;
    group.spawn([] { throw std::logic_error("bad"); });
    CHECK_THROWS_AS(group.wait(), std::logic_error);
    CHECK_NOTHROW(group.wait());
}

TEST_CASE("actor_group: a failing actor requests stop and on_stop closes channels",
          "[actor_group]") {
    chan<int> work;
    std::atomic<bool> saw_stop{false};
    std::atomic<bool> saw_closed{false};
    auto run = [&] {
        actor_group group;
        group.on_stop([work]() mutable { work.close(); });
        group.spawn([&](std::stop_token st) {
            while (!st.stop_requested()) {
                std::this_thread::yield();
            }
            saw_stop = true;
        });
        group.spawn([&, work]() mutable {
            saw_closed = !work.recv().has_value(); // blocks until on_stop closes it
        });
        group.spawn([] { throw std::runtime_error("failed"); });
    };
    CHECK_THROWS_WITH(run(), "failed");
    CHECK(saw_stop);
    CHECK(saw_closed);
}

TEST_CASE("actor_group: an unwinding scope stops its actors instead of rethrowing",
          "[actor_group]") {
    chan<int> work;
    auto run = [&] {
        actor_group group;
        group.on_stop([work]() mutable { work.close(); });
        group.spawn([work]() mutable { (void)work.recv(); });
        throw std::runtime_error("scope failed");
    };
    CHECK_THROWS_WITH(run(), "scope failed");
}
