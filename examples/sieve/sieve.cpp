// The concurrent prime sieve: a generator actor feeds 2, 3, 4, ... into a chain of filter
// actors, one per prime found so far; each filter drops the multiples of its prime.
//
//   sieve [--local] N     prints the first N primes
#include "netchan/netchan.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string_view>

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

int usage() {
    std::fprintf(stderr, "usage: sieve [--local] N\n  prints the first N primes (N >= 1)\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    long n = 0;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--local") {
            continue;
        }
        if (arg == "-h" || arg == "--help") {
            usage();
            return 0;
        }
        auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
        if (ec != std::errc{} || end != arg.data() + arg.size() || n < 1) {
            std::fprintf(stderr, "sieve: '%s' is not a positive count\n", argv[i]);
            return usage();
        }
    }
    if (n < 1) {
        return usage();
    }

    const auto start = std::chrono::steady_clock::now();
    netchan::actor_group actors;
    netchan::chan<long> source(link_capacity);
    actors.spawn(generate, source);
    netchan::chan<long> ch = source;
    for (long i = 0; i < n; ++i) {
        const long prime = *ch.recv();
        std::printf("%ld\n", prime);
        netchan::chan<long> next(link_capacity);
        actors.spawn(filter, ch, next, prime);
        ch = next;
    }
    ch.close(); // unwinds the chain back to the generator
    actors.wait();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    std::fprintf(stderr, "sieve: %ld primes with %ld actors in %.3f s\n", n, n + 1, took.count());
    return 0;
}
