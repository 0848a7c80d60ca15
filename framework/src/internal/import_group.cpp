#include "import_group.hpp"

#include "netchan/internal/receive_window.hpp"

#include <algorithm>

namespace netchan::internal {

import_group::import_group(std::string name, dir d, std::uint64_t credit, port_factory make_port)
    : name_(std::move(name)), d_(d), credit_(std::max<std::uint64_t>(credit, 1)),
      make_port_(std::move(make_port)), channel_(make_port_()) {
    channel_->core().observer(this);
}

import_group::~import_group() {
    channel_->core().observer(nullptr);
}

import_group::member_state* import_group::find(member& m) {
    for (auto& l : links_) {
        if (l.m == &m) {
            return &l;
        }
    }
    return nullptr;
}

void import_group::join(member& m, const std::string& endpoint) {
    std::lock_guard lock(mu_);
    links_.push_back({&m, endpoint});
}

void import_group::hold() {
    std::lock_guard lock(mu_);
    ++holds_;
}

void import_group::release() {
    bool close = false;
    {
        std::lock_guard lock(mu_);
        --holds_;
        close = should_close();
    }
    if (close) {
        close_channel();
    }
}

void import_group::leave(member& m, bool finished) {
    bool close = false;
    notices later;
    {
        std::lock_guard lock(mu_);
        auto it = std::find_if(links_.begin(), links_.end(), [&](auto& l) { return l.m == &m; });
        if (it == links_.end()) {
            return;
        }
        if (it->armed) {
            armed_.fetch_sub(1);
        }
        links_.erase(it);
        for (auto& r : runs_) { // its values still in the channel are the application's now
            if (r.m == &m) {
                r.m = nullptr;
            }
        }
        finished_any_ = finished_any_ || finished;
        close = should_close();
        if (d_ == dir::send && quiet_locked()) {
            wake_all(later); // the others may close their streams now
        }
    }
    later.send();
    if (close) {
        close_channel();
    }
}

void import_group::finish(member& m) {
    bool close = false;
    {
        std::lock_guard lock(mu_);
        if (member_state* l = find(m)) {
            l->finished = true;
            finished_any_ = true;
            close = should_close();
        }
    }
    if (close) {
        close_channel();
    }
}

// Every exporter attached closed its stream (or went away after one did), and no attach is
// under way that could bring more.
bool import_group::should_close() const {
    return d_ == dir::recv && !closed_ && finished_any_ && holds_ == 0 &&
           std::all_of(links_.begin(), links_.end(), [](const auto& l) { return l.finished; });
}

bool import_group::attached_to(const std::string& endpoint) const {
    std::lock_guard lock(mu_);
    return std::any_of(links_.begin(), links_.end(),
                       [&](const auto& l) { return l.endpoint == endpoint; });
}

bool import_group::attached() const {
    std::lock_guard lock(mu_);
    return !links_.empty();
}

void import_group::close() noexcept {
    {
        std::lock_guard lock(mu_);
        links_.clear();
        armed_.store(0);
    }
    close_channel();
}

bool import_group::closed() const {
    std::lock_guard lock(mu_);
    return closed_;
}

void import_group::close_channel() noexcept {
    {
        std::lock_guard lock(mu_);
        closed_ = true;
    }
    channel_->close();
}

std::size_t import_group::deliver(member& m, detail::port& p) {
    std::lock_guard lock(mu_);
    // Under the lock, so that the runs list the channel's values in the order they went in.
    const std::size_t n = p.deliver_ready();
    if (member_state* l = find(m)) {
        l->held = p.decoded() != 0;
    }
    if (n != 0) {
        if (!runs_.empty() && runs_.back().m == &m && runs_.back().in_channel) {
            runs_.back().n += n;
        } else {
            runs_.push_back({&m, n, true});
        }
        delivered_.fetch_add(n); // after the values are in: consumption is never overcounted
    }
    return n;
}

void import_group::skip(member& m, std::uint64_t n) {
    notices later;
    {
        std::lock_guard lock(mu_);
        runs_.push_back({&m, n, false});
        attribute(later);
    }
    later.send();
}

void import_group::count_now() noexcept {
    if (d_ != dir::recv) {
        return;
    }
    notices later;
    {
        std::lock_guard lock(mu_);
        attribute(later);
    }
    later.send();
}

void import_group::on_recv_request() noexcept {
    if (d_ != dir::recv) {
        return;
    }
    // The application asks for a value: everything it took before is consumed. Counted in
    // steps of a quarter of the credit, as a single link does; count_now() counts the rest.
    const std::uint64_t delivered = delivered_.load();
    const std::uint64_t q = channel_->queued();
    const std::uint64_t consumed = delivered > q ? delivered - q : 0;
    raise_to(seen_, consumed);
    const std::uint64_t counted = counted_.load();
    if (consumed > counted && receive_window::worth_reporting(consumed - counted, credit_, q)) {
        notices later;
        {
            std::lock_guard lock(mu_);
            attribute(later);
        }
        later.send();
    }
}

// Walks the runs from the oldest: values taken from the channel before the latest receive
// request are consumed, each counted for the link it came from (a value the application holds
// is not: it asks for the next one when done); bad values count when their turn comes.
void import_group::attribute(notices& later) {
    const std::uint64_t consumed = seen_.load();
    later.queued = channel_->queued();
    std::uint64_t budget = consumed > attributed_ ? consumed - attributed_ : 0;
    std::vector<member_state*> touched;
    while (!runs_.empty()) {
        run& r = runs_.front();
        std::uint64_t k = r.n;
        if (r.in_channel) {
            if (budget == 0) {
                break;
            }
            k = std::min(budget, r.n);
            budget -= k;
            attributed_ += k;
        }
        if (r.m != nullptr) {
            if (member_state* l = find(*r.m)) {
                l->consumed += k;
                if (std::find(touched.begin(), touched.end(), l) == touched.end()) {
                    touched.push_back(l);
                }
            }
        }
        r.n -= k;
        if (r.n == 0) {
            runs_.pop_front();
        }
    }
    attributed_ += budget; // values whose link left already
    counted_.store(attributed_);
    for (member_state* l : touched) {
        later.consumed.emplace_back(l->m, l->consumed);
    }
    for (auto& l : links_) { // room was made: values held back by a full channel can go in
        if (l.held) {
            l.held = false;
            later.room.push_back(l.m);
        }
    }
}

void import_group::give_back(wire::value_batch values) {
    if (values.empty()) {
        return;
    }
    notices later;
    {
        std::lock_guard lock(mu_);
        values.move_tail(0, given_back_);
        wake_all(later); // one of them takes them (the others find nothing)
    }
    later.send();
}

void import_group::wake_all(notices& later) {
    for (auto& l : links_) {
        later.offered.push_back(l.m);
    }
}

void import_group::notices::send() noexcept {
    for (auto& [m, n] : consumed) {
        m->count_consumed(n, queued);
    }
    for (member* m : room) {
        m->room();
    }
    for (member* m : offered) {
        m->value_offered();
    }
}

std::size_t import_group::take_back(wire::value_batch& out, std::size_t max) {
    std::lock_guard lock(mu_);
    const std::size_t k = std::min(max, given_back_.size());
    if (k == 0) {
        return 0;
    }
    wire::value_batch rest;
    given_back_.move_tail(k, rest);
    given_back_.move_tail(0, out);
    given_back_ = std::move(rest);
    return k;
}

std::size_t import_group::given_back() const {
    std::lock_guard lock(mu_);
    return given_back_.size();
}

void import_group::armed(member& m) {
    std::lock_guard lock(mu_);
    if (member_state* l = find(m); l != nullptr && !l->armed) {
        l->armed = true;
        armed_.fetch_add(1); // seq_cst, before the link looks at the channel again
    }
}

void import_group::disarm(member& m) {
    std::lock_guard lock(mu_);
    if (member_state* l = find(m); l != nullptr && l->armed) {
        l->armed = false;
        armed_.fetch_sub(1);
    }
}

void import_group::settle(member& m, bool settled) {
    notices later;
    {
        std::lock_guard lock(mu_);
        if (member_state* l = find(m)) {
            l->settled = settled;
            if (settled && quiet_locked()) {
                wake_all(later); // every link may close its stream now
            }
        }
    }
    later.send();
}

bool import_group::quiet() const {
    std::lock_guard lock(mu_);
    return quiet_locked();
}

bool import_group::quiet_locked() const {
    return given_back_.empty() &&
           std::all_of(links_.begin(), links_.end(), [](const auto& l) { return l.settled; });
}

void import_group::on_value_offered() noexcept {
    if (d_ != dir::send || armed_.load() == 0) { // seq_cst: pairs with armed()
        return;
    }
    notices later;
    {
        std::lock_guard lock(mu_);
        for (auto& l : links_) {
            if (l.armed) {
                l.armed = false;
                armed_.fetch_sub(1);
                later.offered.push_back(l.m);
            }
        }
    }
    later.send();
}

} // namespace netchan::internal
