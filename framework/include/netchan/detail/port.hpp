#pragma once

#include "netchan/chan.hpp"
#include "netchan/codec.hpp"
#include "netchan/detail/value_batch.hpp"
#include "netchan/encoded.hpp"
#include "netchan/select.hpp"

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <typeinfo>

namespace netchan::detail {

/// The typed end of a network link, seen by the untyped network code: it moves values between
/// a local chan<T> and encoded bytes. Made by the exporter/importer templates.
/// Thread-safe.
class port {
public:
    virtual ~port() = default;

    /// Returns the type descriptor of the values.
    virtual const std::string& type() const noexcept = 0;
    /// Returns the C++ type, for the same-process fast path.
    virtual const std::type_info& cpp_type() const noexcept = 0;
    /// Returns the channel's shared state (identity and observer registration).
    virtual chan_core& core() const noexcept = 0;
    /// Returns a type-erased copy of the chan<T> handle, for the same-process fast path.
    virtual std::shared_ptr<void> handle() const = 0;

    /// What take_ready() found.
    struct taken {
        std::size_t count = 0; ///< values appended
        bool drained = false;  ///< the channel is closed and nothing is left
    };

    /// Takes up to `max` values that are ready now, without blocking, appending them to `out`.
    virtual taken take_ready(value_batch& out, std::size_t max) = 0;

    /// Decodes one value; throws decode_error. The value waits inside the port for deliver().
    virtual void decode_one(std::span<const std::byte> bytes) = 0;
    /// Returns the number of decoded values waiting for deliver().
    virtual std::size_t decoded() const noexcept = 0;
    /// Sends the oldest decoded value into the channel, blocking while it is full. Returns false
    /// when `stop` was closed first (the value is then dropped) or the channel is closed.
    virtual bool deliver_one(chan<bool>& stop) = 0;

    /// Moves decoded values into the channel while it has room, without blocking. Returns how
    /// many moved. Throws closed_error when the channel was closed.
    virtual std::size_t deliver_ready() = 0;

    /// Returns the number of values buffered in the local channel.
    virtual std::size_t queued() const noexcept = 0;

    /// Closes the local channel.
    virtual void close() noexcept = 0;
};

/// How a port encodes and decodes a T: with the codec, or as is for values already encoded.
template <class T>
struct port_codec {
    static void add(value_batch& out, const T& v) { out.add(v); }
    static T decode(std::span<const std::byte> bytes, const std::string&,
                    const decode_limits& limits) {
        return netchan::decode<T>(bytes, limits);
    }
};

template <>
struct port_codec<encoded> {
    static void add(value_batch& out, const encoded& v) { out.add_encoded(v.bytes); }
    static encoded decode(std::span<const std::byte> bytes, const std::string& type,
                          const decode_limits& limits) {
        return decode_encoded(bytes, type, limits);
    }
};

/// port for values of type T.
/// Thread-safe: deliver_one() runs on a pump thread; take_ready(), decode_one() and
/// deliver_ready() under the I/O loop's lock.
template <class T>
class typed_port final : public port {
public:
    explicit typed_port(chan<T> ch) : typed_port(std::move(ch), type_name<T>()) {}
    /// `type` names the values on the wire (for T = encoded: a descriptor known at run time).
    typed_port(chan<T> ch, std::string type, decode_limits limits = {})
        : ch_(std::move(ch)), type_(std::move(type)), limits_(limits) {}

    const std::string& type() const noexcept override { return type_; }
    const std::type_info& cpp_type() const noexcept override { return typeid(T); }
    chan_core& core() const noexcept override { return chan_access::state(ch_); }
    std::shared_ptr<void> handle() const override { return std::make_shared<chan<T>>(ch_); }

    taken take_ready(value_batch& out, std::size_t max) override {
        taken t;
        while (t.count < max) {
            // Closed is checked first: after close no value can arrive, so closed-then-empty
            // means drained.
            const bool was_closed = ch_.closed();
            auto v = ch_.try_recv();
            if (!v) {
                t.drained = was_closed;
                break;
            }
            port_codec<T>::add(out, *v);
            ++t.count;
        }
        return t;
    }

    void decode_one(std::span<const std::byte> bytes) override {
        T v = port_codec<T>::decode(bytes, type_, limits_);
        std::lock_guard lock(mu_);
        decoded_.push_back(std::move(v));
    }

    std::size_t decoded() const noexcept override {
        std::lock_guard lock(mu_);
        return decoded_.size();
    }

    bool deliver_one(chan<bool>& stop) override {
        std::optional<T> v;
        {
            std::lock_guard lock(mu_);
            if (decoded_.empty()) {
                return true;
            }
            v.emplace(std::move(decoded_.front()));
            decoded_.pop_front();
        }
        bool sent = false;
        try {
            select(on_send(ch_, std::move(*v), [&] { sent = true; }),
                   on_recv(stop, [](std::optional<bool>) {}));
        } catch (const closed_error&) {
            return false;
        }
        return sent;
    }

    std::size_t deliver_ready() override {
        std::size_t n = 0;
        std::lock_guard lock(mu_);
        while (!decoded_.empty() && chan_access::try_send_keep(ch_, decoded_.front())) {
            decoded_.pop_front();
            ++n;
        }
        return n;
    }

    std::size_t queued() const noexcept override { return ch_.size(); }
    void close() noexcept override { ch_.close(); }

private:
    chan<T> ch_;
    std::string type_;
    decode_limits limits_;
    mutable std::mutex mu_;
    std::deque<T> decoded_; // guarded by mu_
};

} // namespace netchan::detail
