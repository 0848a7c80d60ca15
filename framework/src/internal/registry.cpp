#include "internal/registry.hpp"

#include <map>
#include <mutex>

namespace netchan::internal {
namespace {

std::mutex mu;
std::map<std::string, local_exports*>& exporters() { // guarded by mu
    static std::map<std::string, local_exports*> m;
    return m;
}

} // namespace

void register_exporter(const std::string& endpoint, local_exports* x) {
    if (endpoint.rfind("inproc://", 0) == 0) {
        return;
    }
    std::lock_guard lock(mu);
    exporters()[endpoint] = x;
}

void unregister_exporter(const std::string& endpoint) noexcept {
    std::lock_guard lock(mu);
    exporters().erase(endpoint);
}

std::shared_ptr<void> find_local(const std::string& endpoint, const std::string& name,
                                 const std::type_info& type, dir d) {
    std::lock_guard lock(mu); // held across the lookup: unregister waits for it
    auto it = exporters().find(endpoint);
    return it == exporters().end() ? nullptr : it->second->local_handle(name, type, d);
}

} // namespace netchan::internal
