#include "netchan/internal/send_window.hpp"

#include "netchan/codec.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using netchan::internal::send_window;
namespace wire = netchan::wire;

namespace {

constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t link_id = 7;

wire::value_batch values(std::int64_t first, std::int64_t n) {
    wire::value_batch b;
    for (std::int64_t v = first; v < first + n; ++v) {
        b.add(v);
    }
    return b;
}

// The first sequence number and the values of a DATA frame.
std::pair<std::uint64_t, std::vector<std::int64_t>> data_of(const std::vector<std::byte>& frame) {
    auto m = std::get<wire::data>(wire::parse(frame, 1 << 20));
    CHECK(m.link == link_id);
    std::vector<std::int64_t> vs;
    for (auto v : m.values) {
        vs.push_back(netchan::decode<std::int64_t>(v));
    }
    return {m.first_seq, vs};
}

// Sends `n` values (numbered from `first`) in one DATA frame.
std::vector<std::byte> send_n(send_window& w, std::int64_t first, std::size_t n) {
    auto b = values(first, static_cast<std::int64_t>(n));
    return w.send(link_id, b, n);
}

} // namespace

static_assert(std::is_move_constructible_v<send_window>);

TEST_CASE("send window: a new link has the import's credit free", "[send_window]") {
    send_window w(4);
    CHECK(w.window() == 4);
    CHECK(w.free_credit() == 4);
    CHECK(w.all_acknowledged());
    CHECK(w.in_flight() == 0);
}

TEST_CASE("send window: a credit of 0 lets one value be in flight", "[send_window]") {
    send_window w(0);
    CHECK(w.window() == 1);
    CHECK(w.free_credit() == 1);
    (void)send_n(w, 0, 1);
    CHECK(w.free_credit() == 0);
    CHECK(w.on_ack({link_id, 1, 0}) == 1);
    CHECK(w.window() == 1);
    CHECK(w.free_credit() == 1);
}

TEST_CASE("send window: sending numbers values consecutively and uses credit", "[send_window]") {
    send_window w(8);
    auto pending = values(0, 5);
    auto [first, vs] = data_of(w.send(link_id, pending, 3));
    CHECK(first == 0);
    CHECK(vs == std::vector<std::int64_t>{0, 1, 2});
    CHECK(pending.size() == 2); // the rest stays pending
    auto [first2, vs2] = data_of(w.send(link_id, pending, 2));
    CHECK(first2 == 3);
    CHECK(vs2 == std::vector<std::int64_t>{3, 4});
    CHECK(pending.empty());
    CHECK(w.next_seq() == 5);
    CHECK(w.in_flight() == 5);
    CHECK(w.free_credit() == 3);
}

TEST_CASE("send window: an ACK frees credit and takes the receiver's window", "[send_window]") {
    send_window w(4);
    (void)send_n(w, 0, 4);
    CHECK(w.free_credit() == 0);
    CHECK(w.on_ack({link_id, 2, 4}) == 2);
    CHECK(w.free_credit() == 2);
    CHECK(w.on_ack({link_id, 2, 10}) == 0); // a bigger window, nothing new acknowledged
    CHECK(w.free_credit() == 8);
    CHECK(w.on_ack({link_id, 3, 1}) == 1); // a smaller window
    CHECK(w.free_credit() == 0);
}

TEST_CASE("send window: an ACK beyond what was sent acknowledges only what was sent",
          "[send_window]") {
    send_window w(4);
    (void)send_n(w, 0, 3);
    CHECK(w.on_ack({link_id, 100, 4}) == 3);
    CHECK(w.acked() == 3);
    CHECK(w.all_acknowledged());
    CHECK(w.on_ack({link_id, max64, 4}) == 0);
    CHECK(w.acked() == 3);
}

TEST_CASE("send window: an ACK going backwards changes nothing but the window", "[send_window]") {
    send_window w(4);
    (void)send_n(w, 0, 4);
    CHECK(w.on_ack({link_id, 3, 4}) == 3);
    CHECK(w.on_ack({link_id, 1, 4}) == 0);
    CHECK(w.acked() == 3);
    CHECK(w.free_credit() == 3);
    auto again = w.take_unacknowledged();
    CHECK(again.size() == 1); // value 3 only
}

TEST_CASE("send window: a credit of 2^64-1 never overflows", "[send_window]") {
    SECTION("in the IMPORT") {
        send_window w(max64);
        CHECK(w.free_credit() == max64);
        (void)send_n(w, 0, 10);
        CHECK(w.free_credit() == max64 - 10);
        CHECK(w.on_ack({link_id, 4, max64}) == 4);
        CHECK(w.free_credit() == max64 - 10); // acked + window saturates at 2^64-1
    }
    SECTION("in an ACK") {
        send_window w(2);
        (void)send_n(w, 0, 2);
        CHECK(w.on_ack({link_id, 2, max64}) == 2);
        CHECK(w.window() == max64);
        CHECK(w.free_credit() == max64 - 2);
    }
    SECTION("with a limit") {
        send_window w(max64, 5);
        CHECK(w.free_credit() == 5);
    }
}

TEST_CASE("send window: the limit bounds the credit and says when to close", "[send_window]") {
    send_window w(10, 3);
    CHECK(w.free_credit() == 3);
    (void)send_n(w, 0, 3);
    CHECK(w.limit_reached());
    CHECK(w.free_credit() == 0);
    CHECK(w.on_ack({link_id, 3, 10}) == 3);
    CHECK(w.free_credit() == 0);
}

TEST_CASE("send window: close is repeated with the same end", "[send_window]") {
    send_window w(4);
    CHECK_FALSE(w.repeat_close(link_id));
    (void)send_n(w, 0, 2);
    const auto c = w.close(link_id);
    CHECK(c.link == link_id);
    CHECK(c.end == 2);
    CHECK(w.close_sent());
    const auto again = w.repeat_close(link_id);
    REQUIRE(again);
    CHECK(again->end == 2);
}

TEST_CASE("send window: what was not acknowledged is given back in order", "[send_window]") {
    send_window w(10);
    (void)send_n(w, 0, 3);
    (void)send_n(w, 3, 4);
    CHECK(w.on_ack({link_id, 2, 10}) == 2);
    auto again = w.take_unacknowledged();
    REQUIRE(again.size() == 5);
    auto [first, vs] = data_of(wire::encode_data(link_id, 0, again, 0, again.size()));
    CHECK(vs == std::vector<std::int64_t>{2, 3, 4, 5, 6});
    CHECK(w.take_unacknowledged().empty());
}

TEST_CASE("send window: acknowledged values are released", "[send_window]") {
    send_window w(10);
    (void)send_n(w, 0, 3);
    (void)send_n(w, 3, 3);
    CHECK(w.on_ack({link_id, 6, 10}) == 6);
    CHECK(w.take_unacknowledged().empty());
}

TEST_CASE("send window: a heartbeat makes values lost before the previous one go again",
          "[send_window]") {
    const auto t0 = send_window::clock::now();
    const auto gap = 500ms;
    send_window w(10);
    std::vector<std::vector<std::byte>> out;
    auto collect = [&](std::vector<std::byte> f) { out.push_back(std::move(f)); };
    (void)send_n(w, 0, 3);
    (void)send_n(w, 3, 3);
    // The first heartbeat only notes what was sent by then.
    CHECK(w.resend_lost(link_id, 0, t0, gap, collect) == 0);
    CHECK(out.empty());

    SECTION("the receiver has 4: values 4 and 5 go again") {
        CHECK(w.resend_lost(link_id, 4, t0 + 1s, gap, collect) == 2);
        REQUIRE(out.size() == 1);
        auto [first, vs] = data_of(out[0]);
        CHECK(first == 4);
        CHECK(vs == std::vector<std::int64_t>{4, 5});
    }
    SECTION("values sent after the previous heartbeat may still be on the way") {
        (void)send_n(w, 6, 2);
        CHECK(w.resend_lost(link_id, 6, t0 + 1s, gap, collect) == 0);
        CHECK(w.resend_lost(link_id, 6, t0 + 2s, gap, collect) == 2);
    }
    SECTION("a heartbeat closer than the min gap is not used") {
        CHECK(w.resend_lost(link_id, 1, t0 + 100ms, gap, collect) == 0);
        CHECK(out.empty());
        CHECK(w.resend_lost(link_id, 1, t0 + 1s, gap, collect) == 5);
    }
    SECTION("a heartbeat claiming more than was sent changes nothing") {
        CHECK(w.resend_lost(link_id, 100, t0 + 1s, gap, collect) == 0);
        CHECK(w.resend_lost(link_id, max64, t0 + 2s, gap, collect) == 0);
        CHECK(out.empty());
    }
    SECTION("a heartbeat claiming less than was acknowledged changes nothing") {
        CHECK(w.on_ack({link_id, 3, 10}) == 3);
        CHECK(w.resend_lost(link_id, 1, t0 + 1s, gap, collect) == 0);
        CHECK(out.empty());
        CHECK(w.resend_lost(link_id, 3, t0 + 2s, gap, collect) == 3);
    }
}
