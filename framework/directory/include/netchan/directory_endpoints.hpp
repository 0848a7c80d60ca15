#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace netchan {

/// Where clients look for the directory when neither `--directory` nor NETCHAN_DIRECTORY names
/// one.
inline constexpr std::string_view default_directory_endpoint = "tcp://127.0.0.1:7474";

/// Returns the endpoints of a comma-separated list, trimmed of blanks, empty items dropped.
[[nodiscard]] std::vector<std::string> split_endpoints(std::string_view list);

/// Returns the directory endpoints to use: those of `option` (a `--directory` value) when it is
/// not empty, else those of the NETCHAN_DIRECTORY environment variable when set and not empty,
/// else default_directory_endpoint. Throws error when the chosen list holds no endpoint.
[[nodiscard]] std::vector<std::string> directory_endpoints(std::string_view option = {});

/// Returns the host other machines should use to reach this one: NETCHAN_ADVERTISE_HOST when set,
/// else the first non-loopback IPv4 address of an interface that is up, else the host name.
[[nodiscard]] std::string advertise_host();

/// Returns `bound` with a wildcard host (`tcp://0.0.0.0:P`, `tcp://*:P`, `tcp://[::]:P`) replaced
/// by advertise_host(), so that the endpoint registered in a directory is one other hosts can
/// reach. Other endpoints (a concrete host, ipc://, inproc://) are returned unchanged.
[[nodiscard]] std::string advertised_endpoint(std::string_view bound);

/// The directories an importer finds exports in: `importer imp{directories{}}` asks those of
/// directory_endpoints() (NETCHAN_DIRECTORY, else the default).
/// Thread-compatible: const members may run concurrently; mutation needs external sync.
struct directories {
    std::vector<std::string> endpoints = directory_endpoints();
};

} // namespace netchan
