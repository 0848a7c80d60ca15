#pragma once

#include "netchan/exporter.hpp"
#include "netchan/importer.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>

namespace netchan::test {

/// Returns a fresh endpoint of `transport` ("tcp", "ipc" or "inproc") that no other test uses.
inline std::string fresh_endpoint(const std::string& transport) {
    static std::atomic<int> counter{0};
    const int n = counter++;
    if (transport == "tcp") {
        return "tcp://127.0.0.1:*";
    }
    if (transport == "ipc") {
        const auto dir = std::filesystem::temp_directory_path() / "netchan-tests";
        std::filesystem::create_directories(dir);
        return "ipc://" +
               (dir / ("t" + std::to_string(::getpid()) + "-" + std::to_string(n))).string();
    }
    return "inproc://netchan-test-" + std::to_string(n);
}

/// Importer options for tests of the wire: never take the same-process shortcut.
inline importer_options wire_only() {
    importer_options o;
    o.local_fast_path = false;
    o.import_timeout = std::chrono::milliseconds(3000);
    return o;
}

} // namespace netchan::test
