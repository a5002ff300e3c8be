// redwire/detail/raw_caller.hpp — calls by name, fingerprint and encoded arguments, known only
// at run time: what a generic client (the `redwire` tool) and the built-ins ($ping, $stats,
// $describe) need, where `client` needs a procedure declared in C++.
//
//   redwire::detail::raw_caller caller{bus, {.group = "blue"}};
//   raw_reply r = caller.call("calc.$ping", builtin::ping.fingerprint, "", {.timeout = 1s});
//   if (r.error == errc{}) auto [p] = decode_values<ping_reply>(r.payload);
//
// One reply subscription of its own; calls are synchronous and may come from several threads.
// Secrets are not supported: a service with one refuses these calls (errc::unauthorized).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../codec.hpp"
#include "../envelope.hpp"
#include "../errors.hpp"
#include "../introspection.hpp"
#include "../trace.hpp"
#include "../transport.hpp"
#include "any_transport.hpp"
#include "bytes.hpp"
#include "names.hpp"
#include "targeted_push.hpp"

namespace redwire::detail {

struct raw_caller_options {
  std::string group{};
  std::string id{};  ///< empty: unique, "redwire-tool-..."
};

struct raw_call_options {
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
  std::string instance{};  ///< empty: any instance of the service
  std::string key{};
  std::string traceparent{};  ///< empty: a child of the current call's, or a new trace
};

/// The answer to a raw call: errc{} and the encoded result, or an error and its message.
struct raw_reply {
  errc error{};
  std::string payload;   ///< the encoded result, or the error's message
  std::string instance;  ///< who answered (error replies say; results need not)
};

class raw_caller {
 public:
  template <transport T>
  explicit raw_caller(T& bus, raw_caller_options options = {})
      : bus_(std::make_unique<transport_adapter<T>>(bus)), options_(std::move(options)) {
    if (options_.id.empty()) options_.id = unique_id("redwire-tool");
    scope_ = group_prefix(bus_->prefix(), options_.group);
    channel_ = reply_channel(scope_, options_.id);
    replies_ = bus_->subscribe(
        channel_, [this](std::string_view, std::string_view bytes) { on_reply(bytes); }, [] {});
  }
  raw_caller(const raw_caller&) = delete;
  raw_caller& operator=(const raw_caller&) = delete;
  ~raw_caller() { replies_.reset(); }

  /// Calls `procedure` ("calc.add") with `arguments` as encoded by encode_values; waits for the
  /// reply up to the timeout (errc::timeout). Never throws for a failed call.
  raw_reply call(std::string_view procedure, std::uint64_t fingerprint, std::string_view arguments,
                 const raw_call_options& o = {}) {
    std::string frame;
    const std::uint64_t id = encode_request(frame, procedure, fingerprint, arguments, o);
    const auto service = procedure.substr(0, procedure.find('.'));
    std::unique_lock lock(mutex_);
    waiting_[id];
    lock.unlock();
    raw_reply failed;
    try {
      const auto keep = o.timeout + std::chrono::seconds(1);
      if (o.instance.empty())
        bus_->push(service_queue(scope_, service), frame, keep);
      else
        push_to_instance(*bus_, scope_, service, o.instance, frame, keep);
    } catch (const transport_error& e) {
      failed = {errc::unavailable, std::string("transport: ") + e.what(), {}};
    }
    lock.lock();
    if (failed.error == errc{} &&
        arrived_.wait_for(lock, o.timeout, [&] { return waiting_[id].has_value(); })) {
      failed = std::move(*waiting_[id]);
    } else if (failed.error == errc{}) {
      failed = {errc::timeout,
                "no reply within " + std::to_string(o.timeout.count()) + " ms" +
                    (o.instance.empty() ? "" : " from instance " + o.instance),
                o.instance};
    }
    waiting_.erase(id);
    return failed;
  }

  /// A built-in procedure of `service` (introspection.hpp), decoded.
  ///   ping_reply p = caller.builtin(builtin::ping, "calc", {.instance = id}).value();
  template <class B>
  result<typename B::result_type> builtin(const B& b, std::string_view service,
                                          const raw_call_options& o = {}) {
    const std::string name = B::for_service(service);
    raw_reply r = call(name, b.fingerprint, {}, o);
    if (r.error != errc{}) return rpc_error(r.error, r.payload, name, r.instance);
    try {
      return std::get<0>(decode_values<typename B::result_type>(r.payload));
    } catch (const std::system_error& e) {
      return rpc_error(errc::bad_message, e.what(), name, r.instance);
    }
  }

  const std::string& id() const noexcept { return options_.id; }

 private:
  std::uint64_t encode_request(std::string& frame, std::string_view procedure,
                               std::uint64_t fingerprint, std::string_view arguments,
                               const raw_call_options& o) {
    envelope e;
    e.kind = message_kind::request;
    e.call_id = next_id_++;
    e.fingerprint = fingerprint;
    // On the deadline clock, as the services read it (capabilities/broker_clock.hpp).
    e.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        (bus_->deadline_clock() + o.timeout).time_since_epoch())
                        .count();
    e.procedure = procedure;
    e.reply_to = channel_;
    e.caller = options_.id;
    trace_id_buffer fresh;
    e.trace_id = outgoing_traceparent(o.traceparent, fresh);
    e.key = o.key;
    encode_envelope_header(frame, e);
    frame.append(arguments);
    return e.call_id;
  }

  void on_reply(std::string_view bytes) {
    envelope e;
    try {
      e = decode_envelope(bytes);
    } catch (const std::system_error&) {
      return;
    }
    std::lock_guard lock(mutex_);
    auto found = waiting_.find(e.call_id);
    if (found == waiting_.end()) return;  // late, or not ours
    raw_reply r;
    if (e.kind == message_kind::error_reply)
      r.error = e.error == errc{} ? errc::bad_message : e.error;
    r.payload.assign(e.payload);
    r.instance.assign(e.instance);
    found->second = std::move(r);
    arrived_.notify_all();
  }

  std::unique_ptr<any_transport> bus_;
  raw_caller_options options_;
  std::string scope_, channel_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<std::uint64_t, std::optional<raw_reply>> waiting_;
  std::atomic<std::uint64_t> next_id_{1};
  std::unique_ptr<any_subscription> replies_;
};

}  // namespace redwire::detail
