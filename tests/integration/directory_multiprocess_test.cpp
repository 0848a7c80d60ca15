// The directory and the CLI as real processes: `netchan directory`, registrant peers and the
// `netchan` subcommands, on loopback. Every child is killed and reaped even when a check fails.
#include "netchan/directory_client.hpp"

#include "directory_fixture.hpp"
#include "support/child_process.hpp"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using netchan::test::child_process;
using netchan::test::eventually;

namespace {

const std::string cli = NETCHAN_CLI;
const std::string peer = NETCHAN_DIR_PEER;

// A `netchan directory` child; endpoint() is the one it printed.
class directory_proc {
public:
    explicit directory_proc(const std::string& listen, int lease_ms = 600)
        : proc_(std::make_unique<child_process>(
              std::vector<std::string>{cli, "directory", "--listen", listen, "--lease-ms",
                                       std::to_string(lease_ms), "--watch-lease-ms", "1000"})) {
        const auto line = proc_->read_line(10s);
        REQUIRE(line);
        endpoint_ = *line;
    }
    const std::string& endpoint() const { return endpoint_; }
    child_process& proc() { return *proc_; }

private:
    std::unique_ptr<child_process> proc_;
    std::string endpoint_;
};

std::unique_ptr<child_process> start_peer(const std::string& directory, const std::string& name,
                                          const std::string& endpoint, int lease_ms = 600) {
    auto p = std::make_unique<child_process>(
        std::vector<std::string>{peer, directory, name, endpoint, std::to_string(lease_ms)});
    const auto line = p->read_line(10s);
    REQUIRE(line);
    REQUIRE(*line == "ready");
    return p;
}

struct cli_result {
    std::optional<int> code;
    std::string out;
    std::chrono::milliseconds took{0};
};

// Runs `netchan ARGS...` and returns its exit code (empty if it ran past `limit`) and stdout.
cli_result run_cli(std::vector<std::string> args, std::chrono::milliseconds limit = 10s) {
    args.insert(args.begin(), cli);
    const auto start = std::chrono::steady_clock::now();
    child_process p(args);
    cli_result r;
    while (auto line = p.read_line(limit)) {
        r.out += *line + "\n";
    }
    r.code = p.wait(limit);
    r.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return r;
}

netchan::directory_client client_of(const std::string& endpoint) {
    netchan::directory_client_options o;
    o.timeout = 1000ms;
    return netchan::directory_client({endpoint}, o);
}

} // namespace

TEST_CASE("directory processes: ls and resolve --json show both exporters of a name",
          "[directory][multiprocess][cli]") {
    directory_proc dir("tcp://127.0.0.1:*");
    auto a = start_peer(dir.endpoint(), "jobs", "tcp://127.0.0.1:6001");
    auto b = start_peer(dir.endpoint(), "jobs", "tcp://127.0.0.1:6002");
    auto c = start_peer(dir.endpoint(), "results", "tcp://127.0.0.1:6003");

    const auto ls = run_cli({"ls", "--json", "--directory", dir.endpoint()});
    REQUIRE(ls.code == 0);
    const auto all = nlohmann::json::parse(ls.out);
    REQUIRE(all.is_array());
    REQUIRE(all.size() == 3);
    for (const auto& e : all) {
        CHECK(e.at("type") == "int64");
        CHECK(e.at("dir") == "send");
        CHECK(e.at("pid").get<long>() > 0);
        CHECK_FALSE(e.at("host").get<std::string>().empty());
        CHECK(e.at("counters").at("importers") == 1);
    }
    CHECK(all[0].at("name") == "jobs");
    CHECK(all[2].at("name") == "results");
    CHECK(all[2].at("endpoints") == nlohmann::json::array({"tcp://127.0.0.1:6003"}));

    const auto res = run_cli({"resolve", "jobs", "--json", "--directory", dir.endpoint()});
    REQUIRE(res.code == 0);
    const auto jobs = nlohmann::json::parse(res.out);
    REQUIRE(jobs.size() == 2);
    CHECK(jobs[0].at("endpoints")[0] == "tcp://127.0.0.1:6001");
    CHECK(jobs[1].at("endpoints")[0] == "tcp://127.0.0.1:6002");
    CHECK(jobs[0].at("pid") != jobs[1].at("pid"));

    const auto table = run_cli({"ls", "--directory", dir.endpoint()});
    REQUIRE(table.code == 0);
    CHECK(table.out.rfind("NAME", 0) == 0);
    CHECK(table.out.find("results") != std::string::npos);
}

TEST_CASE("directory processes: a registrant killed with -9 vanishes within its lease",
          "[directory][multiprocess]") {
    directory_proc dir("tcp://127.0.0.1:*", 500);
    auto a = start_peer(dir.endpoint(), "jobs", "tcp://127.0.0.1:6001", 500);
    auto b = start_peer(dir.endpoint(), "jobs", "tcp://127.0.0.1:6002", 500);
    auto client = client_of(dir.endpoint());
    REQUIRE(client.resolve("jobs").size() == 2);
    a->kill(SIGKILL);
    REQUIRE(a->wait(5s));
    const auto killed = std::chrono::steady_clock::now();
    REQUIRE(eventually([&] { return client.resolve("jobs").size() == 1; }, 2s));
    CHECK(std::chrono::steady_clock::now() - killed < 1500ms);
    // The survivor keeps renewing past several leases.
    std::this_thread::sleep_for(1200ms);
    const auto left = client.resolve("jobs");
    REQUIRE(left.size() == 1);
    CHECK(left[0].endpoints[0] == "tcp://127.0.0.1:6002");
}

TEST_CASE("directory processes: a restarted directory is refilled by the registrants",
          "[directory][multiprocess]") {
    const auto endpoint = netchan::test::fresh_ipc_endpoint("dirp");
    auto dir = std::make_unique<directory_proc>(endpoint, 600);
    auto a = start_peer(endpoint, "a", "tcp://127.0.0.1:6001", 600);
    auto b = start_peer(endpoint, "b", "tcp://127.0.0.1:6002", 600);
    dir->proc().kill(SIGKILL);
    REQUIRE(dir->proc().wait(5s));
    dir = std::make_unique<directory_proc>(endpoint, 600);
    auto client = client_of(endpoint);
    CHECK(eventually([&] { return client.list().size() == 2; }, 3s));
}

TEST_CASE("directory processes: netchan watch prints the changes of a registrant",
          "[directory][multiprocess][cli]") {
    directory_proc dir("tcp://127.0.0.1:*", 600);
    child_process watch({cli, "watch", "--json", "-n", "2", "--directory", dir.endpoint()});
    // Added may come before the watch subscribed; renewals follow every lease/3 in any case.
    auto a = start_peer(dir.endpoint(), "seen", "tcp://127.0.0.1:6001", 600);
    for (int i = 0; i < 2; ++i) {
        const auto line = watch.read_line(5s);
        REQUIRE(line);
        const auto ev = nlohmann::json::parse(*line);
        CHECK(ev.at("name") == "seen");
        const auto kind = ev.at("event").get<std::string>();
        CHECK((kind == "added" || kind == "renewed"));
    }
    CHECK(watch.wait(5s) == 0);

    child_process gone({cli, "watch", "-n", "1000", "--directory", dir.endpoint()});
    // Its first line (a renewal, every 200 ms) shows it is subscribed: then make the change.
    const auto first = gone.read_line(5s);
    REQUIRE(first);
    CHECK(first->find(" seen ") != std::string::npos);
    a->kill(SIGTERM); // unregisters on the way out
    REQUIRE(a->wait(5s) == 0);
    std::string line;
    while (auto l = gone.read_line(5s)) {
        line = *l;
        if (line.rfind("gone ", 0) == 0) {
            break;
        }
    }
    CHECK(line.rfind("gone seen int64 send tcp://127.0.0.1:6001", 0) == 0);
}

TEST_CASE("directory processes: CLI errors exit non-zero within a bounded time",
          "[directory][multiprocess][cli]") {
    const auto dead = netchan::test::fresh_ipc_endpoint("nodir");
    // All three at once: each waits out the client's default timeout (3 s).
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<child_process>> procs;
    for (const auto& cmd :
         std::vector<std::vector<std::string>>{{cli, "ls", "--directory", dead},
                                               {cli, "resolve", "jobs", "--directory", dead},
                                               {cli, "watch", "--directory", dead}}) {
        procs.push_back(std::make_unique<child_process>(cmd));
    }
    for (auto& p : procs) {
        CHECK(p->wait(10s) == 1);
    }
    CHECK(std::chrono::steady_clock::now() - start < 6s);

    directory_proc dir("tcp://127.0.0.1:*");
    const auto unknown = run_cli({"resolve", "nosuch", "--directory", dir.endpoint()});
    CHECK(unknown.code == 2);
    CHECK(unknown.out.empty());

    const auto usage = run_cli({"resolve"});
    CHECK(usage.code != 0);
    const auto help = run_cli({"watch", "--help"});
    CHECK(help.code == 0);
    CHECK(help.out.find("--directory") != std::string::npos);
}

TEST_CASE("directory processes: the directory stops cleanly on SIGTERM and SIGINT",
          "[directory][multiprocess][cli]") {
    for (int sig : {SIGTERM, SIGINT}) {
        directory_proc dir("tcp://127.0.0.1:*");
        CHECK(client_of(dir.endpoint()).list().empty());
        dir.proc().kill(sig);
        CHECK(dir.proc().wait(5s) == 0);
    }
}

TEST_CASE("directory processes: NETCHAN_DIRECTORY names the directory", "[directory][cli]") {
    directory_proc dir("tcp://127.0.0.1:*");
    ::setenv("NETCHAN_DIRECTORY", dir.endpoint().c_str(), 1);
    const auto r = run_cli({"ls", "--json"});
    ::unsetenv("NETCHAN_DIRECTORY");
    CHECK(r.code == 0);
    CHECK(nlohmann::json::parse(r.out) == nlohmann::json::array());
}

TEST_CASE("directory processes: a wildcard bind is registered with the advertised host",
          "[directory][multiprocess]") {
    directory_proc dir("tcp://127.0.0.1:*");
    ::setenv("NETCHAN_ADVERTISE_HOST", "127.0.0.1", 1);
    auto a = start_peer(dir.endpoint(), "wide", "tcp://0.0.0.0:6010");
    ::unsetenv("NETCHAN_ADVERTISE_HOST");
    const auto found = client_of(dir.endpoint()).resolve("wide");
    REQUIRE(found.size() == 1);
    CHECK(found[0].endpoints == std::vector<std::string>{"tcp://127.0.0.1:6010"});
}

namespace {

// `netchan ARGS...` fed with `input` on stdin (through sh), stderr joined to stdout.
std::vector<std::string> piped(const std::string& input, const std::string& args) {
    return {"/bin/sh", "-c", "printf '" + input + "' | " + cli + " " + args + " 2>&1"};
}

// Reads every line a child prints, on a thread of its own (children must not block on a full
// pipe while another is read), until the end of its output or `limit`.
class line_reader {
public:
    line_reader(child_process& p, std::chrono::milliseconds limit)
        : thread_([&p, limit, this] {
              while (auto l = p.read_line(limit)) {
                  lines_.push_back(*l);
              }
          }) {}
    std::vector<std::string> lines() {
        thread_.join();
        return lines_;
    }

private:
    std::vector<std::string> lines_;
    std::thread thread_;
};

} // namespace

TEST_CASE("cli: stdin's numbers exported for sending reach three recv processes exactly once",
          "[cli]") {
    directory_proc dir(netchan::test::fresh_ipc_endpoint("cli"), 2000);
    child_process exporter({"/bin/sh", "-c",
                            "seq 1 100000 | " + cli + " export nums --type int64 --send " +
                                "--listen tcp://127.0.0.1:* --directory " + dir.endpoint()});
    auto client = client_of(dir.endpoint());
    REQUIRE(eventually([&] { return client.resolve("nums").size() == 1; }, 5s));

    std::vector<std::unique_ptr<child_process>> receivers;
    std::vector<std::unique_ptr<line_reader>> readers;
    for (int i = 0; i < 3; ++i) {
        receivers.push_back(std::make_unique<child_process>(
            std::vector<std::string>{cli, "recv", "nums", "--directory", dir.endpoint()}));
        readers.push_back(std::make_unique<line_reader>(*receivers.back(), 60s));
    }
    std::vector<int> seen(100001, 0);
    std::size_t total = 0;
    for (std::size_t i = 0; i < readers.size(); ++i) {
        for (const auto& l : readers[i]->lines()) {
            const long v = std::stol(l);
            REQUIRE(v >= 1);
            REQUIRE(v <= 100000);
            ++seen[static_cast<std::size_t>(v)];
            ++total;
        }
        CHECK(receivers[i]->wait(10s) == 0);
    }
    CHECK(total == 100000);
    CHECK(std::count(seen.begin() + 1, seen.end(), 1) == 100000);
    CHECK(exporter.wait(10s) == 0);
}

TEST_CASE("cli: recv prints the values of both exporters of a name", "[cli]") {
    directory_proc dir(netchan::test::fresh_ipc_endpoint("cli"), 2000);
    std::vector<std::unique_ptr<child_process>> exporters;
    for (const char* range : {"1 500", "501 1000"}) {
        exporters.push_back(std::make_unique<child_process>(std::vector<std::string>{
            "/bin/sh", "-c",
            std::string("seq ") + range + " | " + cli + " export nums --type int64 --send " +
                "--listen tcp://127.0.0.1:* --directory " + dir.endpoint()}));
    }
    auto client = client_of(dir.endpoint());
    REQUIRE(eventually([&] { return client.resolve("nums").size() == 2; }, 5s));

    child_process receiver({cli, "recv", "nums", "--directory", dir.endpoint()});
    line_reader reader(receiver, 60s);
    std::vector<int> seen(1001, 0);
    for (const auto& l : reader.lines()) {
        const long v = std::stol(l);
        REQUIRE(v >= 1);
        REQUIRE(v <= 1000);
        ++seen[static_cast<std::size_t>(v)];
    }
    CHECK(receiver.wait(10s) == 0); // both closed: recv ends
    CHECK(std::count(seen.begin() + 1, seen.end(), 1) == 1000);
    for (auto& e : exporters) {
        CHECK(e->wait(10s) == 0);
    }
}

TEST_CASE("cli: send delivers stdin's lines to an export for receiving", "[cli]") {
    directory_proc dir(netchan::test::fresh_ipc_endpoint("cli"), 2000);
    child_process sink({cli, "export", "sink", "--type", "string", "--recv", "--listen",
                        "tcp://127.0.0.1:*", "--directory", dir.endpoint()});
    auto client = client_of(dir.endpoint());
    REQUIRE(eventually([&] { return client.resolve("sink").size() == 1; }, 5s));

    child_process ok(piped("\"a\"\\n\\n\"b c\"\\n", "send sink --directory " + dir.endpoint()));
    CHECK(ok.wait(10s) == 0);
    CHECK(sink.read_line(5s) == "\"a\"");
    CHECK(sink.read_line(5s) == "\"b c\"");

    // A line that does not fit the type stops the send there, naming the line; nothing of it
    // arrives, what came before it does.
    child_process bad(piped("\"c\"\\n42\\n\"d\"\\n", "send sink --directory " + dir.endpoint()));
    const auto message = bad.read_line(10s);
    REQUIRE(message);
    CHECK(message->find("line 2") != std::string::npos);
    CHECK(message->find("expected string") != std::string::npos);
    CHECK(bad.wait(10s) == 1);
    CHECK(sink.read_line(5s) == "\"c\"");
    CHECK_FALSE(sink.read_line(500ms)); // neither 42 nor "d"

    // The wrong command for the direction, and an unknown name.
    const auto wrong = run_cli({"recv", "sink", "--directory", dir.endpoint()});
    CHECK(wrong.code == 1);
    const auto unknown = run_cli({"recv", "nothing", "--directory", dir.endpoint()});
    CHECK(unknown.code == 2);

    sink.kill(SIGTERM);
    CHECK(sink.wait(5s) == 0);
}
