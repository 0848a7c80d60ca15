#pragma once

#include "netchan/directory_client.hpp"
#include "netchan/importer.hpp"

#include "internal/import_connection.hpp"
#include "internal/import_group.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace netchan::detail {

/// The importer of names (docs/design.md section 5): resolves a name through the directories,
/// imports it from every exporter of the name as one import_group, and follows the name: a
/// watch on the directories attaches exporters that appear; a group left with no exporter
/// resolves again until one is back. One connection per exporter endpoint, shared by groups.
/// Thread-safe.
class directory_importer {
public:
    using port_factory = std::function<std::unique_ptr<port>()>;

    directory_importer(std::vector<std::string> directories, importer_options options);
    ~directory_importer();
    directory_importer(const directory_importer&) = delete;
    directory_importer& operator=(const directory_importer&) = delete;

    std::shared_ptr<void> find_local(const std::string& name, const std::type_info& type, dir d);
    void add(const std::string& name, const port_factory& make_port, dir d, std::size_t credit,
             std::size_t limit);
    void hangup(const std::string& name);
    bool drain(std::chrono::milliseconds timeout);
    import_stats stats(const std::string& name) const;
    chan<error_event> errors() const { return errors_; }
    const std::string& endpoint() const noexcept { return endpoint_; }

private:
    struct import {
        std::unique_ptr<internal::import_group> group;
        bool follow = true; // import_n stays with its one exporter
    };

    /// Returns the exporters of `name` that fit an import of `type` for direction `d`,
    /// waiting up to the import timeout for one to appear. Throws error.
    std::vector<directory_entry> exporters_of(const std::string& name, const std::string& type,
                                              dir d) const;
    /// Attaches `g` to the exporter of `e` (if not attached yet). Throws error.
    void attach(internal::import_group& g, const directory_entry& e, std::uint64_t limit);
    /// Attaches `g` to every exporter of `entries` it lacks; failures are reported as events.
    void attach_all(internal::import_group& g, const std::vector<directory_entry>& entries);
    internal::import_connection& connection(const std::string& endpoint);
    void follow(); // the follower thread

    importer_options options_;
    directory_client client_;
    std::string endpoint_;
    chan<error_event> errors_;
    chan<bool> stop_;

    mutable std::mutex mu_;
    std::map<std::string, std::unique_ptr<internal::import_connection>> connections_; // guarded
    std::vector<import> imports_;                                                     // guarded
    std::thread follower_;                                                            // guarded
};

} // namespace netchan::detail
