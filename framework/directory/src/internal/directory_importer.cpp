#include "directory_importer.hpp"

#include "netchan/directory_error.hpp"
#include "netchan/select.hpp"

#include "internal/registry.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <thread>

namespace netchan::detail {

namespace {

using clock = std::chrono::steady_clock;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) {
        out += (out.empty() ? "" : ",") + s;
    }
    return out;
}

// Whether the exporter of `e` serves an import of `type` for this side's direction `d`.
bool fits(const directory_entry& e, const std::string& type, dir d) {
    return e.type == type && e.direction != d && !e.endpoints.empty();
}

} // namespace

directory_importer::directory_importer(std::vector<std::string> directories,
                                       importer_options options)
    : options_(options), client_(directories, {options.import_timeout}),
      endpoint_(join(directories)), errors_(options.errors_capacity) {
}

directory_importer::~directory_importer() {
    stop_.close();
    std::thread follower;
    {
        std::lock_guard lock(mu_);
        follower = std::move(follower_);
    }
    if (follower.joinable()) {
        follower.join();
    }
    // Groups first forget their links: a connection still running must not reach, through a
    // group, the links of one already destroyed.
    for (auto& i : imports_) {
        i.group->close();
    }
    for (auto& [endpoint, c] : connections_) {
        c->shut(); // every loop stops before any link is freed: a group links them all
    }
    connections_.clear();
    imports_.clear(); // then the groups, which the links used
}

std::shared_ptr<void> directory_importer::find_local(const std::string& name,
                                                     const std::type_info& type, dir d) {
    if (!options_.local_fast_path) {
        return nullptr;
    }
    // Only a name exported by this process alone: the fast path cannot merge other exporters.
    const auto entries = client_.resolve(name);
    if (entries.size() != 1 || entries.front().endpoints.empty()) {
        return nullptr;
    }
    return internal::find_local(entries.front().endpoints.front(), name, type,
                                d == dir::recv ? dir::send : dir::recv);
}

std::vector<directory_entry>
directory_importer::exporters_of(const std::string& name, const std::string& type, dir d) const {
    const auto deadline = clock::now() + options_.import_timeout;
    // Those that fit; when none does, one that does not, for the exporter's refusal (naming
    // both types, or the direction).
    auto pick = [&](std::vector<directory_entry> entries) {
        std::erase_if(entries, [](const auto& e) { return e.endpoints.empty(); });
        std::vector<directory_entry> fitting;
        std::copy_if(entries.begin(), entries.end(), std::back_inserter(fitting),
                     [&](const auto& e) { return fits(e, type, d); });
        if (fitting.empty() && !entries.empty()) {
            fitting.push_back(entries.front());
        }
        return fitting;
    };
    if (auto found = pick(client_.resolve(name)); !found.empty()) {
        return found;
    }
    // Not there yet: watch for it to appear. Watching first and resolving again after closes
    // the gap between the two; a watch that ends (no directory answers it) is made again.
    std::optional<directory_watch> watch;
    for (;;) {
        if (!watch) {
            try {
                watch.emplace(client_.watch());
            } catch (const error&) {
                // No subscription now: resolve again below, then wait a while for the next try.
            }
        }
        if (auto found = pick(client_.resolve(name)); !found.empty()) {
            return found;
        }
        for (;;) {
            const auto now = clock::now();
            if (now >= deadline) {
                throw error("netchan: importing '" + name +
                            "': no exporter of that name in directory " + endpoint_ + " (waited " +
                            std::to_string(options_.import_timeout.count()) + " ms)");
            }
            // Without a watch, a wait of a tenth of the timeout (at most 1 s) between resolves.
            const auto wait =
                watch ? deadline - now
                      : std::min<clock::duration>({deadline - now, options_.import_timeout / 10,
                                                   std::chrono::seconds(1)});
            std::optional<directory_event> ev;
            if (watch) {
                ev = watch->events().recv_for(wait);
                if (!ev && watch->events().closed()) {
                    watch.reset(); // the subscription ended: make another, resolve again
                    break;
                }
            } else {
                std::this_thread::sleep_for(wait);
                break;
            }
            if (ev && ev->entry.name == name && ev->what != directory_event::kind::gone) {
                if (auto found = pick({ev->entry}); !found.empty()) {
                    return pick(client_.resolve(name)); // every exporter known by now
                }
            }
        }
    }
}

internal::import_connection& directory_importer::connection(const std::string& endpoint) {
    std::lock_guard lock(mu_);
    auto& c = connections_[endpoint];
    if (!c) {
        c = internal::connect_exporter(endpoint, options_, errors_);
    }
    return *c;
}

void directory_importer::attach(internal::import_group& g, const directory_entry& e,
                                std::uint64_t limit) {
    const std::string& endpoint = e.endpoints.front();
    if (g.attached_to(endpoint)) {
        return;
    }
    auto& c = connection(endpoint);
    g.hold(); // an exporter that closes at once must not close the channel before the others
    try {
        c.add_link(g, limit);
    } catch (...) {
        g.release();
        throw;
    }
    g.release();
    if (g.closed()) { // hung up meanwhile
        c.hangup(g);
    }
}

void directory_importer::attach_all(internal::import_group& g,
                                    const std::vector<directory_entry>& entries) {
    for (const auto& e : entries) {
        if (g.closed() || stop_.closed()) {
            return;
        }
        if (!fits(e, g.type(), g.direction()) || g.attached_to(e.endpoints.front())) {
            continue;
        }
        try {
            attach(g, e, 0);
        } catch (const error& ex) {
            (void)errors_.try_send(error_event{errc::peer_lost, g.name(), e.endpoints.front(),
                                               std::string("could not attach: ") + ex.what()});
        }
    }
}

void directory_importer::add(const std::string& name, const port_factory& make_port, dir d,
                             std::size_t credit, std::size_t limit) {
    auto group = std::make_unique<internal::import_group>(name, d, credit, make_port);
    const auto entries = exporters_of(name, group->type(), d);
    // Every exporter, each within the import timeout; a single one for import_n. The channel
    // does not close before all were tried.
    const std::size_t n = limit != 0 ? 1 : entries.size();
    std::vector<std::string> failures;
    group->hold();
    for (std::size_t i = 0; i < n; ++i) {
        try {
            attach(*group, entries[i], limit);
        } catch (const error& e) {
            failures.emplace_back(e.what());
        }
    }
    group->release();
    if (!group->attached()) {
        // Every attach failed, or the exporter hung up the import as soon as it was made.
        throw error(failures.empty() ? "netchan: importing '" + name + "': the exporter at " +
                                           entries.front().endpoints.front() +
                                           " ended the import as soon as it was made"
                                     : failures.front());
    }
    for (const auto& f : failures) { // the follower tries them again
        (void)errors_.try_send(error_event{errc::peer_lost, name, endpoint_, f});
    }
    std::lock_guard lock(mu_);
    imports_.push_back({std::move(group), limit == 0});
    if (limit == 0 && !follower_.joinable()) {
        follower_ = std::thread([this] { follow(); });
    }
}

void directory_importer::hangup(const std::string& name) {
    std::vector<internal::import_connection*> conns;
    internal::import_group* g = nullptr;
    {
        std::lock_guard lock(mu_);
        for (auto& i : imports_) {
            if (i.group->name() == name && !i.group->closed()) {
                g = i.group.get();
                break;
            }
        }
        for (auto& [ep, c] : connections_) {
            conns.push_back(c.get());
        }
    }
    if (g == nullptr) {
        throw error("netchan: nothing named '" + name + "' is imported through " + endpoint_);
    }
    g->close();
    for (auto* c : conns) {
        c->hangup(*g);
    }
}

bool directory_importer::drain(std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    std::vector<internal::import_connection*> conns;
    std::vector<internal::import_group*> sends;
    {
        std::lock_guard lock(mu_);
        for (auto& [ep, c] : connections_) {
            conns.push_back(c.get());
        }
        for (auto& i : imports_) {
            if (i.group->direction() == dir::send && !i.group->closed()) {
                sends.push_back(i.group.get());
            }
        }
    }
    // Values given back by a lost exporter wait for another one.
    for (;;) {
        const bool waiting = std::any_of(sends.begin(), sends.end(), [](auto* g) {
            return g->given_back() != 0 || g->queued() != 0;
        });
        if (!waiting) {
            break;
        }
        if (clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (auto* c : conns) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (!c->drain(std::max(left, std::chrono::milliseconds(0)))) {
            return false;
        }
    }
    return true;
}

import_stats directory_importer::stats(const std::string& name) const {
    std::lock_guard lock(mu_);
    const internal::import_group* g = nullptr;
    for (auto& i : imports_) {
        if (i.group->name() == name) {
            g = i.group.get(); // the latest import of the name
        }
    }
    if (g == nullptr) {
        throw error("netchan: nothing named '" + name + "' is imported through " + endpoint_);
    }
    import_stats sum;
    for (auto& [ep, c] : connections_) {
        (void)c->add_stats(*g, sum);
    }
    return sum;
}

// Attaches exporters as they appear (watch events) and, every second, resolves again the names
// left with no exporter (an event missed while no directory answered).
void directory_importer::follow() {
    std::optional<directory_watch> watch;
    chan<directory_event> events; // stays empty until a watch is made
    auto next_check = clock::now();
    for (;;) {
        if (!watch) {
            try {
                watch.emplace(client_.watch());
                events = watch->events();
            } catch (const error&) {
                // No directory answers now: the periodic check keeps trying.
            }
        }
        std::optional<directory_event> ev;
        bool stopping = false;
        bool watch_ended = false;
        select(on_recv(stop_, [&](std::optional<bool>) { stopping = true; }),
               on_recv(events,
                       [&](std::optional<directory_event> e) {
                           ev = std::move(e);
                           watch_ended = !ev;
                       }),
               after(std::chrono::seconds(1)));
        if (stopping) {
            return;
        }
        if (watch_ended) {
            watch.reset();
            events = chan<directory_event>();
        }
        std::vector<internal::import_group*> groups;
        {
            std::lock_guard lock(mu_);
            for (auto& i : imports_) {
                if (i.follow && !i.group->closed()) {
                    groups.push_back(i.group.get());
                }
            }
        }
        if (ev && ev->what != directory_event::kind::gone) {
            for (auto* g : groups) {
                if (g->name() == ev->entry.name) {
                    attach_all(*g, {ev->entry});
                }
            }
        }
        if (clock::now() >= next_check) {
            next_check = clock::now() + std::chrono::seconds(1);
            for (auto* g : groups) {
                if (g->attached()) {
                    continue;
                }
                try {
                    attach_all(*g, client_.resolve(g->name()));
                } catch (const error&) {
                    // No directory answers: try again at the next check.
                }
            }
        }
    }
}

} // namespace netchan::detail
