// echo: a server answers many clients at once, each on its own reply channel.
//
// Each client exports a private reply channel and sends a reference to it (netchan::chan_ref)
// with every request; the server imports the reference and answers there. When a client goes
// away, normally or killed, the server's import of its reply channel closes, and the server
// drops the session.
//
//   netchan_echo                   the demo: a server, three clients as child processes, and a
//                                  fourth that is killed mid-session
//   netchan_echo serve ENDPOINT    a server on its own
//   netchan_echo client ENDPOINT ID COUNT [PAUSE_MS]
//                                  a client: sends COUNT lines, checks each answer is its own
#include "netchan/chan_ref.hpp"
#include "netchan/netchan.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using netchan::dir;

namespace {

struct echo_request {
    std::string text;
    netchan::chan_ref<std::string> reply;
    NETCHAN_STRUCT(echo_request, text, reply);
};

// Quick failure detection, so the demo shows the cleanup within a second.
constexpr netchan::importer_options reply_import{
    .heartbeat_interval = 100ms, .peer_timeout = 1000ms, .close_when_exporter_lost = true};

// Answers requests until stopped; says what happens on `log`.
void serve(netchan::chan<echo_request> requests, netchan::chan<std::string> log,
           std::stop_token stop) {
    struct session {
        std::unique_ptr<netchan::importer> imp;
        netchan::chan<std::string> out;
    };
    std::map<std::string, session> sessions; // by the reply channel's endpoint and name
    while (!stop.stop_requested()) {
        std::optional<echo_request> req;
        (void)netchan::select(netchan::on_recv(requests, [&](auto r) { req = std::move(r); }),
                              netchan::after(100ms));
        if (req) {
            const std::string key = req->reply.endpoint + " " + req->reply.name;
            auto& s = sessions[key];
            if (!s.imp) {
                s.imp = std::make_unique<netchan::importer>(req->reply.endpoint, reply_import);
                s.out = s.imp->import_chan<std::string>(req->reply.name, dir::send, 8);
                log.send("session opened for " + req->reply.name);
            }
            try {
                (void)s.out.send_for("echo: " + req->text, 1s);
            } catch (const netchan::closed_error&) {
                // the client is gone: the sweep below drops the session
            }
        }
        for (auto it = sessions.begin(); it != sessions.end();) {
            if (it->second.out.closed()) {
                log.send("session closed for " + it->first.substr(it->first.find(' ') + 1));
                it = sessions.erase(it);
            } else {
                ++it;
            }
        }
    }
}

// Exports the request channel (before anyone learns the endpoint: a client that imports it
// first would be refused), then serves on a thread of its own.
std::jthread start_server(netchan::exporter& exp, netchan::chan<std::string> log) {
    netchan::chan<echo_request> requests(64);
    exp.export_chan("echo", requests, dir::recv);
    return std::jthread([requests, log](std::stop_token stop) { serve(requests, log, stop); });
}

int client(const std::string& endpoint, const std::string& id, long count, long pause_ms) {
    netchan::exporter exp("tcp://127.0.0.1:*");
    netchan::chan<std::string> replies(8);
    const std::string name = "echo.reply." + id;
    exp.export_chan(name, replies, dir::recv);
    const netchan::chan_ref<std::string> me{exp.endpoint(), name};

    netchan::importer imp(endpoint);
    auto requests = imp.import_chan<echo_request>("echo", dir::send, 8);
    for (long i = 1; i <= count; ++i) {
        const std::string text = id + " #" + std::to_string(i);
        requests.send(echo_request{text, me});
        const auto answer = replies.recv_for(5s);
        if (answer != "echo: " + text) {
            std::printf("client %s: asked '%s', got '%s'\n", id.c_str(), text.c_str(),
                        answer ? answer->c_str() : "nothing");
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    }
    std::printf("client %s: %ld answers, each its own\n", id.c_str(), count);
    std::fflush(stdout);
    return 0;
}

// This program again, as a child process running `args`.
pid_t spawn(std::vector<std::string> args) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::vector<char*> argv{const_cast<char*>("netchan_echo")};
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        ::execv("/proc/self/exe", argv.data());
        ::_exit(127);
    }
    return pid;
}

int exit_code(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int demo() {
    netchan::exporter exp("tcp://127.0.0.1:*");
    netchan::chan<std::string> log(64);
    std::jthread server = start_server(exp, log);
    std::printf("echo server at %s\n", exp.endpoint().c_str());
    std::fflush(stdout);

    std::vector<pid_t> clients;
    for (const char* id : {"alice", "bob", "carol"}) {
        clients.push_back(spawn({"client", exp.endpoint(), id, "5", "20"}));
    }
    const pid_t victim = spawn({"client", exp.endpoint(), "mallory", "1000000", "20"});

    bool ok = true;
    for (pid_t c : clients) {
        ok = exit_code(c) == 0 && ok;
    }
    ::kill(victim, SIGKILL);
    (void)exit_code(victim);
    std::printf("mallory was killed mid-session\n");
    std::fflush(stdout);

    // Every session opens and closes again: three clients leave, one is killed.
    int closed = 0;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (closed < 4 && std::chrono::steady_clock::now() < deadline) {
        if (auto line = log.recv_for(1s)) {
            std::printf("server: %s\n", line->c_str());
            closed += line->rfind("session closed", 0) == 0 ? 1 : 0;
        }
    }
    std::fflush(stdout);
    ok = ok && closed == 4;
    std::printf("%s\n", ok ? "done: every client got its own answers, every session was cleaned up"
                           : "FAILED: see above");
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 1) {
            return demo();
        }
        const std::string mode = argv[1];
        if (mode == "serve" && argc == 3) {
            netchan::exporter exp(argv[2]);
            netchan::chan<std::string> log(64);
            std::jthread server = start_server(exp, log);
            std::printf("echo server at %s\n", exp.endpoint().c_str());
            for (const auto& line : log) {
                std::printf("%s\n", line.c_str());
                std::fflush(stdout);
            }
            return 0;
        }
        if (mode == "client" && (argc == 5 || argc == 6)) {
            return client(argv[2], argv[3], std::atol(argv[4]), argc == 6 ? std::atol(argv[5]) : 0);
        }
        std::fprintf(stderr, "usage: netchan_echo [serve ENDPOINT | client ENDPOINT ID COUNT "
                             "[PAUSE_MS]]\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "netchan_echo: %s\n", e.what());
        return 1;
    }
}
