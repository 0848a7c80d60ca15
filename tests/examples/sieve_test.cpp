// The sieve example, run as users run it, checked against a plain sieve of Eratosthenes.
#include "support/child_process.hpp"
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

std::vector<long> first_primes(std::size_t n) {
    std::vector<long> primes;
    for (long v = 2; primes.size() < n; ++v) {
        bool prime = true;
        for (long p : primes) {
            if (p * p > v) {
                break;
            }
            if (v % p == 0) {
                prime = false;
                break;
            }
        }
        if (prime) {
            primes.push_back(v);
        }
    }
    return primes;
}

std::vector<long> run_sieve(std::vector<std::string> args) {
    args.insert(args.begin(), NETCHAN_SIEVE);
    netchan::test::child_process sieve(args);
    std::vector<long> printed;
    while (auto line = sieve.read_line(60s)) {
        printed.push_back(std::stol(*line));
    }
    CHECK(sieve.wait(10s) == 0);
    return printed;
}

} // namespace

TEST_CASE("examples: sieve prints the first N primes in one process", "[examples]") {
    CHECK(run_sieve({"300"}) == first_primes(300));
}

TEST_CASE("examples: sieve prints the first N primes across processes", "[examples]") {
    CHECK(run_sieve({"--procs", "3", "300"}) == first_primes(300));
    CHECK(run_sieve({"--procs", "4", "3"}) == first_primes(3)); // fewer primes than processes
}
