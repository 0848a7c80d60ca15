#pragma once

#include "netchan/chan.hpp"
#include "netchan/directory_entry.hpp"
#include "netchan/directory_error.hpp"
#include "netchan/directory_event.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netchan {

namespace detail {
class directory_link;
class directory_watch_impl;
} // namespace detail

/// Settings of a directory client.
struct directory_client_options {
    /// Longest a query waits for any directory to answer before it throws directory_error.
    std::chrono::milliseconds timeout{3000};
};

/// A live subscription to a directory's changes; events arrive on events() with no polling.
///
/// Subscribes with one directory at a time; when it stops answering the subscription moves to
/// the next. Events that happen while no directory is subscribed, or while events() is full for
/// longer than the directory's watch lease, are not seen.
/// Thread-safe.
class directory_watch {
public:
    directory_watch(directory_watch&&) noexcept;
    directory_watch& operator=(directory_watch&&) noexcept;
    /// Unsubscribes (best effort) and stops within a bounded time; closes events().
    ~directory_watch();

    /// Returns the channel the changes arrive on; it closes when the watch is destroyed.
    [[nodiscard]] chan<directory_event> events() const { return events_; }

private:
    friend class directory_client;
    directory_watch(std::unique_ptr<detail::directory_watch_impl> impl, chan<directory_event> ev);

    std::unique_ptr<detail::directory_watch_impl> impl_;
    chan<directory_event> events_;
};

/// Asks directories what is exported (docs/design.md section 5).
///
/// With several directory endpoints a query goes to the one that answered last; when it does
/// not answer soon the others are asked too, and the first answer wins. No query waits longer
/// than the timeout: then it throws directory_error naming the endpoints.
///
/// @code
/// netchan::directory_client dir(netchan::directory_endpoints());
/// for (const auto& e : dir.resolve("jobs")) connect_to(e.endpoints);
/// @endcode
/// Thread-safe: queries from several threads take turns.
class directory_client {
public:
    /// Throws error when `endpoints` is empty, transport_error for a malformed endpoint.
    explicit directory_client(std::vector<std::string> endpoints,
                              directory_client_options options = {});
    ~directory_client();
    directory_client(const directory_client&) = delete;
    directory_client& operator=(const directory_client&) = delete;

    /// Returns every live entry, ordered by name. Throws directory_error.
    [[nodiscard]] std::vector<directory_entry> list() const;

    /// Returns the live entries of `name` (one per exporter); empty when no one exports it.
    /// Throws directory_error when no directory answers.
    [[nodiscard]] std::vector<directory_entry> resolve(const std::string& name) const;

    /// Subscribes to changes; `capacity` bounds the events buffered unread.
    /// Throws directory_error when no directory accepts the subscription in time.
    [[nodiscard]] directory_watch watch(std::size_t capacity = 1024) const;

    /// Returns the endpoints this client asks.
    [[nodiscard]] const std::vector<std::string>& endpoints() const noexcept { return endpoints_; }

private:
    std::vector<std::string> endpoints_;
    directory_client_options options_;
    mutable std::mutex mu_;
    mutable std::vector<std::unique_ptr<detail::directory_link>> links_; // guarded by mu_
    mutable std::size_t preferred_ = 0;                                  // guarded by mu_
};

} // namespace netchan
