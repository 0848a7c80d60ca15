// wordcount: a multi-process pipeline. A ventilator exports a Send channel of text chunks; K
// worker processes import it, count the words of each chunk and send partial counts to the
// sink's Recv export; the sink merges them and prints the top words once every worker is done
// (close propagates: the ventilator's close ends the workers' loops, the workers' closes end the
// sink's).
//
//   wordcount [--workers K] [--megabytes M] [--directory D --listen ENDPOINT] [FILE...]
//       runs the pipeline: a directory, the ventilator and the sink here, K workers as child
//       processes that find the channels by name; counts FILEs, or M megabytes of generated
//       text; shows `netchan ls` while it runs; checks the result against a count in this process.
//       With --directory it uses that directory instead of its own, and with --workers 0 it
//       waits for workers started elsewhere (on other machines: see examples/cluster)
//   wordcount worker DIRECTORY
//       one worker, finding "wc.chunks" and "wc.counts" through the directory at DIRECTORY
#include "netchan/netchan.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

using namespace std::chrono_literals;
using netchan::dir;

namespace {

using counts = std::map<std::string, std::int64_t>;

struct chunk {
    std::int64_t id = 0;
    std::string text;
    NETCHAN_STRUCT(chunk, id, text);
};

constexpr std::size_t chunk_bytes = 64 * 1024;

// Words are runs of letters, lower-cased.
template <class F>
void for_each_word(std::string_view text, F&& f) {
    std::string word;
    for (char c : text) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            word += static_cast<char>(c | 0x20);
        } else if (!word.empty()) {
            f(word);
            word.clear();
        }
    }
    if (!word.empty()) {
        f(word);
    }
}

counts count_words(std::string_view text) {
    std::unordered_map<std::string, std::int64_t> n;
    for_each_word(text, [&](const std::string& w) { ++n[w]; });
    return {n.begin(), n.end()};
}

int worker(const std::string& directory) {
    // Imports by name; waits a while for the exports (a worker may start before the ventilator).
    netchan::importer_options options;
    options.import_timeout = 30s;
    netchan::importer imp(netchan::directories{{directory}}, options);
    auto chunks = imp.import_chan<chunk>("wc.chunks", dir::recv, 4);
    auto partial = imp.import_chan<counts>("wc.counts", dir::send, 4);
    for (const auto& c : chunks) {
        partial.send(count_words(c.text));
    }
    partial.close();
    return imp.drain(30s) ? 0 : 1; // every partial count reached the sink
}

// Generated text: words of a small vocabulary with skewed frequencies, the same every run.
std::string generate(std::size_t bytes) {
    static const char* vocabulary[] = {"the",     "of",     "and",    "to",    "in",     "channel",
                                       "value",   "send",   "recv",   "close", "select", "process",
                                       "export",  "import", "credit", "ack",   "frame",  "socket",
                                       "message", "worker", "sink",   "name",  "type",   "network"};
    constexpr std::size_t n = sizeof vocabulary / sizeof *vocabulary;
    std::string text;
    text.reserve(bytes + 16);
    std::uint64_t x = 42;
    while (text.size() < bytes) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        const auto r = static_cast<std::size_t>((x >> 33) % (n * n));
        text += vocabulary[n - 1 - static_cast<std::size_t>(std::sqrt(static_cast<double>(r)))];
        text += (x >> 20) % 12 == 0 ? '\n' : ' ';
    }
    return text;
}

// Cuts text into chunks of about chunk_bytes, at whitespace, so no word is split.
std::vector<std::string_view> cut(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        std::size_t end = std::min(chunk_bytes, text.size());
        while (end < text.size() && text[end] != ' ' && text[end] != '\n') {
            ++end;
        }
        out.push_back(text.substr(0, end));
        text.remove_prefix(end);
    }
    return out;
}

// Runs `path args...` and waits for it.
void run_program(const std::string& path, std::vector<std::string> args) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::vector<char*> argv{const_cast<char*>(path.c_str())};
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        ::execv(path.c_str(), argv.data());
        ::_exit(127);
    }
    ::waitpid(pid, nullptr, 0);
}

pid_t spawn_worker(const std::string& directory) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl("/proc/self/exe", "wordcount", "worker", directory.c_str(), nullptr);
        ::_exit(127);
    }
    return pid;
}

// The netchan CLI next to this program, if it was built.
std::string cli_path() {
    char self[4096];
    const auto n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        return {};
    }
    std::string dir(self, static_cast<std::size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    const std::string path = dir + "/netchan";
    return ::access(path.c_str(), X_OK) == 0 ? path : std::string();
}

struct settings {
    int workers = 3;
    double megabytes = 8;
    std::string directory;                    // empty: run one here
    std::string listen = "tcp://127.0.0.1:*"; // where the ventilator and the sink are exported
    std::vector<std::string> files;
};

int run(const settings& cfg, const std::string& text, const std::string& what) {
    std::optional<netchan::directory_server> own; // embedded: one command runs all
    if (cfg.directory.empty()) {
        own.emplace("tcp://127.0.0.1:*");
    }
    const std::string directory = own ? own->endpoint() : cfg.directory;
    const int workers = cfg.workers;
    netchan::exporter_options options;
    options.directories = {directory};
    options.lease = 900ms; // renewed, with fresh counters, every 300 ms: ls shows the workers
    netchan::exporter exp(cfg.listen, options);
    netchan::chan<chunk> chunks(16);
    netchan::chan<counts> partials(16);
    exp.export_chan("wc.chunks", chunks, dir::send);
    exp.export_chan("wc.counts", partials, dir::recv, {.close_when_importers_done = true});
    if (!exp.wait_registered(5s)) {
        throw netchan::error("the directory did not take the exports");
    }
    const std::string by =
        workers > 0 ? std::to_string(workers) + " worker processes" : "workers started elsewhere";
    std::printf("counting %s with %s (directory at %s)\n", what.c_str(), by.c_str(),
                directory.c_str());
    std::fflush(stdout);

    const auto start = std::chrono::steady_clock::now();
    std::vector<pid_t> pids;
    for (int i = 0; i < workers; ++i) {
        pids.push_back(spawn_worker(directory));
    }
    std::jthread show([&] { // what an operator sees from another terminal meanwhile
        const auto cli = cli_path();
        if (cli.empty()) {
            return;
        }
        std::this_thread::sleep_for(400ms);
        std::printf("$ netchan ls --directory %s   (while it runs)\n", directory.c_str());
        std::fflush(stdout);
        run_program(cli, {"ls", "--directory", directory});
    });
    std::jthread ventilator([&] {
        std::int64_t id = 0;
        for (auto piece : cut(text)) {
            chunks.send(chunk{id++, std::string(piece)});
        }
        chunks.close();
    });
    counts total;
    for (const auto& p : partials) { // until every worker closed its side
        for (const auto& [w, n] : p) {
            total[w] += n;
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    show.join();
    bool ok = true;
    for (pid_t pid : pids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }

    std::vector<std::pair<std::int64_t, std::string>> top;
    std::int64_t words = 0;
    for (const auto& [w, n] : total) {
        top.emplace_back(n, w);
        words += n;
    }
    std::sort(top.rbegin(), top.rend());
    std::printf("top words:\n");
    for (std::size_t i = 0; i < std::min<std::size_t>(10, top.size()); ++i) {
        std::printf("  %-10s %lld\n", top[i].second.c_str(), static_cast<long long>(top[i].first));
    }
    std::printf("%lld words, %zu distinct, in %.2f s: %.1f MB/s\n", static_cast<long long>(words),
                total.size(), seconds, static_cast<double>(text.size()) / 1e6 / seconds);

    while (auto ev = exp.errors().try_recv()) { // a healthy run has none
        std::printf("error on '%s': %s\n", ev->channel.c_str(), ev->message.c_str());
        ok = false;
    }
    const bool same = total == count_words(text);
    std::printf("%s\n", same ? "check: the same counts as a single-process count"
                             : "check FAILED: the counts differ from a single-process count");
    return ok && same ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 3 && std::strcmp(argv[1], "worker") == 0) {
            return worker(argv[2]);
        }
        settings cfg;
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--workers" && i + 1 < argc) {
                cfg.workers = std::atoi(argv[++i]);
            } else if (a == "--megabytes" && i + 1 < argc) {
                cfg.megabytes = std::atof(argv[++i]);
            } else if (a == "--directory" && i + 1 < argc) {
                cfg.directory = argv[++i];
            } else if (a == "--listen" && i + 1 < argc) {
                cfg.listen = argv[++i];
            } else if (a.rfind("--", 0) == 0) {
                std::fprintf(stderr,
                             "usage: wordcount [--workers K] [--megabytes M] [--directory D "
                             "--listen ENDPOINT] [FILE...]\n"
                             "       wordcount worker DIRECTORY\n");
                return 2;
            } else {
                cfg.files.push_back(a);
            }
        }
        if (cfg.workers < 0 || (cfg.workers == 0 && cfg.directory.empty()) || cfg.megabytes <= 0) {
            std::fprintf(stderr, "wordcount: --megabytes must be positive, --workers too (or 0 "
                                 "with --directory, for workers started elsewhere)\n");
            return 2;
        }
        const double megabytes = cfg.megabytes;
        const auto& files = cfg.files;
        std::string text;
        std::string what;
        if (files.empty()) {
            text = generate(static_cast<std::size_t>(megabytes * 1e6));
            what = std::to_string(text.size() / 1000000) + " MB of generated text";
        } else {
            for (const auto& f : files) {
                std::ifstream in(f, std::ios::binary);
                if (!in) {
                    std::fprintf(stderr, "wordcount: cannot read %s\n", f.c_str());
                    return 1;
                }
                std::ostringstream ss;
                ss << in.rdbuf();
                text += ss.str();
                text += '\n';
            }
            what = std::to_string(files.size()) + " file(s), " + std::to_string(text.size()) +
                   " bytes";
        }
        return run(cfg, text, what);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wordcount: %s\n", e.what());
        return 1;
    }
}
