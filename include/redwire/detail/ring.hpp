// redwire/detail/ring.hpp — a double-ended queue in one circular buffer that keeps its storage.
//
// std::deque allocates a block each time its back crosses into a new one and frees a block each
// time its front leaves one: a queue that items flow through steadily (requests waiting for a
// worker, deadlines of calls in flight) allocates every few items forever. A ring allocates
// only when it holds more items than ever before; then nothing per item.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace redwire::detail {

/// T must be default-constructible and movable; a popped slot is reset to T{} (it releases
/// what it held at once).
template <class T>
class ring {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return slots_.size(); }

  T& front() noexcept { return slots_[head_]; }
  const T& front() const noexcept { return slots_[head_]; }
  T& back() noexcept { return slots_[index(size_ - 1)]; }
  const T& back() const noexcept { return slots_[index(size_ - 1)]; }
  T& operator[](std::size_t i) noexcept { return slots_[index(i)]; }
  const T& operator[](std::size_t i) const noexcept { return slots_[index(i)]; }

  void push_back(T value) {
    if (size_ == slots_.size()) grow();
    slots_[index(size_)] = std::move(value);
    ++size_;
  }

  void push_front(T value) {
    if (size_ == slots_.size()) grow();
    head_ = head_ == 0 ? slots_.size() - 1 : head_ - 1;
    slots_[head_] = std::move(value);
    ++size_;
  }

  void pop_front() {
    slots_[head_] = T{};
    head_ = head_ + 1 == slots_.size() ? 0 : head_ + 1;
    --size_;
  }

  /// Removes the i-th item, moving the later ones up.
  void erase(std::size_t i) {
    for (; i + 1 < size_; ++i) (*this)[i] = std::move((*this)[i + 1]);
    back() = T{};
    --size_;
  }

  void clear() {
    while (!empty()) pop_front();
    head_ = 0;
  }

 private:
  // slots_.size() is 0 or a power of two.
  std::size_t index(std::size_t i) const noexcept { return (head_ + i) & (slots_.size() - 1); }

  void grow() {
    std::vector<T> bigger(slots_.empty() ? 8 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(slots_[index(i)]);
    slots_.swap(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace redwire::detail
