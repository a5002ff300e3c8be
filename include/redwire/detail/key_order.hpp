// redwire/detail/key_order.hpp — the requests of one instance that are ready to run, with those
// that share an ordering key held back so that they run one at a time, in arrival order.
//
// Not thread-safe: the worker pool holds its lock around every call.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

#include "ring.hpp"

namespace redwire::detail {

struct work_item {
  std::string bytes;
  std::string key;  ///< empty: unordered
};

class key_order {
 public:
  /// A request arrives. Without a key, or with a key no other request holds, it is ready;
  /// otherwise it waits behind the requests of its key.
  void admit(std::string bytes, std::string key) {
    ++size_;
    if (!key.empty()) {
      auto [it, fresh] = waiting_.try_emplace(key);
      if (!fresh) {
        it->second.push_back(std::move(bytes));
        return;
      }
    }
    ready_.push_back({std::move(bytes), std::move(key)});
  }

  bool has_ready() const noexcept { return !ready_.empty(); }
  std::size_t ready_count() const noexcept { return ready_.size(); }
  /// Requests held, ready or waiting behind their key.
  std::size_t size() const noexcept { return size_; }
  /// Nothing ready, nothing held back.
  bool idle() const noexcept { return ready_.empty() && waiting_.empty(); }

  /// The oldest ready request. Only when has_ready().
  work_item take() {
    work_item item = std::move(ready_.front());
    ready_.pop_front();
    --size_;
    return item;
  }

  /// The request with `key` has finished: the next one of that key becomes ready, ahead of the
  /// rest (it has waited longest).
  void release(const std::string& key) {
    auto it = waiting_.find(key);
    if (it == waiting_.end()) return;
    if (it->second.empty()) {
      waiting_.erase(it);
      return;
    }
    ready_.push_front({std::move(it->second.front()), key});
    it->second.pop_front();
  }

 private:
  ring<work_item> ready_;
  std::size_t size_ = 0;
  // One entry per key that a ready or running request holds: the requests waiting behind it.
  std::unordered_map<std::string, std::deque<std::string>> waiting_;
};

}  // namespace redwire::detail
