#include "netchan/actor_group.hpp"

namespace netchan {

actor_group::~actor_group() noexcept(false) {
    const bool unwinding = std::uncaught_exceptions() > uncaught_at_start_;
    if (unwinding) {
        request_stop();
    }
    join_all();
    std::exception_ptr e;
    {
        std::lock_guard lock(mu_);
        callbacks_.clear();
        e = std::exchange(first_error_, nullptr);
    }
    if (e && !unwinding) {
        std::rethrow_exception(e);
    }
}

void actor_group::request_stop() noexcept {
    stop_.request_stop();
}

void actor_group::on_stop(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    callbacks_.emplace_back(stop_.get_token(), std::move(fn));
}

void actor_group::wait() {
    join_all();
    std::exception_ptr e;
    {
        std::lock_guard lock(mu_);
        e = std::exchange(first_error_, nullptr);
    }
    if (e) {
        std::rethrow_exception(e);
    }
}

void actor_group::fail(std::exception_ptr e) noexcept {
    {
        std::lock_guard lock(mu_);
        if (!first_error_) {
            first_error_ = std::move(e);
        }
    }
    request_stop();
}

void actor_group::join_all() noexcept {
    // Actors may spawn more actors while we join: take the list in batches until it is empty.
    for (;;) {
        std::vector<std::thread> batch;
        {
            std::lock_guard lock(mu_);
            batch.swap(threads_);
        }
        if (batch.empty()) {
            return;
        }
        for (auto& t : batch) {
            if (t.joinable()) {
                t.join();
            }
        }
    }
}

} // namespace netchan
