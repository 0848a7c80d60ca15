// Timeouts on network channels: a client waits on channels whose exporter answers late, never,
// or dies, with `select` and `recv_for`; every wait is bounded, nothing hangs.
//
//   timeouts            runs the whole story: starts the server as a child process, then
//                       waits on its channels and prints what happened
//   timeouts serve      the server: exports "late" (a value every 300 ms) and "never" (no
//                       value, ever) at a free tcp port and prints that endpoint
#include "netchan/netchan.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

constexpr auto heartbeat = 100ms;
constexpr auto peer_timeout = 1000ms;

int serve() {
    netchan::exporter exp("tcp://127.0.0.1:*",
                          {.heartbeat_interval = heartbeat, .peer_timeout = peer_timeout});
    netchan::chan<std::string> questions(1);
    netchan::chan<std::string> late(1);
    netchan::chan<std::string> never(1);
    exp.export_chan("questions", questions, netchan::dir::recv);
    exp.export_chan("late", late, netchan::dir::send);
    exp.export_chan("never", never, netchan::dir::send);
    std::printf("%s\n", exp.endpoint().c_str());
    std::fflush(stdout);
    for (const auto& q : questions) {
        std::this_thread::sleep_for(300ms);
        late.send("the answer to '" + q + "'");
    }
    return 0;
}

// The server as a child process; its first line of output is its endpoint.
struct server_process {
    pid_t pid = -1;
    std::string endpoint;

    server_process() {
        int fds[2];
        if (::pipe(fds) != 0) {
            throw std::runtime_error("pipe failed");
        }
        pid = ::fork();
        if (pid == 0) {
            ::dup2(fds[1], STDOUT_FILENO);
            ::close(fds[0]);
            ::close(fds[1]);
            ::execl("/proc/self/exe", "timeouts", "serve", nullptr);
            ::_exit(127);
        }
        ::close(fds[1]);
        char c = 0;
        while (::read(fds[0], &c, 1) == 1 && c != '\n') {
            endpoint += c;
        }
        ::close(fds[0]);
        if (pid < 0 || endpoint.empty()) {
            throw std::runtime_error("the server did not start");
        }
    }
    ~server_process() { kill(); }
    void kill() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            pid = -1;
        }
    }
};

double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

int run() {
    server_process server;
    std::printf("the server exports 'questions', 'late' and 'never' at %s\n",
                server.endpoint.c_str());
    netchan::importer imp(server.endpoint,
                          {.heartbeat_interval = heartbeat, .peer_timeout = peer_timeout});
    auto questions = imp.import_chan<std::string>("questions", netchan::dir::send, 1);
    auto late = imp.import_chan<std::string>("late", netchan::dir::recv, 1);
    auto never = imp.import_chan<std::string>("never", netchan::dir::recv, 1);
    bool as_told = true;
    auto ignore = [](const auto&) {};

    // 1. Too impatient: the answer comes 300 ms after the question; 50 ms is not enough.
    questions.send("six times seven");
    auto t = std::chrono::steady_clock::now();
    const int got = netchan::select(netchan::on_recv(late, ignore), netchan::after(50ms));
    std::printf("1. waited %.0f ms for 'late': %s\n", ms_since(t),
                got == 0 ? "an answer came early" : "timed out, as expected");
    as_told = as_told && got == 1;

    // 2. Patient enough: the answer arrives within a second.
    t = std::chrono::steady_clock::now();
    auto answered = [&](std::optional<std::string> v) {
        std::printf("2. %.0f ms later 'late' said: %s\n", ms_since(t), v ? v->c_str() : "(closed)");
    };
    const int patient = netchan::select(netchan::on_recv(late, answered), netchan::after(1s));
    if (patient != 0) {
        std::printf("2. no answer within 1 s\n");
    }
    as_told = as_told && patient == 0;

    // 3. A channel that never answers: recv_for gives up.
    t = std::chrono::steady_clock::now();
    const auto nothing = never.recv_for(200ms);
    std::printf("3. 'never' after %.0f ms: %s\n", ms_since(t),
                nothing ? "an answer?!" : "nothing, recv_for returned empty");
    as_told = as_told && !nothing;

    // 4. The server dies: the error stream says so within the peer timeout.
    server.kill();
    t = std::chrono::steady_clock::now();
    bool told = false;
    auto on_error = [&](std::optional<netchan::error_event> ev) {
        if (ev && ev->code == netchan::errc::peer_lost) {
            told = true;
            std::printf("4. %.0f ms after the server died: %s\n", ms_since(t), ev->message.c_str());
        }
    };
    while (!told && ms_since(t) < 5000) {
        (void)netchan::select(netchan::on_recv(imp.errors(), on_error),
                              netchan::on_recv(late, ignore), netchan::after(5s));
    }
    if (!told) {
        std::printf("4. the server's death went unnoticed\n");
    }
    as_told = as_told && told;
    std::printf("done: every wait was bounded%s\n", as_told ? "" : ", but not as told above");
    return as_told ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 2 && std::strcmp(argv[1], "serve") == 0) {
            return serve();
        }
        if (argc == 1) {
            return run();
        }
        std::fprintf(stderr, "usage: timeouts [serve]\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "timeouts: %s\n", e.what());
        return 1;
    }
}
