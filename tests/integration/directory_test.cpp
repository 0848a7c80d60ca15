#include "netchan/directory_client.hpp"
#include "netchan/directory_registrar.hpp"
#include "netchan/directory_server.hpp"
#include "netchan/zmq_socket.hpp"

#include "directory_fixture.hpp"
#include "internal/directory_protocol.hpp"
#include "net_fixture.hpp"
#include <catch2/catch.hpp>
#include <msgpack.hpp>
#include <unistd.h>
#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using netchan::directory_client;
using netchan::directory_entry;
using netchan::directory_event;
using netchan::directory_registrar;
using netchan::directory_server;
using netchan::test::eventually;

static_assert(!std::is_copy_constructible_v<directory_server>);
static_assert(!std::is_copy_constructible_v<directory_registrar>);
static_assert(!std::is_copy_constructible_v<netchan::directory_watch>);
static_assert(std::is_nothrow_move_constructible_v<netchan::directory_watch>);
static_assert(std::is_base_of_v<netchan::error, netchan::directory_error>);

namespace {

directory_entry entry(const std::string& name, const std::string& endpoint) {
    directory_entry e;
    e.name = name;
    e.type = "int64";
    e.direction = netchan::dir::send;
    e.endpoints = {endpoint};
    return e;
}

netchan::directory_server_options short_leases() {
    netchan::directory_server_options o;
    o.max_lease = 300ms;
    o.watch_lease = 600ms;
    return o;
}

netchan::directory_client_options quick() {
    netchan::directory_client_options o;
    o.timeout = 1000ms;
    return o;
}

// A raw DEALER on its own context, to send what a well-behaved client never would.
class raw_peer {
public:
    explicit raw_peer(const std::string& endpoint)
        : socket_(netchan::make_socket(ctx_, zmq::socket_type::dealer, 0ms)) {
        socket_.set(zmq::sockopt::rcvtimeo, 2000);
        netchan::connect(socket_, endpoint);
    }
    void send(const void* data, std::size_t size, bool more = false) {
        (void)socket_.send(zmq::const_buffer(data, size),
                           more ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    void send(const msgpack::sbuffer& b) { send(b.data(), b.size()); }
    // Receives one reply and returns [kind, req_id, code] of it (code 0 unless an error).
    std::vector<std::uint64_t> reply() {
        zmq::message_t m;
        if (!socket_.recv(m)) {
            return {};
        }
        const auto oh = msgpack::unpack(static_cast<const char*>(m.data()), m.size());
        const auto a = oh.get().as<std::vector<msgpack::object>>();
        std::vector<std::uint64_t> out{a.at(1).as<std::uint64_t>(), a.at(2).as<std::uint64_t>()};
        out.push_back(out[0] == 69 ? a.at(3).as<std::uint64_t>() : 0);
        return out;
    }

private:
    zmq::context_t ctx_;
    zmq::socket_t socket_;
};

msgpack::sbuffer request(std::uint64_t version, std::uint64_t kind, std::uint64_t req_id) {
    msgpack::sbuffer b;
    msgpack::packer pk(b);
    pk.pack_array(3);
    pk.pack(version);
    pk.pack(kind);
    pk.pack(req_id);
    return b;
}

} // namespace

TEST_CASE("directory: a registered entry is listed and resolved with its fields", "[directory]") {
    directory_server dir("tcp://127.0.0.1:*");
    directory_registrar reg({dir.endpoint()}, 2s, [](const std::string& name) {
        return std::map<std::string, std::uint64_t>{{"sent", name.size()}, {"importers", 3}};
    });
    auto e = entry("jobs", "tcp://10.0.0.1:5000");
    e.type = "Point{x:float64,y:float64}";
    e.direction = netchan::dir::recv;
    reg.add(e);
    REQUIRE(reg.sync(2s));

    directory_client client({dir.endpoint()}, quick());
    const auto all = client.list();
    REQUIRE(all.size() == 1);
    const auto& got = all[0];
    CHECK(got.name == "jobs");
    CHECK(got.type == "Point{x:float64,y:float64}");
    CHECK(got.direction == netchan::dir::recv);
    CHECK(got.endpoints == std::vector<std::string>{"tcp://10.0.0.1:5000"});
    CHECK(got.pid == ::getpid());
    CHECK_FALSE(got.host.empty());
    CHECK(got.start.time_since_epoch().count() > 0);
    CHECK(got.lease == 2s);
    CHECK(got.lease_left > 0ms);
    CHECK(got.lease_left <= 2s);
    CHECK(got.counters.at("sent") == 4);
    CHECK(got.counters.at("importers") == 3);

    CHECK(client.resolve("jobs").size() == 1);
    CHECK(client.resolve("nothing").empty());
}

TEST_CASE("directory: two exporters of one name are both resolved", "[directory]") {
    directory_server dir("tcp://127.0.0.1:*");
    directory_registrar a({dir.endpoint()});
    directory_registrar b({dir.endpoint()});
    a.add(entry("work", "tcp://10.0.0.1:1"));
    b.add(entry("work", "tcp://10.0.0.2:1"));
    a.add(entry("other", "tcp://10.0.0.1:1"));
    REQUIRE(a.sync(2s));
    REQUIRE(b.sync(2s));
    directory_client client({dir.endpoint()}, quick());
    const auto work = client.resolve("work");
    REQUIRE(work.size() == 2);
    CHECK(work[0].endpoints[0] == "tcp://10.0.0.1:1");
    CHECK(work[1].endpoints[0] == "tcp://10.0.0.2:1");
    CHECK(client.list().size() == 3);
}

TEST_CASE("directory: remove and destruction of a registrar unregister at once", "[directory]") {
    directory_server dir("tcp://127.0.0.1:*");
    directory_client client({dir.endpoint()}, quick());
    {
        directory_registrar reg({dir.endpoint()}, 5s);
        reg.add(entry("a", "tcp://h:1"));
        reg.add(entry("b", "tcp://h:1"));
        REQUIRE(reg.sync(2s));
        CHECK(client.list().size() == 2);
        reg.remove("a");
        REQUIRE(reg.sync(2s));
        CHECK(client.resolve("a").empty());
        CHECK(client.resolve("b").size() == 1);
    }
    // The lease is 5 s: gone at once means the destructor unregistered it.
    CHECK(client.list().empty());
}

TEST_CASE("directory: an entry that is not renewed vanishes when its lease runs out",
          "[directory]") {
    directory_server dir("tcp://127.0.0.1:*", short_leases());
    directory_client client({dir.endpoint()}, quick());
    raw_peer raw(dir.endpoint());
    auto e = entry("once", "tcp://h:1");
    e.lease = 200ms;
    const auto bytes = netchan::internal::dirproto::encode_register(1, std::span(&e, 1));
    raw.send(bytes.data(), bytes.size());
    REQUIRE(raw.reply().at(0) == 65); // registered
    const auto registered = std::chrono::steady_clock::now();
    CHECK(client.resolve("once").size() == 1);
    REQUIRE(eventually([&] { return client.resolve("once").empty(); }, 2s));
    CHECK(std::chrono::steady_clock::now() - registered >= 150ms);
}

TEST_CASE("directory: renewals keep an entry alive and refresh its counters", "[directory]") {
    directory_server dir("tcp://127.0.0.1:*", short_leases());
    std::atomic<std::uint64_t> sent{0};
    directory_registrar reg({dir.endpoint()}, 300ms, [&](const std::string&) {
        return std::map<std::string, std::uint64_t>{{"sent", sent.load()}};
    });
    reg.add(entry("live", "tcp://h:1"));
    REQUIRE(reg.sync(2s));
    directory_client client({dir.endpoint()}, quick());
    sent = 99;
    // Three leases later it is still there, with the new counter value.
    REQUIRE(eventually(
        [&] {
            const auto r = client.resolve("live");
            return r.size() == 1 && r[0].counters.at("sent") == 99;
        },
        2s));
    std::this_thread::sleep_for(900ms);
    CHECK(client.resolve("live").size() == 1);
}

TEST_CASE("directory: a restarted directory is refilled by renewals", "[directory]") {
    const auto endpoint = netchan::test::fresh_ipc_endpoint("dir");
    auto dir = std::make_unique<directory_server>(endpoint, short_leases());
    directory_registrar reg({endpoint}, 300ms);
    reg.add(entry("a", "tcp://h:1"));
    reg.add(entry("b", "tcp://h:2"));
    REQUIRE(reg.sync(2s));
    dir.reset();
    dir = std::make_unique<directory_server>(endpoint, short_leases());
    CHECK(dir->size() == 0);
    directory_client client({endpoint}, quick());
    CHECK(eventually([&] { return client.list().size() == 2; }, 3s));
}

TEST_CASE("directory: a registrar registers with every directory", "[directory]") {
    directory_server one("tcp://127.0.0.1:*");
    directory_server two("tcp://127.0.0.1:*");
    directory_registrar reg({one.endpoint(), two.endpoint()}, 1s);
    reg.add(entry("x", "tcp://h:1"));
    CHECK(eventually([&] { return one.size() == 1 && two.size() == 1; }, 3s));
}

TEST_CASE("directory: a client asks the next directory when the first is down", "[directory]") {
    directory_server live("tcp://127.0.0.1:*");
    directory_registrar reg({live.endpoint()});
    reg.add(entry("x", "tcp://h:1"));
    REQUIRE(reg.sync(2s));
    const auto dead = netchan::test::fresh_ipc_endpoint("dead");
    directory_client client({dead, live.endpoint()}, quick());
    const auto start = std::chrono::steady_clock::now();
    CHECK(client.resolve("x").size() == 1);
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);
    CHECK(client.resolve("x").size() == 1); // now preferred: the live one
}

TEST_CASE("directory: an unreachable directory is a directory_error naming it in bounded time",
          "[directory]") {
    const auto dead = netchan::test::fresh_ipc_endpoint("dead");
    netchan::directory_client_options o;
    o.timeout = 300ms;
    directory_client client({dead}, o);
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(client.list(), netchan::directory_error);
    CHECK_THROWS_WITH(client.resolve("jobs"), Catch::Contains(dead));
    CHECK_THROWS_AS(client.watch(), netchan::directory_error);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("directory: a malformed directory endpoint is an error at once", "[directory]") {
    CHECK_THROWS_AS(directory_client({"bogus://x"}, quick()), netchan::transport_error);
    CHECK_THROWS_AS(directory_client(std::vector<std::string>{}, quick()), netchan::error);
    CHECK_THROWS_AS(directory_registrar({"tcp://"}), netchan::transport_error);
    CHECK_THROWS_AS(directory_registrar({"tcp://127.0.0.1:1"}, std::chrono::milliseconds(5)),
                    netchan::error);
}

TEST_CASE("directory: a watch sees added renewed and gone", "[directory][watch]") {
    directory_server dir("tcp://127.0.0.1:*", short_leases());
    directory_client client({dir.endpoint()}, quick());
    auto w = client.watch();
    auto events = w.events();
    REQUIRE(dir.watchers() == 1);
    directory_event::kind last{};
    const auto next_for = [&](const std::string& name) {
        while (auto ev = events.recv_for(3s)) {
            if (ev->entry.name == name) {
                last = ev->what;
                return true;
            }
        }
        return false;
    };
    auto reg =
        std::make_unique<directory_registrar>(std::vector<std::string>{dir.endpoint()}, 300ms);
    reg->add(entry("w", "tcp://h:1"));
    REQUIRE(next_for("w"));
    CHECK(last == directory_event::kind::added);
    REQUIRE(next_for("w"));
    CHECK(last == directory_event::kind::renewed);
    reg->remove("w");
    while (next_for("w") && last != directory_event::kind::gone) {
    }
    CHECK(last == directory_event::kind::gone);
}

TEST_CASE("directory: a watch outlives its first watch lease", "[directory][watch]") {
    directory_server dir("tcp://127.0.0.1:*", short_leases()); // watch lease 600 ms
    directory_client client({dir.endpoint()}, quick());
    auto w = client.watch();
    std::this_thread::sleep_for(1500ms);
    CHECK(dir.watchers() == 1);
    directory_registrar reg({dir.endpoint()}, 300ms);
    reg.add(entry("late", "tcp://h:1"));
    const auto ev = w.events().recv_for(3s);
    REQUIRE(ev);
    CHECK(ev->entry.name == "late");
}

TEST_CASE("directory: malformed requests get error replies and the server goes on",
          "[directory][robustness]") {
    directory_server dir("tcp://127.0.0.1:*");
    raw_peer raw(dir.endpoint());

    const char garbage[] = "\xc1\xc1 not msgpack at all";
    raw.send(garbage, sizeof garbage);
    CHECK(raw.reply() == std::vector<std::uint64_t>{69, 0, 1}); // error, bad_message

    raw.send(request(2, 3, 11));
    CHECK(raw.reply() == std::vector<std::uint64_t>{69, 11, 2}); // version_mismatch

    raw.send(request(1, 50, 12));
    CHECK(raw.reply() == std::vector<std::uint64_t>{69, 12, 3}); // unknown_kind

    raw.send(request(1, 66, 13)); // a reply kind sent as a request
    CHECK(raw.reply() == std::vector<std::uint64_t>{69, 13, 3});

    raw.send(request(1, 4, 14)); // resolve without its name
    CHECK(raw.reply() == std::vector<std::uint64_t>{69, 14, 1});

    raw.send("a", 1, true);
    raw.send("b", 1, true);
    raw.send("c", 1);
    CHECK(raw.reply().at(0) == 69);

    raw.send(request(1, 7, 15)); // ping
    CHECK(raw.reply() == std::vector<std::uint64_t>{64, 15, 0});
}

TEST_CASE("directory: a REQ client gets its replies", "[directory][robustness]") {
    directory_server dir("tcp://127.0.0.1:*");
    zmq::context_t ctx;
    auto req = netchan::make_socket(ctx, zmq::socket_type::req, 0ms);
    req.set(zmq::sockopt::rcvtimeo, 2000);
    netchan::connect(req, dir.endpoint());
    const auto b = request(1, 7, 5);
    (void)req.send(zmq::const_buffer(b.data(), b.size()));
    zmq::message_t m;
    REQUIRE(req.recv(m));
    const auto oh = msgpack::unpack(static_cast<const char*>(m.data()), m.size());
    const auto a = oh.get().as<std::vector<std::uint64_t>>();
    CHECK(a == std::vector<std::uint64_t>{1, 64, 5});
}

TEST_CASE("directory: huge frames are refused and the server still answers",
          "[directory][robustness]") {
    netchan::directory_server_options o;
    o.max_message_bytes = 64 * 1024;
    directory_server dir("tcp://127.0.0.1:*", o);
    {
        raw_peer raw(dir.endpoint());
        const std::string huge(1 << 20, 'x');
        raw.send(huge.data(), huge.size()); // over ZMQ_MAXMSGSIZE: the connection is dropped
    }
    directory_client client({dir.endpoint()}, quick());
    CHECK(client.list().empty());
}

TEST_CASE("directory: a flood of requests from a peer that never reads leaves it answering",
          "[directory][robustness]") {
    directory_server dir("tcp://127.0.0.1:*");
    raw_peer flood(dir.endpoint());
    const auto list = request(1, 3, 1);
    const char garbage[] = "\xc1";
    for (int i = 0; i < 20000; ++i) {
        if (i % 2 == 0) {
            flood.send(list);
        } else {
            flood.send(garbage, 1);
        }
    }
    directory_registrar reg({dir.endpoint()});
    reg.add(entry("still", "tcp://h:1"));
    REQUIRE(reg.sync(5s));
    directory_client client({dir.endpoint()}, quick());
    CHECK(client.resolve("still").size() == 1);
}

TEST_CASE("directory: an exporter registers its exports with their counters until hangup",
          "[directory]") {
    directory_server dir("tcp://127.0.0.1:*", short_leases());
    netchan::exporter_options o;
    o.directories = {dir.endpoint()};
    o.lease = 300ms;
    netchan::exporter exp("tcp://127.0.0.1:*", o);
    netchan::chan<std::int64_t> jobs(8);
    netchan::chan<std::string> logs(8);
    exp.export_chan("jobs", jobs, netchan::dir::send);
    exp.export_chan("logs", logs, netchan::dir::recv);
    REQUIRE(exp.wait_registered(2s));

    directory_client client({dir.endpoint()}, quick());
    const auto found = client.resolve("jobs");
    REQUIRE(found.size() == 1);
    CHECK(found[0].type == "int64");
    CHECK(found[0].direction == netchan::dir::send);
    CHECK(found[0].endpoints == std::vector<std::string>{exp.endpoint()});
    CHECK(client.resolve("logs").at(0).direction == netchan::dir::recv);

    // What an importer found there works, and the counters follow with the renewals.
    netchan::importer imp(found[0].endpoints[0], netchan::test::wire_only());
    auto in = imp.import_chan<std::int64_t>("jobs", netchan::dir::recv);
    jobs.send(7);
    CHECK(in.recv_for(5s) == 7);
    CHECK(eventually(
        [&] {
            const auto e = client.resolve("jobs");
            return !e.empty() && e[0].counters.count("sent") != 0 &&
                   e[0].counters.at("sent") == 1 && e[0].counters.at("importers") == 1;
        },
        3s));

    exp.hangup("logs");
    CHECK(eventually([&] { return client.resolve("logs").empty(); }, 2s));
    CHECK(client.resolve("jobs").size() == 1);
}
