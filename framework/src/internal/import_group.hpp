#pragma once

#include "netchan/detail/port.hpp"
#include "netchan/dir.hpp"
#include "netchan/internal/wire.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netchan::internal {

/// One channel imported by name from every exporter of that name (docs/design.md section 5): one
/// link per exporter, all moving values through the same local channel.
///
/// Receiving: each link delivers into the channel through deliver(), which records whose values
/// sit where in the channel (it is FIFO); consumption is then counted per link, so each exporter
/// gets exactly its own acknowledgements. Sending: every link takes values from the channel as
/// its exporter's credit allows (demand follows credit); a link whose exporter is lost gives
/// back what was unacknowledged, and the next link to take values takes those first.
/// The group is the channel's observer. Thread-safe.
class import_group final : public detail::chan_observer {
public:
    /// A link of the group, as the group sees it.
    class member {
    public:
        virtual ~member() = default;
        /// `consumed` values of this link (counted since the link began) were consumed; `queued`
        /// values are still in the channel.
        virtual void count_consumed(std::uint64_t consumed, std::uint64_t queued) noexcept = 0;
        /// A value may be waiting in the channel, or given back (sending links).
        virtual void value_offered() noexcept = 0;
        /// The channel has room again for values this link holds back (receiving links).
        virtual void room() noexcept = 0;
    };

    using port_factory = std::function<std::unique_ptr<detail::port>()>;

    /// `d` is this side's direction; `credit` each link's credit.
    import_group(std::string name, dir d, std::uint64_t credit, port_factory make_port);
    ~import_group() override;
    import_group(const import_group&) = delete;
    import_group& operator=(const import_group&) = delete;

    const std::string& name() const noexcept { return name_; }
    dir direction() const noexcept { return d_; }
    std::uint64_t credit() const noexcept { return credit_; }
    /// Returns the channel's type descriptor.
    const std::string& type() const noexcept { return channel_->type(); }
    /// Returns a new port on the group's channel, for a new link.
    std::unique_ptr<detail::port> new_port() const { return make_port_(); }

    /// A link attached to the exporter at `endpoint`.
    void join(member& m, const std::string& endpoint);
    /// An attach begins: until release(), the channel does not close for lack of links.
    void hold();
    /// An attach ended (joined or failed).
    void release();
    /// The exporter of link `m` closed its stream and everything arrived; the link stays for
    /// the acknowledgements. The channel closes once every link is finished or gone.
    void finish(member& m);
    /// The link ended: `finished` counts it as a completed stream, false when it was lost.
    /// The channel closes once every link left is finished and one was.
    void leave(member& m, bool finished);
    /// Returns whether a link to `endpoint` is attached.
    bool attached_to(const std::string& endpoint) const;
    /// Returns whether any link is attached.
    bool attached() const;
    /// Closes the channel and forgets every link (hang-up). Idempotent.
    void close() noexcept;
    /// Returns whether the channel was closed by the group.
    bool closed() const;

    // Receiving.

    /// Moves the decoded values of link `m` (its port `p`) into the channel while it has room
    /// (what does not fit is delivered at room()). Returns how many moved. Throws
    /// closed_error when the channel was closed.
    std::size_t deliver(member& m, detail::port& p);
    /// `n` values of link `m` were bad: they count as consumed in their turn.
    void skip(member& m, std::uint64_t n);
    /// Counts consumption now, however little (the links' periodic tick).
    void count_now() noexcept;

    // Sending.

    /// Values a lost link had sent without acknowledgement; the next link to take values
    /// sends them first.
    void give_back(wire::value_batch values);
    /// Moves up to `max` given-back values to `out`. Returns how many moved.
    std::size_t take_back(wire::value_batch& out, std::size_t max);
    /// Returns the number of given-back values waiting for a link.
    std::size_t given_back() const;
    /// Returns the number of values in the channel.
    std::size_t queued() const noexcept { return channel_->queued(); }

    /// A sending link found the channel empty and waits for value_offered (see on_value_offered).
    void armed(member& m);
    /// The link found values after all: it stops waiting.
    void disarm(member& m);
    /// Whether the link `m` has sent everything it took and all of it was acknowledged.
    void settle(member& m, bool settled);
    /// Whether every link settled and nothing given back waits: the links may close their
    /// streams (a link that closed could not take values a lost one gives back).
    bool quiet() const;

    // chan_observer.
    void on_recv_request() noexcept override;
    void on_value_offered() noexcept override;
    std::uint8_t interests() const noexcept override {
        return d_ == dir::recv ? recv_requests : values_offered;
    }

private:
    struct run {
        member* m;       // nullptr once the link left
        std::uint64_t n; // values
        bool in_channel; // false: bad values, consumed in their turn without a receive
    };
    struct member_state {
        member* m;
        std::string endpoint;
        std::uint64_t consumed = 0;
        bool armed = false;
        bool finished = false;
        bool held = false;    // receiving: values wait for room in the channel
        bool settled = false; // sending
    };

    /// Calls to links, made once mu_ is released: a link may run its work at once on the
    /// calling thread, and that work takes mu_.
    struct notices {
        std::vector<std::pair<member*, std::uint64_t>> consumed; // count_consumed
        std::uint64_t queued = 0;
        std::vector<member*> room;
        std::vector<member*> offered;
        void send() noexcept;
    };

    member_state* find(member& m);
    void attribute(notices& later); // mu_ held
    bool should_close() const;      // mu_ held: every link finished (receiving)
    bool quiet_locked() const;      // mu_ held
    void wake_all(notices& later);  // mu_ held
    /// Closes the channel, after mu_ was released: closing calls the observer back.
    void close_channel() noexcept;

    std::string name_;
    dir d_;
    std::uint64_t credit_;
    port_factory make_port_;
    std::unique_ptr<detail::port> channel_; // the group's own view of the channel

    mutable std::mutex mu_;
    std::vector<member_state> links_;         // guarded by mu_
    std::deque<run> runs_;                    // guarded by mu_: the channel's values, in order
    std::uint64_t attributed_ = 0;            // guarded by mu_: channel values counted consumed
    bool finished_any_ = false;               // guarded by mu_
    bool closed_ = false;                     // guarded by mu_
    int holds_ = 0;                           // guarded by mu_: attaches in progress
    wire::value_batch given_back_;            // guarded by mu_
    std::atomic<std::uint64_t> delivered_{0}; // values put into the channel
    std::atomic<std::uint64_t> seen_{0};      // consumption seen at receive requests
    std::atomic<std::uint64_t> counted_{0};   // consumption already attributed (a hint)
    std::atomic<int> armed_{0};               // sending links waiting for a value
};

} // namespace netchan::internal
