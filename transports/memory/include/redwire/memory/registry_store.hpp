// redwire/memory/registry_store.hpp — the registry's storage in memory (redwire::registry_store).
//
// Records and liveness sets live in maps under one mutex; expiry is reckoned on the steady
// clock. The operations that touch queues go through the transport's own push/publish/pop, so
// fault injection and set_down() apply to them too. The transport inherits these members:
//   class transport : public detail::registry_tables<transport> { ... };
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <redwire/capabilities/registry_store.hpp>

namespace redwire::memory::detail {

template <class Transport>
class registry_tables {
  using clock = std::chrono::steady_clock;

 public:
  void put_record(std::string_view key, const record_fields& fields,
                  std::chrono::milliseconds ttl) {
    std::lock_guard lock(mutex_);
    records_[std::string(key)] = {fields, clock::now() + ttl};
  }

  bool refresh_record(std::string_view key, std::chrono::milliseconds ttl) {
    std::lock_guard lock(mutex_);
    auto it = find_record(key);
    if (it == records_.end()) return false;
    it->second.expires = clock::now() + ttl;
    return true;
  }

  void remove_record(std::string_view key) {
    std::lock_guard lock(mutex_);
    records_.erase(std::string(key));
  }

  std::vector<record_fields> read_records(const std::vector<std::string>& keys) {
    std::lock_guard lock(mutex_);
    std::vector<record_fields> out;
    out.reserve(keys.size());
    for (const auto& k : keys) {
      auto it = find_record(k);
      out.push_back(it == records_.end() ? record_fields{} : it->second.fields);
    }
    return out;
  }

  bool touch_member(std::string_view set, std::string_view member, std::chrono::milliseconds ttl) {
    std::lock_guard lock(mutex_);
    auto& expiry = sets_[std::string(set)];
    auto [it, fresh] = expiry.try_emplace(std::string(member), clock::now() + ttl);
    if (!fresh && it->second < clock::now() + ttl) it->second = clock::now() + ttl;
    return fresh;
  }

  std::size_t remove_member(std::string_view set, std::string_view member) {
    std::lock_guard lock(mutex_);
    auto it = sets_.find(std::string(set));
    if (it == sets_.end()) return 0;
    it->second.erase(std::string(member));
    std::size_t left = it->second.size();
    if (left == 0) sets_.erase(it);
    return left;
  }

  std::vector<std::string> live_members(std::string_view set, std::chrono::milliseconds grace) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    auto it = sets_.find(std::string(set));
    if (it == sets_.end()) return out;
    const auto since = clock::now() - grace;
    for (const auto& [member, expires] : it->second)
      if (expires > since) out.push_back(member);
    return out;
  }

  std::vector<std::string> reap_members(std::string_view set, std::chrono::milliseconds grace) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    auto it = sets_.find(std::string(set));
    if (it == sets_.end()) return out;
    const auto before = clock::now() - grace;
    for (auto m = it->second.begin(); m != it->second.end();) {
      if (m->second < before) {
        out.push_back(m->first);
        m = it->second.erase(m);
      } else {
        ++m;
      }
    }
    if (it->second.empty()) sets_.erase(it);
    return out;
  }

  std::vector<std::string> take_queue(std::string_view queue) {
    // Under mutex_, so that push_unless_member cannot slip an item in between the moment an
    // instance is marked dead and the moment its queue is emptied.
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    auto reader = self().open_reader({std::string(queue)});
    reader.pop(out, std::numeric_limits<std::size_t>::max(), std::chrono::milliseconds(0));
    return out;
  }

  void push_unless_member(std::string_view set, std::string_view member, std::string_view queue,
                          std::string_view bytes, std::string_view channel,
                          std::string_view refusal) {
    {
      std::lock_guard lock(mutex_);
      auto it = sets_.find(std::string(set));
      const bool refused = it != sets_.end() && [&] {
        auto m = it->second.find(std::string(member));
        return m != it->second.end() && m->second > clock::now();
      }();
      if (!refused) {
        self().push(queue, bytes);
        return;
      }
    }
    if (!channel.empty()) self().publish(channel, refusal);
  }

 private:
  struct record {
    record_fields fields;
    clock::time_point expires;
  };

  Transport& self() { return static_cast<Transport&>(*this); }

  // Called with mutex_ held; forgets the record if it has expired.
  typename std::unordered_map<std::string, record>::iterator find_record(std::string_view key) {
    auto it = records_.find(std::string(key));
    if (it != records_.end() && it->second.expires <= clock::now()) {
      records_.erase(it);
      return records_.end();
    }
    return it;
  }

  std::mutex mutex_;
  std::unordered_map<std::string, record> records_;
  std::unordered_map<std::string, std::map<std::string, clock::time_point>> sets_;
};

}  // namespace redwire::memory::detail
