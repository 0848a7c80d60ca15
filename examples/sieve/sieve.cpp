// The concurrent prime sieve: a generator actor feeds 2, 3, 4, ... into a chain of filter
// actors, one per prime found so far; each filter drops the multiples of its prime.
//
//   sieve [--local] N     prints the first N primes, all actors in this process
//   sieve --procs P N     the same, with the chain spread over P processes: each runs a stretch
//                         of filters and hands what passes them to the next over a network
//                         channel found through a directory (run here); this process prints
//                         what each stretch found, in order
//   sieve stage DIRECTORY K COUNT
//                         stretch K (for --procs): finds COUNT primes in what stretch K-1
//                         exports as "sieve.rest.K-1" (or in 2, 3, 4, ... for K = 0), prints
//                         them, and exports what passes its filters as "sieve.rest.K"
#include "netchan/netchan.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t link_capacity = 64;

// Sends 2, 3, 4, ... until the channel is closed from the other end.
void generate(netchan::chan<long> out) {
    try {
        for (long i = 2;; ++i) {
            out.send(i);
        }
    } catch (const netchan::closed_error&) {
    }
}

// Passes on the values of `in` not divisible by `prime`. Shutdown runs backwards: when `out` is
// closed downstream, close `in`, which stops the actor upstream.
void filter(netchan::chan<long> in, netchan::chan<long> out, long prime) {
    try {
        for (long v : in) {
            if (v % prime != 0) {
                out.send(v);
            }
        }
    } catch (const netchan::closed_error&) {
    }
    in.close();
}

// Grows the chain by one filter per prime found in `ch`, `count` times; prints each prime and
// returns the channel of what passes them all.
netchan::chan<long> find_primes(netchan::actor_group& actors, netchan::chan<long> ch, long count,
                                const char* format) {
    for (long i = 0; i < count; ++i) {
        const auto prime = ch.recv();
        if (!prime) {
            break; // upstream ended
        }
        std::printf(format, *prime);
        std::fflush(stdout);
        netchan::chan<long> next(link_capacity);
        actors.spawn(filter, ch, next, *prime);
        ch = next;
    }
    return ch;
}

int run_local(long n) {
    netchan::actor_group actors;
    netchan::chan<long> source(link_capacity);
    actors.spawn(generate, source);
    find_primes(actors, source, n, "%ld\n").close(); // unwinds the chain to the generator
    actors.wait();
    return 0;
}

// One stretch of the chain, in a process of its own.
int run_stage(const std::string& directory, long k, long count) {
    netchan::exporter_options options;
    options.directories = {directory};
    netchan::exporter exp("tcp://127.0.0.1:*", options);
    netchan::chan<long> rest(link_capacity);
    exp.export_chan("sieve.rest." + std::to_string(k), rest, netchan::dir::send);
    if (!exp.wait_registered(std::chrono::seconds(5))) {
        throw netchan::error("the directory did not take the export");
    }
    std::printf("ready\n");
    std::fflush(stdout);

    netchan::actor_group actors;
    std::optional<netchan::importer> imp;
    netchan::chan<long> source(link_capacity);
    if (k > 0) { // the previous stretch registered before this one started
        const std::string upstream = "sieve.rest." + std::to_string(k - 1);
        imp.emplace(netchan::directories{{directory}});
        source = imp->import_chan<long>(upstream, netchan::dir::recv, link_capacity);
    } else {
        actors.spawn(generate, source);
    }
    netchan::chan<long> tail = find_primes(actors, source, count, "p %ld\n");
    std::printf("done\n");
    std::fflush(stdout);
    for (long v : tail) { // hand the rest on until the next stretch stops taking it
        rest.send(v);
    }
    return 0;
}

// A child process running this program with `args`, its stdout read line by line.
class stage_process {
public:
    explicit stage_process(std::vector<std::string> args) {
        int fds[2];
        if (::pipe(fds) != 0) {
            throw std::runtime_error("pipe failed");
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], STDOUT_FILENO);
            ::close(fds[0]);
            ::close(fds[1]);
            std::vector<char*> argv{const_cast<char*>("sieve")};
            for (auto& a : args) {
                argv.push_back(a.data());
            }
            argv.push_back(nullptr);
            ::execv("/proc/self/exe", argv.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        out_ = ::fdopen(fds[0], "r");
    }
    stage_process(const stage_process&) = delete;
    stage_process& operator=(const stage_process&) = delete;
    ~stage_process() {
        ::kill(pid_, SIGKILL); // stretches upstream of the last one never finish on their own
        ::waitpid(pid_, nullptr, 0);
        std::fclose(out_);
    }
    // Returns the next line, or empty at the end of the output.
    std::optional<std::string> line() {
        char buf[256];
        if (std::fgets(buf, sizeof buf, out_) == nullptr) {
            return std::nullopt;
        }
        std::string s(buf);
        if (!s.empty() && s.back() == '\n') {
            s.pop_back();
        }
        return s;
    }

private:
    pid_t pid_ = -1;
    FILE* out_ = nullptr;
};

int run_procs(long procs, long n) {
    procs = std::min(procs, n);
    netchan::directory_server directory("tcp://127.0.0.1:*"); // where the stretches find each other
    std::vector<std::unique_ptr<stage_process>> stages;
    for (long k = 0; k < procs; ++k) {
        const long count = n / procs + (k < n % procs ? 1 : 0);
        stages.push_back(std::make_unique<stage_process>(std::vector<std::string>{
            "stage", directory.endpoint(), std::to_string(k), std::to_string(count)}));
        if (stages.back()->line() != "ready") {
            std::fprintf(stderr, "sieve: stage %ld did not start\n", k);
            return 1;
        }
    }
    long printed = 0;
    for (auto& stage : stages) { // in chain order: the primes come out sorted
        while (auto l = stage->line()) {
            if (*l == "done") {
                break;
            }
            std::printf("%s\n", l->c_str() + 2);
            ++printed;
        }
    }
    std::fflush(stdout);
    return printed == n ? 0 : 1;
}

int usage() {
    std::fprintf(stderr, "usage: sieve [--local] N | sieve --procs P N\n"
                         "  prints the first N primes (N >= 1), in this process or in P\n");
    return 2;
}

// Parses a positive count, or returns empty.
std::optional<long> count_of(std::string_view arg) {
    long n = 0;
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
    if (ec != std::errc{} || end != arg.data() + arg.size() || n < 1) {
        return std::nullopt;
    }
    return n;
}

} // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 5 && std::strcmp(argv[1], "stage") == 0) {
            const auto count = count_of(argv[4]);
            return count ? run_stage(argv[2], std::atol(argv[3]), *count) : usage();
        }
        long procs = 0;
        std::optional<long> n;
        for (int i = 1; i < argc; ++i) {
            const std::string_view arg = argv[i];
            if (arg == "--local") {
                continue;
            }
            if (arg == "-h" || arg == "--help") {
                usage();
                return 0;
            }
            if (arg == "--procs" && i + 1 < argc) {
                const auto p = count_of(argv[++i]);
                if (!p) {
                    std::fprintf(stderr, "sieve: '%s' is not a positive process count\n", argv[i]);
                    return usage();
                }
                procs = *p;
                continue;
            }
            n = count_of(arg);
            if (!n) {
                std::fprintf(stderr, "sieve: '%s' is not a positive count\n", argv[i]);
                return usage();
            }
        }
        if (!n) {
            return usage();
        }
        const auto start = std::chrono::steady_clock::now();
        const int rc = procs > 0 ? run_procs(procs, *n) : run_local(*n);
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        std::fprintf(stderr,
                     "sieve: %ld primes with %ld filter actors in %ld process(es) in %.3f s\n", *n,
                     *n, procs > 0 ? procs : 1, took.count());
        return rc;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sieve: %s\n", e.what());
        return 1;
    }
}
