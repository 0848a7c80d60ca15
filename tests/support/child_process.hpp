#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace netchan::test {

/// A child process started with a pipe on its stdout; killed (SIGKILL) and reaped by the
/// destructor if still running, and killed when the test process dies, so a failing or killed
/// test never leaves it behind.
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
class child_process {
public:
    /// Starts `argv[0]` with `argv`. Throws std::runtime_error when fork or exec fails.
    explicit child_process(std::vector<std::string> argv) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe failed");
        }
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0) {
            throw std::runtime_error("fork failed");
        }
        if (pid_ == 0) {
            // Killed with the test too, even when a timeout kills the test with SIGKILL (which
            // no destructor sees). The signal follows the forking thread: tests start children
            // from their own thread.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) {
                ::_exit(127); // the test died before the signal was asked for
            }
            ::dup2(fds[1], STDOUT_FILENO);
            std::vector<char*> args;
            for (auto& a : argv) {
                args.push_back(a.data());
            }
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        out_ = fds[0];
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    ~child_process() {
        kill(SIGKILL);
        (void)wait(std::chrono::seconds(10));
        if (out_ >= 0) {
            ::close(out_);
        }
    }

    /// Reads one line of the child's stdout, waiting at most `timeout`. Empty on timeout or EOF.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto nl = buf_.find('\n'); nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return std::nullopt;
            }
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                continue;
            }
            char chunk[4096];
            const auto n = ::read(out_, chunk, sizeof chunk);
            if (n <= 0) {
                return std::nullopt;
            }
            buf_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    /// Sends `sig` to the child if it still runs.
    void kill(int sig) noexcept {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, sig);
        }
    }

    /// Waits at most `timeout` for the child to exit. Returns its exit code (128 + signal when
    /// killed), or empty on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        if (exited_) {
            return status_;
        }
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int st = 0;
            const pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                exited_ = true;
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                return status_;
            }
            if (r < 0 || std::chrono::steady_clock::now() >= deadline) {
                return std::nullopt;
            }
            ::usleep(2000);
        }
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string buf_;
    bool exited_ = false;
    int status_ = 0;
};

} // namespace netchan::test
