#pragma once

#include "netchan/error_event.hpp"
#include "netchan/importer.hpp"
#include "netchan/internal/wire.hpp"

#include "import_link.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace netchan::internal {

/// An importer's links lost by their exporter (it died, restarted or gave us up): reports the
/// loss, then ends the link or imports it again under the same request id until answered, and
/// starts it again under its new id.
/// Thread-confined: use only under the importer's loop lock.
class import_resume {
public:
    /// What resuming asks of the importer that owns the socket and the links.
    class owner : public import_wire {
    public:
        /// Reports `ev` where the importer's users look (its errors channel).
        virtual void report(error_event ev) = 0;
        /// Ends `l`; `finished`: in a group, as a completed stream.
        virtual void end_link(import_link& l, bool finished) = 0;
        /// Recv: acknowledges `consumed` good values of `l`, if news.
        virtual void ack_consumed(import_link& l, std::uint64_t consumed) = 0;
        /// Send: sends what is pending on `l` within its credit, and takes more.
        virtual void flush(import_link& l) = 0;

    protected:
        ~owner() = default;
    };

    using link_table = std::map<std::uint64_t, std::unique_ptr<import_link>>;

    /// `links`: the importer's links by the exporter's id; `next_req`: its request id counter;
    /// `endpoint`: the exporter's, for reports.
    import_resume(owner& o, link_table& links, std::uint64_t& next_req, const std::string& endpoint,
                  bool close_when_exporter_lost) noexcept
        : owner_(o), links_(links), next_req_(next_req), endpoint_(endpoint),
          close_when_exporter_lost_(close_when_exporter_lost) {}

    /// The exporter lost `l`: reports it (`why`), then closes the channel or imports it again,
    /// as the options say.
    void lose(import_link& l, const std::string& why);

    /// Asks for a resuming link again (every heartbeat until answered); the exporter answers
    /// repeats of one request with one link.
    void request(import_link& l);

    /// Takes the answer `m` to request `req_id` (`link_id`: 0 when refused) if it is one to a
    /// resume; returns false if it is not.
    bool answered(std::uint64_t req_id, const wire::message& m, std::uint64_t link_id);

private:
    void resumed(std::uint64_t old_id, const wire::message& m, std::uint64_t new_id);

    owner& owner_;
    link_table& links_;
    std::uint64_t& next_req_;
    const std::string& endpoint_;
    bool close_when_exporter_lost_;
    std::map<std::uint64_t, std::uint64_t> reqs_; // request id -> link id
};

} // namespace netchan::internal
