#include "netchan/internal/liveness.hpp"

namespace netchan::internal {

std::vector<std::string> liveness::lost(clock::time_point now) {
    std::vector<std::string> silent;
    for (auto it = last_heard_.begin(); it != last_heard_.end();) {
        if (now - it->second > timeout_) {
            silent.push_back(it->first);
            it = last_heard_.erase(it);
        } else {
            ++it;
        }
    }
    return silent;
}

} // namespace netchan::internal
