#include "netchan/internal/io_loop.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using netchan::internal::io_loop;

namespace {

// Counts the messages the loop receives.
struct counting_handler final : io_loop::handler {
    std::atomic<int> received{0};
    std::atomic<int> failures{0};
    std::string failure; // the latest; written by the loop lock's holder
    void on_message(std::vector<zmq::message_t>&) override { received.fetch_add(1); }
    void on_tick() override {}
    void on_failure(const std::string& what) noexcept override {
        failure = what;
        failures.fetch_add(1);
    }
};

// Waits (bounded) until the loop has gone idle: a dispatch then runs on the dispatching thread.
bool wait_idle(const io_loop& loop) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!loop.idle()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::yield();
    }
    return true;
}

// A loop on a DEALER connected over inproc to a peer DEALER, its messages going to an H.
// Ticks are far apart, so that a tick cannot hide a lost wake-up.
std::atomic<int> next_endpoint{0};

template <class H>
struct loop_setup {
    std::string endpoint = "inproc://io-loop-test-" + std::to_string(next_endpoint.fetch_add(1));
    zmq::socket_t peer =
        netchan::make_socket(netchan::internal::context(), zmq::socket_type::dealer, 0ms);
    H handler;
    io_loop loop;

    loop_setup() { netchan::bind(peer, endpoint); }

    void start() {
        auto own =
            netchan::make_socket(netchan::internal::context(), zmq::socket_type::dealer, 0ms);
        netchan::connect(own, endpoint);
        loop.start(std::move(own), handler, 10s, "test-loop");
    }

    bool wait_received(int n, std::chrono::milliseconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (handler.received.load() < n && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
        return handler.received.load() == n;
    }
};

// The peer sends back what it gets.
struct echo_setup : loop_setup<counting_handler> {
    std::atomic<bool> stop_echo{false};
    std::jthread echo;

    echo_setup() {
        peer.set(zmq::sockopt::rcvtimeo, 10);
        echo = std::jthread([this] {
            zmq::message_t m;
            while (!stop_echo.load()) {
                if (peer.recv(m, zmq::recv_flags::none)) {
                    (void)peer.send(m, zmq::send_flags::none);
                }
            }
        });
        start();
    }

    ~echo_setup() {
        loop.stop();
        stop_echo = true;
    }

    // Sends one message through the loop's socket; must run under the loop lock.
    void send_one() {
        static const std::byte payload[4] = {};
        const std::span<const std::byte> part(payload);
        loop.send(std::span(&part, 1));
    }
};

} // namespace

TEST_CASE("io loop: work dispatched to an idle loop runs at once on the dispatching thread",
          "[io_loop]") {
    echo_setup s;
    // A round trip first: the connection is up, and its setup no longer wakes the loop.
    s.loop.dispatch([&] { s.send_one(); });
    REQUIRE(s.wait_received(1, 5s));
    // The loop thread may still wake for ZeroMQ's own commands between idle() and dispatch():
    // then the work goes to it. It must run here on most tries, and always once in a few.
    bool ran_here = false;
    for (int attempt = 0; attempt < 5 && !ran_here; ++attempt) {
        REQUIRE(wait_idle(s.loop));
        std::thread::id ran_on;
        std::atomic<bool> ran{false};
        s.loop.dispatch([&] {
            ran_on = std::this_thread::get_id();
            ran = true;
        });
        ran_here = ran.load() && ran_on == std::this_thread::get_id(); // ran before it returned
        s.loop.call([] {}); // after work queued to the loop thread: it no longer needs ran_on
    }
    CHECK(ran_here);
}

TEST_CASE("io loop: replies to messages sent by dispatching threads are all received",
          "[io_loop]") {
    // Sends from dispatching threads take in the socket's pending commands, among them the news of
    // replies: the loop must still receive every reply, with no tick to rescue it.
    echo_setup s;
    constexpr int threads = 3;
    constexpr int per_thread = 100;
    {
        std::vector<std::jthread> senders;
        for (int t = 0; t < threads; ++t) {
            senders.emplace_back([&s] {
                for (int i = 0; i < per_thread; ++i) {
                    s.loop.dispatch([&s] {
                        s.send_one();
                        std::this_thread::sleep_for(2ms);
                        s.send_one();
                    });
                    std::this_thread::sleep_for(std::chrono::microseconds(100 * (i % 3)));
                }
            });
        }
    }
    CHECK(s.wait_received(2 * threads * per_thread, 5s));
}

TEST_CASE("io loop: work that throws does not drop the work posted after it", "[io_loop]") {
    echo_setup s;
    std::promise<void> release;
    std::atomic<bool> holding{false};
    // Another thread holds the loop lock, so that the next dispatches queue up in one batch.
    std::jthread holder([&] {
        std::this_thread::sleep_for(20ms);
        s.loop.dispatch([&] {
            holding = true;
            release.get_future().wait();
        });
    });
    while (!holding.load()) {
        std::this_thread::sleep_for(1ms);
    }
    s.loop.dispatch([] { throw std::runtime_error("a handler bug"); });
    std::atomic<bool> ran{false};
    s.loop.dispatch([&] { ran = true; });
    release.set_value();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!ran.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    CHECK(ran.load());
    // Not silent: counted, and told to the handler with the exception's message.
    CHECK(s.loop.failures() == 1);
    s.loop.call([&] { CHECK(s.handler.failure.find("a handler bug") != std::string::npos); });
}

TEST_CASE("io loop: wait_until returns once the loop's work makes the condition true",
          "[io_loop]") {
    echo_setup s; // ticks are 10 s apart: only the work itself can end the wait
    int done = 0; // by the loop lock's holder
    std::jthread worker([&] {
        std::this_thread::sleep_for(20ms);
        s.loop.dispatch([&] { done = 1; });
    });
    const auto start = std::chrono::steady_clock::now();
    CHECK(s.loop.wait_until([&] { return done == 1; }, 5s));
    CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("io loop: wait_until gives up at its timeout", "[io_loop]") {
    echo_setup s;
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(s.loop.wait_until([] { return false; }, 50ms));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 50ms);
    CHECK(took < 2s);
}

namespace {

// Records the thread of the last message and unparks the thread waiting for it, if any.
struct waking_handler final : io_loop::handler {
    std::atomic<int> received{0};
    std::atomic<std::thread::id> last_on{};
    std::atomic<netchan::detail::parker*> waiting{nullptr};
    int wake_at = 1;                          // the message that unparks `waiting`
    std::chrono::microseconds busy{0};        // the time each message takes
    std::chrono::milliseconds before_wake{0}; // and the one that unparks, before it does
    void on_message(std::vector<zmq::message_t>&) override {
        last_on = std::this_thread::get_id();
        const int n = received.fetch_add(1) + 1;
        spin_for(busy);
        if (n == wake_at) {
            std::this_thread::sleep_for(before_wake);
            if (auto* p = waiting.exchange(nullptr)) {
                p->unpark();
            }
        }
    }
    void on_tick() override {}
    void on_failure(const std::string&) noexcept override {}

    static void spin_for(std::chrono::microseconds d) {
        const auto until = std::chrono::steady_clock::now() + d;
        while (std::chrono::steady_clock::now() < until) {
        }
    }
};

// The peer sends when told.
struct leader_setup : loop_setup<waking_handler> {
    leader_setup() {
        start();
        // One message first: the connection is up, and its setup no longer wakes the loop
        // thread; then the loop is idle, waiting on its socket, and counts start again.
        peer_sends();
        REQUIRE(wait_received(1, 5s));
        REQUIRE(wait_idle(loop));
        handler.received = 0;
    }

    void peer_sends() { (void)peer.send(zmq::str_buffer("x"), zmq::send_flags::none); }
};

} // namespace

using netchan::detail::value_source;

TEST_CASE("io loop: a thread waiting on the socket receives its message itself", "[io_loop]") {
    leader_setup s;
    auto& self = netchan::detail::parker::current();
    self.prepare();
    s.handler.waiting = &self;
    s.handler.before_wake = 50ms; // meanwhile the loop thread leaves the socket to the waiter
    auto* source = s.loop.enter();
    REQUIRE(source != nullptr);
    std::jthread sender([&s] {
        std::this_thread::sleep_for(20ms);
        s.peer_sends();
    });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    CHECK(source->wait(self, &deadline) == value_source::waited::unparked);
    CHECK(s.handler.last_on.load() == std::this_thread::get_id());
    sender.join();

    // Once it left, the loop thread watches the socket again (woken by its leaving: the
    // tick is 10 s away).
    s.peer_sends();
    CHECK(s.wait_received(2, 5s));
    CHECK(s.handler.last_on.load() != std::this_thread::get_id());
}

TEST_CASE("io loop: a waiter woken amid a burst leaves the rest to the loop thread", "[io_loop]") {
    // Its value comes with the first message of a burst longer than a batch: it leaves with
    // messages queued, whose news on ZMQ_FD it has taken in. The loop thread must get them.
    constexpr int burst = 3000;
    for (int round = 0; round < 20; ++round) {
        leader_setup s;
        auto& self = netchan::detail::parker::current();
        self.prepare();
        s.handler.waiting = &self;
        s.handler.busy = 1us;
        auto* source = s.loop.enter();
        REQUIRE(source != nullptr);
        std::jthread sender([&s] {
            std::this_thread::sleep_for(5ms);
            for (int i = 0; i < burst; ++i) {
                s.peer_sends();
            }
        });
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        REQUIRE(source->wait(self, &deadline) == value_source::waited::unparked);
        sender.join();
        INFO("round " << round);
        REQUIRE(s.wait_received(burst, 2s));
    }
}

TEST_CASE("io loop: a thread waiting on the socket stops at its deadline", "[io_loop]") {
    leader_setup s;
    auto& self = netchan::detail::parker::current();
    self.prepare();
    auto* source = s.loop.enter();
    REQUIRE(source != nullptr);
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + 30ms;
    CHECK(source->wait(self, &deadline) == value_source::waited::timed_out);
    CHECK(std::chrono::steady_clock::now() >= deadline);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    s.peer_sends(); // and the loop thread takes over
    CHECK(s.wait_received(1, 5s));
}

TEST_CASE("io loop: a thread waiting on a flooded socket still stops at its deadline",
          "[io_loop]") {
    // Messages for others keep coming, faster than it handles them.
    leader_setup s;
    s.handler.busy = 8us;
    auto& self = netchan::detail::parker::current();
    self.prepare();
    auto* source = s.loop.enter();
    REQUIRE(source != nullptr);
    std::atomic<bool> stop{false};
    std::jthread flood([&] {
        const auto end = std::chrono::steady_clock::now() + 3s;
        while (!stop.load() && std::chrono::steady_clock::now() < end) {
            s.peer_sends();
        }
    });
    std::this_thread::sleep_for(5ms);
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + 30ms;
    CHECK(source->wait(self, &deadline) == value_source::waited::timed_out);
    const auto took = std::chrono::steady_clock::now() - start;
    stop = true;
    CHECK(took < 1s);
}

TEST_CASE("io loop: stopping the loop ends the waits on its socket", "[io_loop]") {
    leader_setup s;
    std::atomic<bool> waiting{false};
    auto waiter = std::async(std::launch::async, [&] {
        auto& self = netchan::detail::parker::current();
        self.prepare();
        auto* source = s.loop.enter();
        waiting = true;
        return source == nullptr ? value_source::waited::gave_up : source->wait(self, nullptr);
    });
    while (!waiting.load()) {
        std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(20ms);
    s.loop.stop();
    REQUIRE(waiter.wait_for(5s) == std::future_status::ready);
    CHECK(waiter.get() == value_source::waited::gave_up);
    CHECK(s.loop.enter() == nullptr);
}
