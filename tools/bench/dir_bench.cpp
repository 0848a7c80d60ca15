// Directory benchmark, with a raw baseline measured in the same run:
//
//   register   N exports through one directory_registrar into an in-process directory (tcp)
//   list       list() of all N entries: median over R runs (target: under 1 s at N = 10,000)
//   resolve    sequential resolve(name) round trips from one client: resolves/s, median of R
//   baseline   plain cppzmq REQ -> ROUTER round trips over tcp, the request and the reply being
//              MessagePack payloads of the same sizes as a resolve and its one-entry answer
//
//   dir_bench [--entries N] [--runs R] [--resolves K]
#include "netchan/directory_client.hpp"
#include "netchan/directory_registrar.hpp"
#include "netchan/directory_server.hpp"
#include "netchan/zmq_socket.hpp"

#include <msgpack.hpp>
#include <zmq.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "dir_bench: %s\n", what.c_str());
    std::fflush(stdout);
    std::_Exit(1);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::string name_of(int i) {
    return "chan-" + std::to_string(i);
}

netchan::directory_entry entry_of(int i) {
    netchan::directory_entry e;
    e.name = name_of(i);
    e.type = "int64";
    e.direction = i % 2 == 0 ? netchan::dir::send : netchan::dir::recv;
    e.endpoints = {"tcp://10.0.0." + std::to_string(i % 250 + 1) + ":" +
                   std::to_string(20000 + i % 40000)};
    return e;
}

// A RESOLVE request (docs/directory.md section 3): [version 1, kind 4, req_id, name], packed with
// msgpack directly, as a client in any language would.
std::vector<std::byte> resolve_request(std::uint64_t req_id, const std::string& name) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pk.pack_array(4);
    pk.pack_uint8(1);
    pk.pack_uint8(4);
    pk.pack_uint64(req_id);
    pk.pack(name);
    const auto* p = reinterpret_cast<const std::byte*>(buf.data());
    return {p, p + buf.size()};
}

// The directory's own answer to `request`, as it travels: one frame to a DEALER.
std::vector<std::byte> reply_of(const std::string& endpoint,
                                const std::vector<std::byte>& request) {
    zmq::context_t ctx;
    auto dealer = netchan::make_socket(ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::rcvtimeo, 5000);
    netchan::connect(dealer, endpoint);
    dealer.send(zmq::const_buffer(request.data(), request.size()));
    zmq::message_t m;
    if (!dealer.recv(m)) {
        fail("no reply from the directory within 5 s");
    }
    const auto* p = static_cast<const std::byte*>(m.data());
    return {p, p + m.size()};
}

// The raw baseline: a ROUTER thread answering each REQ request with a fixed reply.
double baseline_round_trips(const std::vector<std::byte>& request,
                            const std::vector<std::byte>& reply, int count) {
    zmq::context_t ctx;
    auto router = netchan::make_socket(ctx, zmq::socket_type::router);
    const auto endpoint = netchan::bind(router, "tcp://127.0.0.1:*");
    std::jthread server([&](std::stop_token stop) {
        router.set(zmq::sockopt::rcvtimeo, 100);
        while (!stop.stop_requested()) {
            zmq::message_t id, empty, body;
            if (!router.recv(id)) {
                continue;
            }
            (void)router.recv(empty);
            (void)router.recv(body);
            // Decode the request as the directory would, so the baseline does the same work
            // a server must at the least.
            (void)msgpack::unpack(static_cast<const char*>(body.data()), body.size());
            router.send(id, zmq::send_flags::sndmore);
            router.send(empty, zmq::send_flags::sndmore);
            router.send(zmq::const_buffer(reply.data(), reply.size()));
        }
    });
    auto req = netchan::make_socket(ctx, zmq::socket_type::req);
    req.set(zmq::sockopt::rcvtimeo, 5000);
    netchan::connect(req, endpoint);
    const auto one = [&] {
        req.send(zmq::const_buffer(request.data(), request.size()));
        zmq::message_t m;
        if (!req.recv(m)) {
            fail("baseline: no reply within 5 s");
        }
        (void)msgpack::unpack(static_cast<const char*>(m.data()), m.size());
    };
    for (int i = 0; i < 100; ++i) {
        one(); // warm up the connection
    }
    const auto start = clock_type::now();
    for (int i = 0; i < count; ++i) {
        one();
    }
    const double rate = count / seconds_since(start);
    server.request_stop();
    server.join();
    return rate;
}

} // namespace

int main(int argc, char** argv) {
    int entries = 10'000;
    int runs = 5;
    int resolves = 20'000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--entries") == 0) {
            entries = std::atoi(argv[i + 1]);
        } else if (std::strcmp(argv[i], "--runs") == 0) {
            runs = std::atoi(argv[i + 1]);
        } else if (std::strcmp(argv[i], "--resolves") == 0) {
            resolves = std::atoi(argv[i + 1]);
        } else {
            fail(std::string("unknown option ") + argv[i]);
        }
    }
    if (entries < 1 || runs < 1 || resolves < 1) {
        fail("usage: dir_bench [--entries N] [--runs R] [--resolves K]");
    }

    netchan::directory_server dir("tcp://127.0.0.1:*");
    netchan::directory_client_options copts;
    copts.timeout = std::chrono::seconds(30);
    netchan::directory_client client({dir.endpoint()}, copts);

    // -- register --
    const auto reg_start = clock_type::now();
    netchan::directory_registrar reg(
        {dir.endpoint()}, std::chrono::seconds(5), [](const std::string&) {
            return std::map<std::string, std::uint64_t>{{"sent", 1}, {"importers", 1}};
        });
    for (int i = 0; i < entries; ++i) {
        reg.add(entry_of(i));
    }
    if (!reg.sync(std::chrono::seconds(60))) {
        fail("registrations not acknowledged within 60 s");
    }
    const double reg_s = seconds_since(reg_start);
    if (dir.size() != static_cast<std::size_t>(entries)) {
        fail("directory holds " + std::to_string(dir.size()) + " entries, expected " +
             std::to_string(entries));
    }
    std::printf("register  %d exports: %.3f s (%.0f registrations/s, acknowledged)\n", entries,
                reg_s, entries / reg_s);

    // -- list --
    std::vector<double> list_s;
    for (int r = 0; r < runs; ++r) {
        const auto start = clock_type::now();
        const auto all = client.list();
        list_s.push_back(seconds_since(start));
        if (all.size() != static_cast<std::size_t>(entries)) {
            fail("list returned " + std::to_string(all.size()) + " entries");
        }
    }
    const double list_median = median(list_s);
    std::printf("list      %d entries: median %.1f ms over %d runs (target < 1000 ms: %s)\n",
                entries, list_median * 1e3, runs, list_median < 1.0 ? "met" : "MISSED");

    // -- resolve --
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> pick(0, entries - 1);
    std::vector<double> resolve_rates;
    const int per_run = std::max(1, resolves / runs);
    for (int r = 0; r < runs; ++r) {
        const auto start = clock_type::now();
        for (int i = 0; i < per_run; ++i) {
            const auto found = client.resolve(name_of(pick(rng)));
            if (found.size() != 1) {
                fail("resolve found " + std::to_string(found.size()) + " entries");
            }
        }
        resolve_rates.push_back(per_run / seconds_since(start));
    }
    const double resolve_rate = median(resolve_rates);

    // -- baseline: same payload sizes, plain REQ/ROUTER --
    // The very bytes of a resolve request and of the directory's one-entry answer.
    const auto request = resolve_request(7, name_of(1234));
    const auto reply = reply_of(dir.endpoint(), request);
    std::vector<double> base_rates;
    for (int r = 0; r < runs; ++r) {
        base_rates.push_back(baseline_round_trips(request, reply, per_run));
    }
    const double base_rate = median(base_rates);
    std::printf("resolve   %.0f resolves/s (median of %d runs of %d, one client, sequential)\n",
                resolve_rate, runs, per_run);
    std::printf("baseline  %.0f round trips/s (plain REQ/ROUTER, %zu-byte request, %zu-byte "
                "reply)\n",
                base_rate, request.size(), reply.size());
    std::printf("ratio     resolve / baseline = %.2f\n", resolve_rate / base_rate);
    return 0;
}
