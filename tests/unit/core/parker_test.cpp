#include "netchan/detail/parker.hpp"

#include <catch2/catch.hpp>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <thread>

using namespace std::chrono_literals;
using netchan::detail::parker;

namespace {

// An eventfd that a test makes readable.
struct test_fd {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ~test_fd() { ::close(fd); }
    void signal() const {
        const std::uint64_t one = 1;
        REQUIRE(::write(fd, &one, sizeof one) == sizeof one);
    }
};

} // namespace

TEST_CASE("parker: a thread waiting on a descriptor is woken by an unpark", "[parker]") {
    test_fd fd;
    parker& self = parker::current();
    REQUIRE(self.pollable());
    self.prepare();
    std::jthread waker([&self] {
        std::this_thread::sleep_for(20ms);
        self.unpark();
    });
    const int fds[] = {fd.fd};
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + 5s;
    CHECK(self.park_or_poll(fds, &deadline) == parker::woke::unparked);
    CHECK(self.unparked());
    CHECK(std::chrono::steady_clock::now() - start < 2s); // woken, not timed out
}

TEST_CASE("parker: a readable descriptor ends the wait and leaves the slot empty", "[parker]") {
    test_fd fd;
    parker& self = parker::current();
    REQUIRE(self.pollable());
    self.prepare();
    std::jthread signaller([&fd] {
        std::this_thread::sleep_for(20ms);
        fd.signal();
    });
    const int fds[] = {fd.fd};
    CHECK(self.park_or_poll(fds, nullptr) == parker::woke::fd_ready);
    CHECK_FALSE(self.unparked());
    // The slot still takes the unpark it was prepared for.
    self.unpark();
    self.park();
    CHECK(self.unparked());
}

TEST_CASE("parker: a wait on a descriptor ends at its deadline", "[parker]") {
    test_fd fd;
    parker& self = parker::current();
    REQUIRE(self.pollable());
    self.prepare();
    const int fds[] = {fd.fd};
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + 30ms;
    CHECK(self.park_or_poll(fds, &deadline) == parker::woke::timed_out);
    CHECK(std::chrono::steady_clock::now() >= deadline);
    CHECK_FALSE(self.unparked());
}

TEST_CASE("parker: unparks racing with waits on a descriptor are never lost", "[parker]") {
    // Each round, another thread unparks while the owner waits (or is about to): the owner
    // must always see it, and a stale wake-up must not end a later round early.
    test_fd fd;
    parker& self = parker::current();
    REQUIRE(self.pollable());
    const int fds[] = {fd.fd};
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < 2000; ++round) {
        self.prepare();
        auto unparked = std::async(std::launch::async, [&self] { self.unpark(); });
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        REQUIRE(self.park_or_poll(fds, &deadline) == parker::woke::unparked);
        unparked.wait();
    }
    CHECK(std::chrono::steady_clock::now() - start < 30s); // no round waited for its deadline
    self.prepare();
    const auto soon = std::chrono::steady_clock::now() + 5ms;
    CHECK(self.park_or_poll(fds, &soon) == parker::woke::timed_out);
}
