#include "netchan/directory_endpoints.hpp"

#include "netchan/error.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace netchan {

namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(trim(v)) : std::string();
}

// Returns the first IPv4 address of an interface that is up and not loopback, or "".
std::string primary_ipv4() {
    ifaddrs* all = nullptr;
    if (::getifaddrs(&all) != 0) {
        return {};
    }
    std::string found;
    for (const ifaddrs* i = all; i != nullptr && found.empty(); i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET ||
            (i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) {
            continue;
        }
        char text[INET_ADDRSTRLEN] = {};
        sockaddr_in addr{};
        std::memcpy(&addr, i->ifa_addr, sizeof addr);
        if (::inet_ntop(AF_INET, &addr.sin_addr, text, sizeof text) != nullptr) {
            found = text;
        }
    }
    ::freeifaddrs(all);
    return found;
}

} // namespace

std::vector<std::string> split_endpoints(std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto item = trim(list.substr(0, comma));
        if (!item.empty()) {
            out.emplace_back(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return out;
}

std::vector<std::string> directory_endpoints(std::string_view option) {
    std::string source = "--directory";
    std::string list(trim(option));
    if (list.empty()) {
        list = env("NETCHAN_DIRECTORY");
        source = "NETCHAN_DIRECTORY";
    }
    if (list.empty()) {
        return {std::string(default_directory_endpoint)};
    }
    auto out = split_endpoints(list);
    if (out.empty()) {
        throw error("netchan: " + source + " \"" + list + "\" names no directory endpoint");
    }
    return out;
}

std::string advertise_host() {
    if (auto h = env("NETCHAN_ADVERTISE_HOST"); !h.empty()) {
        return h;
    }
    if (auto ip = primary_ipv4(); !ip.empty()) {
        return ip;
    }
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') {
        return name;
    }
    return "127.0.0.1";
}

std::string advertised_endpoint(std::string_view bound) {
    constexpr std::string_view tcp = "tcp://";
    if (bound.substr(0, tcp.size()) != tcp) {
        return std::string(bound);
    }
    const auto rest = bound.substr(tcp.size());
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
        return std::string(bound);
    }
    const auto host = rest.substr(0, colon);
    if (host != "0.0.0.0" && host != "*" && host != "[::]" && host != "::") {
        return std::string(bound);
    }
    std::string h = advertise_host();
    if (h.find(':') != std::string::npos && h.front() != '[') {
        h = "[" + h + "]"; // an IPv6 address in an endpoint needs brackets
    }
    return std::string(tcp) + h + std::string(rest.substr(colon));
}

} // namespace netchan
