// Network channel benchmarks, each against a baseline measured in the same run:
//
//   throughput  1 exporter -> 1 importer over the wire (local_fast_path off), int64 and a small
//               struct, over tcp, ipc and inproc; baseline: cppzmq PUSH/PULL, one msgpack value
//               (netchan::encode) per message. Buffering: netchan's import credit and exported
//               channel hold --credit values (default 4096); the baseline's high-water marks
//               100,000 messages on each side.
//   latency     round trip over two channels (request one way, reply the other), tcp: exporters
//               sending, at the default import credit (64) and at --credit, and importers
//               sending into recv exports; baseline: raw zmq ping-pong over two PUSH/PULL pairs.
//   fastpath    a same-process import of a tcp export (the exported channel itself), of a send
//               and of a recv export, against a bare chan<int64>(1024).
//   scale       1000 exports and 8 importers of one of them: fds, resident memory and threads per
//               export, and an exactly-once check of the values the importers share.
//
//   net_bench [--runs R] [--items N] [--only throughput|latency|fastpath|scale]
//             [--transport tcp|ipc|inproc] [--type int64|sample] [--side netchan|zmq]
//             [--credit K]
// Prints the median over R runs of each figure and the ratio netchan / baseline.
#include "netchan/chan.hpp"
#include "netchan/codec.hpp"
#include "netchan/exporter.hpp"
#include "netchan/importer.hpp"
#include "netchan/zmq_socket.hpp"

#include <unistd.h>
#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct sample {
    std::int64_t seq = 0;
    double value = 0;
    std::string tag;
    NETCHAN_STRUCT(sample, seq, value, tag);
};

const std::string tag16 = "0123456789abcdef"; // 16 chars: one past the SSO buffer

// How the benchmark makes value i and reads back its sequence number, per type.
template <class T>
struct values;

template <>
struct values<std::int64_t> {
    static constexpr const char* name = "int64";
    static std::int64_t make(std::int64_t i) { return i; }
    static std::int64_t seq(std::int64_t v) { return v; }
};

template <>
struct values<sample> {
    static constexpr const char* name = "sample";
    static sample make(std::int64_t i) { return {i, static_cast<double>(i) * 0.5, tag16}; }
    static std::int64_t seq(const sample& v) {
        const bool intact = v.tag == tag16 && v.value == static_cast<double>(v.seq) * 0.5;
        return intact ? v.seq : -1; // -1 spoils the sum check
    }
};

// A stall means a bug; report it and leave without running destructors that could wait on it.
[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "net_bench: %s\n", what.c_str());
    std::fflush(stdout);
    std::_Exit(1);
}

constexpr auto stall_limit = std::chrono::seconds(60);

// Fails the program unless the guarded scope is left within stall_limit, so that a lost value
// cannot hang the benchmark; plain recv() in the measured loops keeps timed waits (a clock read
// per value) out of the figures.
class stall_guard {
public:
    explicit stall_guard(std::string what)
        : thread_([what = std::move(what)](std::stop_token stop) {
              std::mutex mu;
              std::condition_variable_any cv;
              std::unique_lock lock(mu);
              if (!cv.wait_for(lock, stop, stall_limit, [] { return false; })) {
                  if (!stop.stop_requested()) {
                      fail(what + ": not done within " + std::to_string(stall_limit.count()) +
                           " s");
                  }
              }
          }) {}

private:
    std::jthread thread_; // its destructor requests stop, which wakes the wait
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double seconds_since(clock_type::time_point start, clock_type::time_point end) {
    return std::chrono::duration<double>(end - start).count();
}

void check_sum(const char* what, std::int64_t sum, long count, long items) {
    const std::int64_t want = static_cast<std::int64_t>(items) * (items - 1) / 2;
    if (count != items || sum != want) {
        fail(std::string(what) + ": got " + std::to_string(count) + " values summing to " +
             std::to_string(sum) + ", expected " + std::to_string(items) + " summing to " +
             std::to_string(want));
    }
}

// -- endpoints --

enum class transport { tcp, ipc, inproc };

const char* name_of(transport t) {
    return t == transport::tcp ? "tcp" : t == transport::ipc ? "ipc" : "inproc";
}

int endpoint_counter = 0;

std::string ipc_path(int n) {
    return "/tmp/netchan-bench-" + std::to_string(::getpid()) + "-" + std::to_string(n);
}

// A fresh endpoint to bind; ipc files are removed by remove_endpoint.
std::string make_endpoint(transport t) {
    const int n = endpoint_counter++;
    switch (t) {
    case transport::tcp:
        return "tcp://127.0.0.1:*";
    case transport::ipc:
        return "ipc://" + ipc_path(n);
    case transport::inproc:
        return "inproc://netchan-bench-" + std::to_string(n);
    }
    return {};
}

void remove_endpoint(const std::string& bound) {
    if (bound.rfind("ipc://", 0) == 0) {
        std::error_code ec; // zmq usually unlinks it already
        std::filesystem::remove(bound.substr(6), ec);
    }
}

netchan::importer_options wire_only() {
    netchan::importer_options o;
    o.local_fast_path = false;
    return o;
}

// -- 1. throughput --

template <class T>
double netchan_throughput(transport t, long items, std::size_t credit) {
    const stall_guard guard(std::string("netchan throughput over ") + name_of(t));
    std::string bound;
    double rate = 0;
    {
        netchan::exporter exp(make_endpoint(t));
        bound = exp.endpoint();
        netchan::chan<T> out(credit);
        exp.export_chan("values", out, netchan::dir::send);
        netchan::importer imp(bound, wire_only());
        netchan::chan<T> in = imp.import_chan<T>("values", netchan::dir::recv, credit);

        const auto start = clock_type::now();
        std::jthread producer([out, items]() mutable {
            for (long i = 0; i < items; ++i) {
                out.send(values<T>::make(i));
            }
            out.close();
        });
        std::int64_t sum = 0;
        long count = 0;
        auto last = start;
        while (auto v = in.recv()) {
            sum += values<T>::seq(*v);
            if (++count == items) {
                last = clock_type::now();
            }
        }
        check_sum("netchan throughput", sum, count, items);
        rate = static_cast<double>(items) / seconds_since(start, last);
    } // importer, then exporter: each hangs up and joins its threads
    remove_endpoint(bound);
    return rate;
}

// The baseline queues this many messages on each side before a sender would wait.
constexpr int zmq_hwm = 100'000;

zmq::socket_t bench_socket(zmq::context_t& ctx, zmq::socket_type type) {
    auto s = netchan::make_socket(ctx, type, netchan::default_linger);
    s.set(zmq::sockopt::sndhwm, zmq_hwm);
    s.set(zmq::sockopt::rcvhwm, zmq_hwm);
    s.set(zmq::sockopt::rcvtimeo, static_cast<int>(stall_limit.count() * 1000));
    return s;
}

// Receives one message; a timeout means a lost message.
void recv_or_fail(zmq::socket_t& s, zmq::message_t& msg, const char* what) {
    if (!s.recv(msg, zmq::recv_flags::none)) {
        fail(std::string(what) + ": stalled");
    }
}

template <class T>
double zmq_throughput(transport t, long items) {
    zmq::context_t ctx;
    std::string bound;
    double rate = 0;
    {
        auto push = bench_socket(ctx, zmq::socket_type::push);
        bound = netchan::bind(push, make_endpoint(t));
        auto pull = bench_socket(ctx, zmq::socket_type::pull);
        netchan::connect(pull, bound);
        // One message through first: the connection is up before the clock starts.
        const auto hello = netchan::encode(values<T>::make(0));
        (void)push.send(zmq::const_buffer(hello.data(), hello.size()), zmq::send_flags::none);
        zmq::message_t msg;
        recv_or_fail(pull, msg, "zmq throughput");

        // The producer owns `push` until it is joined; the socket outlives it so that closing
        // it cannot drop values still queued for the consumer.
        const auto start = clock_type::now();
        std::jthread producer([&push, items] {
            for (long i = 0; i < items; ++i) {
                const auto bytes = netchan::encode(values<T>::make(i));
                (void)push.send(zmq::const_buffer(bytes.data(), bytes.size()),
                                zmq::send_flags::none);
            }
        });
        std::int64_t sum = 0;
        for (long i = 0; i < items; ++i) {
            recv_or_fail(pull, msg, "zmq throughput");
            sum += values<T>::seq(netchan::decode<T>(msg.data(), msg.size()));
        }
        const auto last = clock_type::now();
        check_sum("zmq throughput", sum, items, items);
        rate = static_cast<double>(items) / seconds_since(start, last);
    }
    remove_endpoint(bound);
    return rate;
}

// Empty: every transport (or type) of the throughput table.
std::string only_transport;
std::string only_type;
// "netchan" or "zmq": run one side only (to profile it); empty: both.
std::string only_side;

bool run_side(const char* side) {
    return only_side.empty() || only_side == side;
}

// The figures' ratio, or "-" when one side did not run.
std::string ratio_text(double ours, double base) {
    if (ours == 0 || base == 0) {
        return "-";
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.2fx", ours / base);
    return text;
}

template <class T>
void throughput_row(transport t, int runs, long items, std::size_t credit) {
    std::vector<double> ours, base;
    for (int r = 0; r < runs; ++r) {
        ours.push_back(run_side("netchan") ? netchan_throughput<T>(t, items, credit) : 0);
        base.push_back(run_side("zmq") ? zmq_throughput<T>(t, items) : 0);
    }
    const double a = median(ours);
    const double b = median(base);
    std::printf("%-8s %-8s %18.0f %18.0f %8s\n", name_of(t), values<T>::name, a, b,
                ratio_text(a, b).c_str());
    std::fflush(stdout);
}

template <class T>
bool wanted(transport t) {
    return (only_transport.empty() || only_transport == name_of(t)) &&
           (only_type.empty() || only_type == values<T>::name);
}

void run_throughput(int runs, long items, std::size_t credit) {
    std::printf("== throughput: 1 exporter -> 1 importer, wire path, %ld values, median of %d\n"
                "   netchan: credit %zu, exported channel of %zu; zmq: high-water marks %d\n",
                items, runs, credit, credit, zmq_hwm);
    std::printf("%-8s %-8s %18s %18s %8s\n", "transport", "type", "netchan values/s",
                "zmq push/pull v/s", "ratio");
    for (transport t : {transport::tcp, transport::ipc, transport::inproc}) {
        if (wanted<std::int64_t>(t)) {
            throughput_row<std::int64_t>(t, runs, items, credit);
        }
        if (wanted<sample>(t)) {
            throughput_row<sample>(t, runs, items, credit);
        }
    }
    std::printf("\n");
}

// -- 2. latency --

struct percentiles {
    double p50 = 0; // microseconds
    double p99 = 0;
};

percentiles percentiles_of(std::vector<double> us) {
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

constexpr int warmup_trips = 1000;

constexpr std::size_t default_credit = 64; // importer::import_chan's

// Who sends the values: exporters (to importers receiving) or importers (into recv exports).
enum class senders { exporters, importers };

percentiles netchan_latency(int trips, std::size_t credit, senders who) {
    const stall_guard guard("netchan latency");
    netchan::exporter side_a("tcp://127.0.0.1:*");
    netchan::exporter side_b("tcp://127.0.0.1:*");
    netchan::importer a_imports(side_b.endpoint(), wire_only());
    netchan::importer b_imports(side_a.endpoint(), wire_only());
    // requests: a -> b; replies: b -> a.
    netchan::chan<std::int64_t> requests, requests_in, replies, replies_in;
    if (who == senders::exporters) {
        requests = netchan::chan<std::int64_t>(credit);
        replies = netchan::chan<std::int64_t>(credit);
        side_a.export_chan("requests", requests, netchan::dir::send);
        side_b.export_chan("replies", replies, netchan::dir::send);
        requests_in = b_imports.import_chan<std::int64_t>("requests", netchan::dir::recv, credit);
        replies_in = a_imports.import_chan<std::int64_t>("replies", netchan::dir::recv, credit);
    } else {
        requests_in = netchan::chan<std::int64_t>(credit);
        replies_in = netchan::chan<std::int64_t>(credit);
        side_b.export_chan("requests", requests_in, netchan::dir::recv,
                           {.close_when_importers_done = true});
        side_a.export_chan("replies", replies_in, netchan::dir::recv);
        requests = a_imports.import_chan<std::int64_t>("requests", netchan::dir::send, credit);
        replies = b_imports.import_chan<std::int64_t>("replies", netchan::dir::send, credit);
    }

    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(trips));
    {
        std::jthread echo([requests_in, replies]() mutable {
            for (std::int64_t v : requests_in) {
                replies.send(v);
            }
            replies.close();
        });
        for (int i = 0; i < warmup_trips + trips; ++i) {
            const auto t0 = clock_type::now();
            requests.send(i);
            auto v = replies_in.recv();
            const auto t1 = clock_type::now();
            if (!v || *v != i) {
                fail("latency: no echo of " + std::to_string(i));
            }
            if (i >= warmup_trips) {
                us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
            }
        }
        requests.close(); // the echo ends, and closes the replies
    }
    return percentiles_of(std::move(us));
}

percentiles zmq_latency(int trips) {
    zmq::context_t ctx;
    auto req_out = bench_socket(ctx, zmq::socket_type::push);
    auto rep_in = bench_socket(ctx, zmq::socket_type::pull);
    const std::string req_at = netchan::bind(req_out, "tcp://127.0.0.1:*");
    const std::string rep_at = netchan::bind(rep_in, "tcp://127.0.0.1:*");
    auto req_in = bench_socket(ctx, zmq::socket_type::pull);
    auto rep_out = bench_socket(ctx, zmq::socket_type::push);
    netchan::connect(req_in, req_at);
    netchan::connect(rep_out, rep_at);

    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(trips));
    {
        const int total = warmup_trips + trips;
        std::jthread echo([in = std::move(req_in), out = std::move(rep_out), total]() mutable {
            zmq::message_t m;
            for (int i = 0; i < total; ++i) {
                recv_or_fail(in, m, "zmq latency echo");
                const auto v = netchan::decode<std::int64_t>(m.data(), m.size());
                const auto bytes = netchan::encode(v);
                (void)out.send(zmq::const_buffer(bytes.data(), bytes.size()),
                               zmq::send_flags::none);
            }
        });
        zmq::message_t m;
        for (int i = 0; i < total; ++i) {
            const auto t0 = clock_type::now();
            const auto bytes = netchan::encode(std::int64_t{i});
            (void)req_out.send(zmq::const_buffer(bytes.data(), bytes.size()),
                               zmq::send_flags::none);
            recv_or_fail(rep_in, m, "zmq latency");
            const auto v = netchan::decode<std::int64_t>(m.data(), m.size());
            const auto t1 = clock_type::now();
            if (v != i) {
                fail("zmq latency: wrong echo");
            }
            if (i >= warmup_trips) {
                us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
            }
        }
    }
    return percentiles_of(std::move(us));
}

void run_latency(int runs, std::size_t credit) {
    constexpr int trips = 10000;
    std::printf("== latency: int64 round trip over two channels, tcp, %d trips after %d warm-up, "
                "median of %d\n   netchan: import credit and exported channels of %zu (the "
                "default) and of %zu; exporters send, or importers send into recv exports\n",
                trips, warmup_trips, runs, default_credit, credit);
    struct variant {
        std::string label;
        std::size_t credit;
        senders who;
    };
    const variant variants[] = {
        {"credit " + std::to_string(default_credit), default_credit, senders::exporters},
        {"credit " + std::to_string(credit), credit, senders::exporters},
        {"importers send", default_credit, senders::importers}};
    constexpr std::size_t n = std::size(variants);
    // Per variant, then the baseline: p50 and p99 of each run.
    std::vector<double> p50[n + 1], p99[n + 1];
    for (int r = 0; r < runs; ++r) {
        for (std::size_t k = 0; k <= n; ++k) {
            const bool ours = k < n;
            if (!run_side(ours ? "netchan" : "zmq")) {
                continue;
            }
            const auto got = ours ? netchan_latency(trips, variants[k].credit, variants[k].who)
                                  : zmq_latency(trips);
            p50[k].push_back(got.p50);
            p99[k].push_back(got.p99);
        }
    }
    const auto median_of = [](std::vector<double>& v) { return v.empty() ? 0.0 : median(v); };
    std::printf("%-20s %14s %14s %8s\n", "", "netchan us", "zmq us", "ratio");
    for (std::size_t k = 0; k < n; ++k) {
        for (auto [name, figures] : {std::pair{"p50", p50}, std::pair{"p99", p99}}) {
            const std::string label = std::string(name) + ", " + variants[k].label;
            const double ours = median_of(figures[k]);
            const double base = median_of(figures[n]);
            std::printf("%-20s %14.1f %14.1f %8s\n", label.c_str(), ours, base,
                        ratio_text(ours, base).c_str());
        }
    }
    std::printf("\n");
    std::fflush(stdout);
}

// -- 3. same-process fast path --

double chan_throughput(netchan::chan<std::int64_t> out, netchan::chan<std::int64_t> in,
                       long items) {
    const auto start = clock_type::now();
    std::jthread producer([out, items]() mutable {
        for (long i = 0; i < items; ++i) {
            out.send(i);
        }
    });
    std::int64_t sum = 0;
    for (long i = 0; i < items; ++i) {
        sum += *in.recv();
    }
    const auto last = clock_type::now();
    check_sum("fast path", sum, items, items);
    return static_cast<double>(items) / seconds_since(start, last);
}

// One run of each direction: the importer receives from a send export, or sends to a recv
// export; either way it is handed the exported channel itself.
double fastpath_throughput(netchan::dir exported_as, long items, bool& same) {
    netchan::exporter exp("tcp://127.0.0.1:*");
    netchan::chan<std::int64_t> exported(1024);
    exp.export_chan("values", exported, exported_as);
    netchan::importer imp(exp.endpoint());
    const bool to_importer = exported_as == netchan::dir::send;
    auto imported = imp.import_chan<std::int64_t>(
        "values", to_importer ? netchan::dir::recv : netchan::dir::send, 1024);
    same = same && imported == exported;
    return to_importer ? chan_throughput(exported, imported, items)
                       : chan_throughput(imported, exported, items);
}

void run_fastpath(int runs, long items) {
    // A local channel is ~100x faster than the wire: more values keep each run measurable.
    const long n = items * 10;
    std::printf("== fast path: same-process import of a tcp export vs a bare chan<int64>(1024), "
                "%ld values, median of %d\n",
                n, runs);
    std::vector<double> from_send, to_recv, base;
    bool same = true;
    for (int r = 0; r < runs; ++r) {
        from_send.push_back(fastpath_throughput(netchan::dir::send, n, same));
        to_recv.push_back(fastpath_throughput(netchan::dir::recv, n, same));
        netchan::chan<std::int64_t> bare(1024);
        base.push_back(chan_throughput(bare, bare, n));
    }
    const double b = median(base);
    std::printf("imported chan is the exported chan: %s\n", same ? "yes" : "NO");
    std::printf("%-28s %12s %8s\n", "", "Mvalues/s", "ratio");
    std::printf("%-28s %12.2f %8s\n", "bare chan", b / 1e6, "");
    for (const auto& [what, v] : {std::pair{"import of a send export", &from_send},
                                  std::pair{"import of a recv export", &to_recv}}) {
        std::printf("%-28s %12.2f %7.2fx\n", what, median(*v) / 1e6, median(*v) / b);
    }
    std::printf("\n");
    std::fflush(stdout);
}

// -- 4. scale --

struct usage {
    long fds = 0;
    long rss_kb = 0;
    long threads = 0;
};

long status_field(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) {
            return std::atol(line.c_str() + key.size() + 1);
        }
    }
    return -1;
}

usage measure() {
    usage u;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        ++u.fds;
    }
    u.rss_kb = status_field("VmRSS");
    u.threads = status_field("Threads");
    return u;
}

void print_usage_row(const char* what, const usage& from, const usage& to, double per) {
    std::printf("%-34s %10.2f %12.1f %10.2f\n", what, static_cast<double>(to.fds - from.fds) / per,
                static_cast<double>(to.rss_kb - from.rss_kb) / per,
                static_cast<double>(to.threads - from.threads) / per);
}

void run_scale() {
    constexpr int exports = 1000;
    constexpr int importers = 8;
    constexpr long items = 10000;
    std::printf("== scale: %d exports of chan<int>(16), %d wire importers of one of them\n",
                exports, importers);
    const stall_guard guard("scale");
    {
        netchan::exporter warm("tcp://127.0.0.1:*"); // the process-wide zmq context exists now
    }
    const usage before = measure();
    std::optional<netchan::exporter> exp;
    exp.emplace("tcp://127.0.0.1:*");
    const usage empty = measure();
    std::vector<netchan::chan<int>> chans;
    chans.reserve(exports);
    const auto t0 = clock_type::now();
    for (int i = 0; i < exports; ++i) {
        chans.emplace_back(16);
        exp->export_chan("c" + std::to_string(i), chans.back(), netchan::dir::send);
    }
    const double export_s = seconds_since(t0, clock_type::now());
    const usage exported = measure();

    std::vector<std::unique_ptr<netchan::importer>> imps;
    std::vector<netchan::chan<int>> ins;
    for (int i = 0; i < importers; ++i) {
        imps.push_back(std::make_unique<netchan::importer>(exp->endpoint(), wire_only()));
        ins.push_back(imps.back()->import_chan<int>("c0", netchan::dir::recv, 16));
    }
    const usage imported = measure();

    // Every value must reach exactly one importer.
    std::vector<std::atomic<int>> seen(items);
    std::vector<long> got(importers, 0);
    const auto t1 = clock_type::now();
    {
        std::vector<std::jthread> consumers;
        for (int i = 0; i < importers; ++i) {
            consumers.emplace_back([&, i] {
                while (auto v = ins[static_cast<std::size_t>(i)].recv()) {
                    if (*v < 0 || *v >= items) {
                        fail("scale: value out of range");
                    }
                    seen[static_cast<std::size_t>(*v)].fetch_add(1, std::memory_order_relaxed);
                    ++got[static_cast<std::size_t>(i)];
                }
            });
        }
        auto out = chans[0];
        for (int v = 0; v < items; ++v) {
            out.send(v);
        }
        out.close();
    }
    const double deliver_s = seconds_since(t1, clock_type::now());
    long total = 0, once = 0;
    std::int64_t sum = 0;
    for (long v = 0; v < items; ++v) {
        const int n = seen[static_cast<std::size_t>(v)].load();
        total += n;
        once += n == 1 ? 1 : 0;
        sum += v * n;
    }

    std::printf("%-34s %10s %12s %10s\n", "", "fds", "RSS kB", "threads");
    print_usage_row("exporter, no exports", before, empty, 1);
    print_usage_row("per export (of 1000)", empty, exported, exports);
    print_usage_row("per importer with one import", exported, imported, importers);
    print_usage_row("total per export", before, imported, exports);
    std::printf("totals: fds %ld -> %ld, RSS %ld -> %ld kB, threads %ld -> %ld\n", before.fds,
                imported.fds, before.rss_kb, imported.rss_kb, before.threads, imported.threads);
    std::printf("exporting %d channels took %.1f ms\n", exports, export_s * 1e3);
    std::printf("%ld values over %d importers in %.1f ms: received %ld, exactly once %ld, sum %s; "
                "per importer:",
                items, importers, deliver_s * 1e3, total, once,
                sum == items * (items - 1) / 2 ? "ok" : "WRONG");
    for (long g : got) {
        std::printf(" %ld", g);
    }
    std::printf("\n");
    std::fflush(stdout);

    const auto t2 = clock_type::now();
    imps.clear();
    exp.reset();
    const usage after = measure();
    std::printf("teardown took %.1f ms; afterwards fds %ld, threads %ld\n\n",
                seconds_since(t2, clock_type::now()) * 1e3, after.fds, after.threads);
    if (once != items) {
        fail("scale: values were lost or duplicated");
    }
}

} // namespace

int main(int argc, char** argv) {
    int runs = 5;
    long items = 200'000;
    long credit = 4096;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--items") == 0 && i + 1 < argc) {
            items = std::atol(argv[++i]);
        } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (std::strcmp(argv[i], "--transport") == 0 && i + 1 < argc) {
            only_transport = argv[++i];
        } else if (std::strcmp(argv[i], "--credit") == 0 && i + 1 < argc) {
            credit = std::atol(argv[++i]);
        } else if (std::strcmp(argv[i], "--side") == 0 && i + 1 < argc) {
            only_side = argv[++i];
        } else if (std::strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
            only_type = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: net_bench [--runs R] [--items N] "
                         "[--only throughput|latency|fastpath|scale]\n"
                         "                 [--transport tcp|ipc|inproc] "
                         "[--type int64|sample]   (throughput table rows)\n"
                         "                 [--credit K]   (throughput and latency: import credit "
                         "and exported channel capacity, default 4096)\n"
                         "                 [--side netchan|zmq]   (run one side only, "
                         "to profile it)\n");
            return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (runs < 1 || items < 1 || credit < 1) {
        std::fprintf(stderr, "net_bench: --runs, --items and --credit must be positive\n");
        return 2;
    }
    // Each filter is empty (everything) or one of its known values.
    const auto known = [](const char* what, const std::string& value,
                          std::initializer_list<const char*> choices) {
        const bool ok = value.empty() || std::any_of(choices.begin(), choices.end(),
                                                     [&](const char* c) { return value == c; });
        if (!ok) {
            std::fprintf(stderr, "net_bench: unknown %s '%s'\n", what, value.c_str());
        }
        return ok;
    };
    if (!known("section", only, {"throughput", "latency", "fastpath", "scale"}) ||
        !known("transport", only_transport, {"tcp", "ipc", "inproc"}) ||
        !known("side", only_side, {"netchan", "zmq"}) ||
        !known("type", only_type, {"int64", "sample"})) {
        return 2;
    }
    const auto want = [&](const char* name) { return only.empty() || only == name; };

    try {
        if (want("throughput")) {
            run_throughput(runs, items, static_cast<std::size_t>(credit));
        }
        if (want("latency")) {
            run_latency(runs, static_cast<std::size_t>(credit));
        }
        if (want("fastpath")) {
            run_fastpath(runs, items);
        }
        if (want("scale")) {
            run_scale();
        }
    } catch (const std::exception& e) {
        fail(e.what());
    }
    return 0;
}
