#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

namespace netchan::test {

/// Returns a fresh ipc:// endpoint under the temp directory, unique in this test run.
inline std::string fresh_ipc_endpoint(const std::string& tag) {
    static std::atomic<int> counter{0};
    const auto dir = std::filesystem::temp_directory_path() / "netchan-tests";
    std::filesystem::create_directories(dir);
    return "ipc://" +
           (dir / (tag + std::to_string(::getpid()) + "-" + std::to_string(counter++))).string();
}

/// Evaluates `done` every 10 ms until it returns true (returns true) or `timeout` passes
/// (returns false): for states reached through a remote process, where there is no handshake
/// to wait on.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (done()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

} // namespace netchan::test
