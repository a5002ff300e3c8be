// redwire/detail/worker_pool.hpp — the threads of an instance that take requests from its
// queues and run them: popping, batching, lone-request takeover, reply corking and fusing.
//
// Leader/follower: one worker at a time pops a batch; it keeps the first runnable request for
// itself (no hand-off for a lone call) and leaves the rest to the others. Requests whose key is
// busy wait behind it (key_order.hpp). What a request means is the runner's business
// (dispatch.hpp); the pool only schedules bytes, so it can be tested with a scripted reader.
//
// A lone request: the worker that popped it runs it, replies, and pops again — waking no other
// worker, whose pop would otherwise reach the broker (and compete for a core) while the reply
// is on its way. Where the reader fuses (capabilities/fusing.hpp), the reply leaves with that
// pop. So that a handler that blocks (a nested call, a slow request) does not stop the instance
// from taking requests, one idle worker watches: if the leader has not come back to pop within
// takeover (pool_settings), that worker pops instead.
//
// A batch of fast requests: replies wait in the transport (capabilities/corking.hpp) while more
// of the batch is ready to run, if handlers are fast (batch_sizing.hpp); once the batch
// is all taken they are written, in one write instead of one per reply.
//
// A batch its popper can run alone within keep_window it keeps: it wakes no other worker, runs
// the batch and pops again (on two cores, four workers sharing fast batches took 1.7 times the
// CPU per request of one); the batch's last reply leaves with that pop, as a lone request's
// does. As for a lone request, one idle worker watches: if the keeper takes no request for
// takeover (its handler blocks), the watcher hands the batch out to all, or pops instead.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "../log.hpp"
#include "../transport.hpp"
#include "any_transport.hpp"
#include "batch_sizing.hpp"
#include "key_order.hpp"
#include "thread_name.hpp"

namespace redwire::detail {

/// How a runner tells the pool that a request it continued asynchronously has ended.
class async_ends {
 public:
  virtual ~async_ends() = default;
  /// Once per run() that returned true, from any thread; `key` is the request's.
  virtual void ended(const std::string& key) = 0;
};

/// What the pool runs requests with.
class request_runner {
 public:
  virtual ~request_runner() = default;
  /// Whether `bytes` is a request worth scheduling, and its ordering key (empty: none). The
  /// runner counts and logs what it refuses.
  virtual bool admit(std::string_view bytes, std::string& key) = 0;
  /// Runs one request. With `defer_to`, a successful reply is left in `reply` and its channel in
  /// *defer_to, for the pool to send (with its next pop); errors go out at once. With `hold`,
  /// the reply waits in the transport for flush(). True: the request goes on without the
  /// worker (a coroutine handler awaits); the runner replies, then calls ends.ended(key).
  /// `ran` is set to how long a handler ran here, and left alone when none did (a refusal, or
  /// a coroutine that goes on): the pool's batch sizing needs it, and the runner times the
  /// handler anyway for its metrics, so that the clock is read once less per request.
  virtual bool run(const std::string& bytes, std::string& reply, std::string* defer_to, bool hold,
                   async_ends& ends, std::chrono::steady_clock::duration& ran) = 0;
  /// Publishes a reply now; logs rather than throws when it is lost.
  virtual void send(std::string_view channel, const std::string& reply) = 0;
  /// Writes the held replies; logs rather than throws when they are lost.
  virtual void flush() = 0;
};

struct pool_settings {
  std::size_t workers = 4;
  std::size_t batch_size = 64;                    ///< most requests taken at once
  std::chrono::milliseconds poll_interval{5000};  ///< longest pop between looks at stop
  bool cork = false;  ///< hold the replies of fast batches (the transport corks)
  /// Most requests taken and not ended (waiting, running, or awaiting in a coroutine): the
  /// pool does not pop while that many are in progress.
  std::size_t max_in_flight = 1024;
  /// A batch one worker runs within this (at the average run time) its popper runs alone.
  std::chrono::microseconds keep_window{50};
  /// How long a worker that runs a lone request or keeps a batch may go without taking the next
  /// before an idle worker takes over.
  std::chrono::microseconds takeover{1000};
  std::string name;  ///< for log lines: "service calc-host-1-ab12cd"
};

class worker_pool final : private async_ends {
 public:
  /// The runner and the reader outlive the pool.
  worker_pool(request_runner& runner, any_reader& reader, pool_settings settings)
      : runner_(runner), reader_(reader), fusing_(reader.fusing()), s_(std::move(settings)) {
    if (s_.workers == 0) s_.workers = 1;
    if (s_.batch_size == 0) s_.batch_size = 1;
    if (s_.max_in_flight == 0) s_.max_in_flight = 1;
    fuse_ = fusing_ != nullptr && s_.workers > 1;
  }
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  ~worker_pool() {
    stop();
    if (!on_worker_thread()) join();
  }

  void start() {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < s_.workers; ++i)
      threads_.emplace_back(named_thread("rw-worker", [this] { work(); }));
  }

  /// Stops popping; the workers finish every request already taken, then end. Returns at once.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    reader_.wake();
    changed_.notify_all();
  }

  /// Whether the calling thread is one of the workers (which must not join the others).
  bool on_worker_thread() const {
    std::lock_guard lock(mutex_);
    for (const auto& t : threads_)
      if (t.get_id() == std::this_thread::get_id()) return true;
    return false;
  }

  /// Waits for the workers to end. Not from a worker (see on_worker_thread()).
  void join() {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

 private:
  static constexpr std::chrono::milliseconds lone_linger{20};

  struct worker {
    std::vector<std::string> batch;
    std::vector<std::string> keys;  // of the batch's requests
    std::string reply;
    std::string reply_to;  // set: `reply` waits to go out with this worker's next pop
  };

  void work() {
    worker w;
    std::unique_lock lock(mutex_);
    for (;;) {
      if (requests_.has_ready()) {
        if (kept_by_ == std::thread::id{} || kept_by_ == std::this_thread::get_id() ||
            watch_keeper(lock))
          run_next(lock, w);
        continue;
      }
      if (stopping_) {
        if (!popping_ && requests_.idle() && continued_ == 0) break;
        changed_.wait(lock);
        continue;
      }
      const bool owed_elsewhere = pop_owed_ && owed_by_ != std::this_thread::get_id();
      if (popping_ || (owed_elsewhere && watching_) || in_progress() >= s_.max_in_flight) {
        changed_.wait(lock);
        continue;
      }
      if (owed_elsewhere && !watch_lone_request(lock)) continue;
      if (in_progress() >= s_.max_in_flight) continue;  // filled up while it watched
      pop(lock, w);
    }
    changed_.notify_all();
  }

  // Called with the lock held; returns with it held.
  void run_next(std::unique_lock<std::mutex>& lock, worker& w) {
    work_item item = requests_.take();
    ++busy_;
    ++taken_;
    const auto me = std::this_thread::get_id();
    if (fuse_ && kept_by_ == me && !requests_.has_ready() && !popping_ && !pop_owed_)
      owe_pop(me);  // the last of a kept batch: its keeper pops next, with this reply
    const bool lone = fuse_ && pop_owed_ && owed_by_ == me;
    // Part of a batch of fast requests: the reply waits for the batch's others (see the top).
    const bool hold = s_.cork && !lone && requests_.has_ready() && sizing_.holds();
    const bool flush_first = held_replies_ && !requests_.has_ready();  // the batch is all taken
    if (flush_first) held_replies_ = false;
    lock.unlock();
    if (flush_first) runner_.flush();
    auto ran = std::chrono::steady_clock::duration::zero();
    const bool continues =
        runner_.run(item.bytes, w.reply, lone ? &w.reply_to : nullptr, hold, *this, ran);
    lock.lock();
    --busy_;
    if (continues)
      ++continued_;  // its key stays held until it ends
    else if (ran > ran.zero())
      sizing_.ran(ran);
    if (!item.key.empty() && !continues) requests_.release(item.key);
    held_replies_ = held_replies_ || hold;
    if (held_replies_ && !requests_.has_ready()) {  // the batch is taken: its replies go now
      held_replies_ = false;
      lock.unlock();
      runner_.flush();
      lock.lock();
    }
    const bool pops_next = !requests_.has_ready() && !stopping_ && !popping_ && pop_owed_ &&
                           owed_by_ == std::this_thread::get_id();
    if (!w.reply_to.empty() && !pops_next) {
      lock.unlock();  // someone else pops meanwhile, or there is work: send it now
      runner_.send(w.reply_to, w.reply);
      w.reply_to.clear();
      lock.lock();
    }
  }

  // Called with the lock held, while a lone request's worker owes the next pop. Stays armed
  // while lone requests keep coming (waking once per takeover) rather than sleep and be
  // notified at every one; leaves after lone_linger without any. True: take over popping.
  bool watch_lone_request(std::unique_lock<std::mutex>& lock) {
    watching_ = true;
    bool take_over = false;
    while (!requests_.has_ready() && !stopping_) {
      const auto now = std::chrono::steady_clock::now();
      if (pop_owed_ && !popping_ && owed_by_ != std::this_thread::get_id()) {
        if (now >= owed_since_ + s_.takeover) {
          take_over = true;  // the leader is still in its handler
          break;
        }
        changed_.wait_until(lock, owed_since_ + s_.takeover);
      } else if (now - owed_since_ < lone_linger) {
        changed_.wait_for(lock, s_.takeover);
      } else {
        break;
      }
    }
    watching_ = false;
    return take_over;
  }

  // Called with the lock held, by a worker that finds ready requests another keeps. One watches:
  // true (run them too) once the keeper has taken none for takeover. False: look again.
  bool watch_keeper(std::unique_lock<std::mutex>& lock) {
    if (watching_ && !stopping_) {
      changed_.wait(lock);
      return false;
    }
    bool take_over = stopping_;  // stopping: every worker helps finish what was taken
    if (!take_over) {
      watching_ = true;
      auto since = std::chrono::steady_clock::now();  // when the keeper last took one, `seen`
      for (std::uint64_t seen = taken_; kept_by_ != std::thread::id{} && requests_.has_ready();) {
        const auto now = std::chrono::steady_clock::now();
        if (taken_ != seen) {
          seen = taken_;
          since = now;
        } else if (stopping_ || now >= since + s_.takeover) {
          take_over = true;
          break;
        }
        changed_.wait_until(lock, since + s_.takeover);
      }
      watching_ = false;
    }
    if (take_over) {
      kept_by_ = {};  // everyone runs the batch from here on
      changed_.notify_all();
    }
    return take_over && requests_.has_ready();
  }

  // A request that went on without its worker has ended (async_ends).
  void ended(const std::string& key) override {
    std::lock_guard lock(mutex_);
    --continued_;
    if (!key.empty()) requests_.release(key);
    changed_.notify_all();  // under the lock: the pool may be gone once it is released
  }

  // Called with the lock held: requests taken and not ended.
  std::size_t in_progress() const { return requests_.size() + busy_ + continued_; }

  // Called with the lock held; returns with it held.
  void pop(std::unique_lock<std::mutex>& lock, worker& w) {
    popping_ = true;
    pop_owed_ = false;
    kept_by_ = {};  // a keeper that pops has run its batch: what turns ready meanwhile is anyone's
    const std::size_t take =
        sizing_.limit(requests_.ready_count(), s_.workers - busy_, s_.workers, s_.batch_size,
                      s_.max_in_flight - std::min(s_.max_in_flight, in_progress()));
    lock.unlock();
    w.batch.clear();
    bool failed = false;
    try {
      if (!w.reply_to.empty())
        fusing_->publish_then_pop(w.reply_to, w.reply, w.batch, take, s_.poll_interval);
      else
        reader_.pop(w.batch, take, s_.poll_interval);
    } catch (const transport_error& e) {
      failed = true;
      log(log_level::warning, s_.name + ": cannot take requests: " + e.what());
    }
    w.reply_to.clear();
    std::size_t bytes = 0;
    for (const auto& request : w.batch) bytes += request.size();
    const std::size_t got = w.batch.size();
    const std::size_t kept = admit_batch(w);  // outside the lock: it decodes
    lock.lock();
    sizing_.popped(take, got, bytes);
    for (std::size_t i = 0; i < kept; ++i)
      requests_.admit(std::move(w.batch[i]), std::move(w.keys[i]));
    popping_ = false;
    hand_out();
    if (failed && !stopping_)  // the transport reconnects by itself: do not spin meanwhile
      changed_.wait_for(lock, std::chrono::milliseconds(100));
  }

  // Keeps, at the front of w.batch, the requests the runner admits, their keys in w.keys.
  std::size_t admit_batch(worker& w) {
    if (w.keys.size() < w.batch.size()) w.keys.resize(w.batch.size());
    std::size_t kept = 0;
    for (std::size_t i = 0; i < w.batch.size(); ++i) {
      w.keys[kept].clear();
      if (!runner_.admit(w.batch[i], w.keys[kept])) continue;
      if (kept != i) w.batch[kept] = std::move(w.batch[i]);
      ++kept;
    }
    return kept;
  }

  // Called with the lock held, after a pop: who runs what was taken, and who pops next.
  void hand_out() {
    const std::size_t ready = requests_.ready_count();
    if (ready > 1 && s_.workers > 1 && sizing_.keeps(ready, s_.keep_window)) {
      kept_by_ = std::this_thread::get_id();  // this worker runs the batch alone (see the top)
      if (!watching_) changed_.notify_one();  // a watcher, unless one is there
    } else if (ready > 1) {
      changed_.notify_all();
    } else if (ready == 1 && s_.workers > 1) {
      owe_pop(std::this_thread::get_id());    // this worker runs it, then pops again (see the top)
      if (!watching_) changed_.notify_one();  // a watcher, unless one is there
    } else {
      changed_.notify_one();  // someone else takes over popping
    }
  }

  // Called with the lock held: `who` runs a request and then pops; another may take over.
  void owe_pop(std::thread::id who) {
    pop_owed_ = true;
    owed_since_ = std::chrono::steady_clock::now();
    owed_by_ = who;
  }

  request_runner& runner_;
  any_reader& reader_;
  any_fusing_reader* fusing_;
  pool_settings s_;
  bool fuse_ = false;  // lone replies leave with the next pop
  std::vector<std::thread> threads_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  key_order requests_;
  bool stopping_ = false;
  bool popping_ = false;       // a worker is in pop()
  std::size_t busy_ = 0;       // workers running a request
  std::size_t continued_ = 0;  // requests that went on without a worker (async_ends)
  batch_sizing sizing_;        // how many to take, and whether a batch is kept or held
  bool held_replies_ = false;  // replies wait in the transport for the batch's last one
  // The lone-request handshake: the worker that runs a lone request owes the next pop.
  bool pop_owed_ = false;
  bool watching_ = false;  // an idle worker watches the one who owes it
  std::chrono::steady_clock::time_point owed_since_{};
  std::thread::id owed_by_{};
  std::thread::id kept_by_{};  // the worker that runs a kept batch alone
  std::uint64_t taken_ = 0;    // requests taken: a kept batch's watcher sees it move
};

}  // namespace redwire::detail
