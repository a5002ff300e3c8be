// redwire/events/stream_consumer.hpp — one consumer of a stream in a consumer group, as a
// component of its instance with a thread of its own.
//
// The loop, in order of priority:
//   1. make sure the group exists (created on demand, again after NOGROUP);
//   2. once after (re)connecting: the entries still pending on this consumer, taken before a
//      restart or before the connection dropped (consumer names are stable for that reason);
//   3. every claim_interval: XAUTOCLAIM entries pending on any consumer for claim_idle (a
//      consumer that died mid-batch), the scan cursor carried from one call to the next; once
//      the scan has gone round, consumers of the group with nothing pending that have been idle
//      past idle_consumer_limit (dead ones, their entries claimed) are removed from it;
//   4. otherwise: XREADGROUP a batch of new entries, blocking up to `block`.
// Each entry is handled alone: acknowledged once its handler returned, retried with doubling
// backoff while it throws, moved to the dead-letter stream after max_deliveries deliveries or
// at once when its bytes are not a valid entry of this stream (poison).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../capabilities/streams.hpp"
#include "../context.hpp"
#include "../detail/any_transport.hpp"
#include "../detail/component.hpp"
#include "../detail/thread_name.hpp"
#include "../log.hpp"
#include "../metrics.hpp"
#include "../stream.hpp"
#include "frame.hpp"
#include "names.hpp"
#include "publishing.hpp"          // streams_of
#include "topic_subscription.hpp"  // event_dispatch, throttled_log, make_event_dispatch

namespace redwire::detail {

class stream_consumer final : public component {
 public:
  struct settings {
    std::string stream;    // "orders.log"
    std::string group;     // "billing"
    std::string consumer;  // "billing@host1"
    std::uint64_t fingerprint = 0;
    consume_options options;
  };

  stream_consumer(settings s, event_dispatch dispatch, operation_metrics& metrics)
      : s_(std::move(s)), dispatch_(std::move(dispatch)), metrics_(metrics) {
    auto& o = s_.options;
    if (o.batch_size == 0) o.batch_size = 1;
    if (o.max_deliveries == 0) o.max_deliveries = 1;
    if (o.claim_interval.count() <= 0)
      o.claim_interval = std::max(o.claim_idle / 2, std::chrono::milliseconds(10));
    if (o.block.count() <= 0) o.block = std::chrono::milliseconds(1000);
    if (o.idle_consumer_limit.count() <= 0)
      o.idle_consumer_limit = 2 * std::max({o.claim_idle, o.block, o.claim_interval});
    what_ = "stream " + s_.stream + " group " + s_.group + " consumer " + s_.consumer;
  }

  ~stream_consumer() override { stop(); }

  void start(const instance_context& instance) override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = false;
    }
    streams_ = &streams_of(instance.bus);
    instance_ = instance.instance_id;
    log_events_ = instance.log_every_call;
    key_ = stream_key(instance.bus.prefix(), s_.stream);
    dead_key_ = dead_letter_key(instance.bus.prefix(), s_.stream, s_.group);
    reader_ = streams_->open_stream_reader(key_, s_.group, s_.consumer);
    thread_ = named_thread("rw-stream", [this] { run(); });
  }

  /// Finishes the entry being handled; entries taken but not started stay pending on this
  /// consumer, for its next start (or for others to claim).
  void stop() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (reader_) reader_->wake();
    if (thread_.joinable()) thread_.join();
    reader_.reset();
  }

 private:
  using clock = std::chrono::steady_clock;

  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  /// Waits `d` unless stop() comes first; returns false when stopping.
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return !changed_.wait_for(lock, d, [this] { return stopping_; });
  }

  void run() {
    const consume_options& o = s_.options;
    std::vector<stream_entry> batch;
    std::string cursor = "0-0";
    bool group_ready = false, recovered = false;
    auto next_claim = clock::now();
    auto failure_pause = std::chrono::milliseconds(50);
    while (!stopping()) {
      try {
        if (!group_ready) {
          reader_->create_group(o.from_start);
          group_ready = true;
        }
        if (!recovered) {
          recover_own_pending(batch);
          recovered = true;
          continue;
        }
        const auto now = clock::now();
        if (now >= next_claim) {
          next_claim = claim(batch, cursor, now);
          continue;
        }
        batch.clear();
        const auto until_claim = std::chrono::ceil<std::chrono::milliseconds>(next_claim - now) +
                                 std::chrono::milliseconds(1);
        reader_->read(batch, o.batch_size, std::min(o.block, until_claim));
        handle(batch, false);
        failure_pause = std::chrono::milliseconds(50);
      } catch (const no_such_group& e) {
        log(log_level::warning,
            what_ + ": the consumer group is gone (" + e.what() + "); creating it again");
        group_ready = false;
      } catch (const transport_error& e) {
        complain_(log_level::warning, what_ + ": " + e.what());
        recovered = false;  // entries whose ack was lost are still pending on us
        pause(failure_pause);
        failure_pause = std::min(failure_pause * 2, std::chrono::milliseconds(2000));
      } catch (const std::exception& e) {
        complain_(log_level::error, what_ + ": " + e.what());
        pause(std::chrono::milliseconds(1000));
      }
    }
  }

  /// One step of the claim scan; returns when the next one is due: at once while the scan goes
  /// on, after claim_interval once it has gone round (and the group's idle consumers are gone).
  clock::time_point claim(std::vector<stream_entry>& batch, std::string& cursor,
                          clock::time_point now) {
    const consume_options& o = s_.options;
    batch.clear();
    cursor = reader_->autoclaim(batch, o.claim_idle, cursor, o.batch_size);
    if (!batch.empty()) {
      metrics_.reclaimed.fetch_add(batch.size(), std::memory_order_relaxed);
      // News: a consumer died or hangs (warning: the default sink prints it).
      log(log_level::warning,
          what_ + ": claimed " + std::to_string(batch.size()) + " entries left pending for over " +
              std::to_string(o.claim_idle.count()) + " ms by a consumer that went quiet");
      handle(batch, true);
    }
    if (cursor != "0-0") return now;
    for (const std::string& gone : reader_->remove_idle_consumers(o.idle_consumer_limit))
      log(log_level::info, what_ + ": removed consumer " + gone +
                               " from the group (nothing pending, idle for over " +
                               std::to_string(o.idle_consumer_limit.count()) + " ms)");
    return now + o.claim_interval;
  }

  void recover_own_pending(std::vector<stream_entry>& batch) {
    std::string after = "0-0";
    while (!stopping()) {
      batch.clear();
      reader_->read_own_pending(batch, after, s_.options.batch_size);
      if (batch.empty()) return;
      after = batch.back().id;
      log(log_level::info,
          what_ + ": taking up " + std::to_string(batch.size()) + " entries it had taken before");
      handle(batch, true);
    }
  }

  void handle(std::vector<stream_entry>& batch, bool redelivered) {
    if (batch.empty()) return;
    std::vector<std::uint64_t> deliveries(batch.size(), 1);
    if (redelivered) {
      std::vector<std::string> ids;
      ids.reserve(batch.size());
      for (auto& e : batch) ids.push_back(e.id);
      deliveries = reader_->delivery_counts(ids);
      deliveries.resize(batch.size(), 1);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (stopping()) return;
      handle_one(batch[i], std::max<std::uint64_t>(deliveries[i], 1));
    }
  }

  void handle_one(const stream_entry& entry, std::uint64_t deliveries) {
    const consume_options& o = s_.options;
    event_frame f;
    try {
      f = decode_event_frame(entry.payload);
    } catch (const std::system_error& e) {
      poison(entry, std::string("not a redwire event: ") + e.what());
      return;
    }
    if (f.kind != event_kind::stream || f.fingerprint != s_.fingerprint) {
      poison(entry, "appended with another declaration of " + std::string(f.name));
      return;
    }
    if (deliveries > o.max_deliveries) {
      dead_letter(entry, "delivered " + std::to_string(deliveries) + " times");
      return;
    }
    auto backoff = o.retry_backoff;
    for (;;) {
      const auto [decoded, failed, error, elapsed] = run_event_handler(dispatch_, f, instance_);
      if (failed && !decoded) {
        poison(entry, "its value does not decode: " + error);
        return;
      }
      metrics_.record(elapsed, failed);
      if (!failed) {
        ack(entry.id);
        if (log_events_)
          log(log_level::debug,
              what_ + ": entry " + entry.id + " trace " + std::string(f.trace_id) + " handled in " +
                  std::to_string(
                      std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()) +
                  " us");
        return;
      }
      log(log_level::warning, what_ + ": handler failed on entry " + entry.id + " (delivery " +
                                  std::to_string(deliveries) + " of " +
                                  std::to_string(o.max_deliveries) + "): " + error);
      if (deliveries >= o.max_deliveries) {
        dead_letter(entry, "the handler failed " + std::to_string(deliveries) + " times: " + error);
        return;
      }
      if (!pause(backoff)) return;  // stopping: it stays pending on this consumer
      backoff = std::min(backoff * 2, o.max_backoff);
      ++deliveries;
    }
  }

  void poison(const stream_entry& entry, const std::string& why) {
    metrics_.bad_messages.fetch_add(1, std::memory_order_relaxed);
    dead_letter(entry, why);
  }

  // The dead-letter entry holds the original bytes, so it can be replayed as it is.
  void dead_letter(const stream_entry& entry, const std::string& why) {
    streams_->stream_append(dead_key_, entry.payload, s_.options.dead_letter_max_length);
    ack(entry.id);
    metrics_.dead_lettered.fetch_add(1, std::memory_order_relaxed);
    log(log_level::warning, what_ + ": entry " + entry.id + " moved to " + dead_key_ + ": " + why);
  }

  void ack(const std::string& id) { reader_->ack(std::span<const std::string>(&id, 1)); }

  settings s_;
  any_streams* streams_ = nullptr;  // set by start()
  std::string instance_;            // of the instance it runs in
  bool log_events_ = false;
  event_dispatch dispatch_;
  operation_metrics& metrics_;
  throttled_log complain_;
  std::string key_, dead_key_, what_;

  std::unique_ptr<any_stream_reader> reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::thread thread_;
};

/// A consumer of stream `declaration` in consumer group `group`, for an instance of `service`.
template <class Declaration, class F>
std::unique_ptr<component> make_stream_consumer(const Declaration& declaration, std::string group,
                                                F&& handler, consume_options options,
                                                std::string_view service,
                                                metrics_registry& metrics) {
  (void)declaration;
  using T = typename Declaration::value_type;
  if (group.empty()) throw std::invalid_argument("redwire: consume() needs a consumer group name");
  stream_consumer::settings s;
  s.stream = std::string(Declaration::name);
  s.group = std::move(group);
  s.consumer = options.consumer.empty() ? default_consumer_name(service) : options.consumer;
  s.fingerprint = Declaration::fingerprint;
  s.options = std::move(options);
  operation_metrics& counted =
      metrics.add(s.stream + "/" + s.group, operation_kind::stream, Declaration::description);
  return std::make_unique<stream_consumer>(
      std::move(s), make_event_dispatch<T>(std::forward<F>(handler)), counted);
}

}  // namespace redwire::detail
