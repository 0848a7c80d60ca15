// Local channel throughput: one producer, one consumer, int values, for capacities 0, 1, 64 and
// 1024, against a plain std::mutex + std::condition_variable bounded queue measured in the same
// run.
//
//   chan_bench [--runs R] [--items N]
// Prints the median over R runs of each and the ratio netchan / baseline.
#include "netchan/chan.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace {

// The baseline a C++ programmer writes by hand. Capacity 0 is a rendezvous: push returns only
// once the value was taken, as with an unbuffered channel.
class mutex_queue {
public:
    explicit mutex_queue(std::size_t capacity) : cap_(capacity) {}

    void push(int v) {
        std::unique_lock lock(mu_);
        not_full_.wait(lock, [&] { return q_.size() < std::max<std::size_t>(cap_, 1); });
        q_.push_back(v);
        const auto ticket = ++pushed_;
        not_empty_.notify_one();
        if (cap_ == 0) {
            not_full_.wait(lock, [&] { return popped_ >= ticket; });
        }
    }

    int pop() {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return !q_.empty(); });
        const int v = q_.front();
        q_.pop_front();
        ++popped_;
        not_full_.notify_all();
        return v;
    }

private:
    std::size_t cap_;
    std::mutex mu_;
    std::condition_variable not_empty_;
    std::condition_variable not_full_;
    std::deque<int> q_;        // guarded by mu_
    std::uint64_t pushed_ = 0; // guarded by mu_
    std::uint64_t popped_ = 0; // guarded by mu_
};

template <class Push, class Pop>
double run_once(long items, Push push, Pop pop) {
    const auto start = std::chrono::steady_clock::now();
    std::thread producer([&] {
        for (long i = 0; i < items; ++i) {
            push(static_cast<int>(i));
        }
    });
    long sum = 0;
    for (long i = 0; i < items; ++i) {
        sum += pop();
    }
    producer.join();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    if (sum != items * (items - 1) / 2) {
        std::fprintf(stderr, "chan_bench: lost values (sum %ld)\n", sum);
        std::exit(1);
    }
    return static_cast<double>(items) / took.count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    int runs = 5;
    long items = 2'000'000;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--items") == 0 && i + 1 < argc) {
            items = std::atol(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: chan_bench [--runs R] [--items N]\n");
            return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (runs < 1 || items < 1) {
        std::fprintf(stderr, "chan_bench: --runs and --items must be positive\n");
        return 2;
    }

    std::printf("%-10s %16s %16s %8s\n", "capacity", "netchan Mops/s", "mutex+cv Mops/s", "ratio");
    for (std::size_t cap : {std::size_t{0}, std::size_t{1}, std::size_t{64}, std::size_t{1024}}) {
        // The baseline needs a context switch per value at capacities 0 and 1 (~20 k/s here):
        // fewer items keep those runs short.
        const long n = cap <= 1 ? items / 20 : items;
        std::vector<double> ours, base;
        for (int r = 0; r < runs; ++r) {
            netchan::chan<int> c(cap);
            ours.push_back(run_once(
                n, [&](int v) { c.send(v); }, [&] { return *c.recv(); }));
            mutex_queue q(cap);
            base.push_back(run_once(
                n, [&](int v) { q.push(v); }, [&] { return q.pop(); }));
        }
        const double a = median(ours);
        const double b = median(base);
        std::printf("%-10zu %16.2f %16.2f %7.2fx\n", cap, a / 1e6, b / 1e6, a / b);
        std::fflush(stdout);
    }
    return 0;
}
