// redwire/detail/recycler.hpp — small blocks that are reused instead of freed, for the state that
// every async call needs (its promise's shared state and result).
//
// std::promise allocates two blocks per call: the shared state and the storage of the result.
// Given recycling_allocator they come from here: freed blocks of up to 256 bytes are kept in
// four size classes (64-byte steps) and handed out again, so a steady stream of async calls
// stops allocating once it has warmed up. A block may be freed on another thread than the one
// that took it (a future dropped anywhere), hence one pool for the process, a mutex per class.
// At most `kept_per_class` free blocks stay per class; beyond that they go back to the heap.
#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <new>

namespace redwire::detail {

class block_recycler {
 public:
  static constexpr std::size_t step = 64, classes = 4, largest = step * classes;
  static constexpr std::size_t kept_per_class = 4096;

  /// The process's pool. Never destroyed (blocks may be given back during static destruction,
  /// by futures that outlive main); what it keeps is still reachable from here.
  static block_recycler& instance() {
    static block_recycler* pool = new block_recycler;
    return *pool;
  }

  void* take(std::size_t n) {
    if (n == 0 || n > largest) return ::operator new(n);
    size_class& c = classes_[(n - 1) / step];
    {
      std::lock_guard lock(c.mutex);
      if (free_block* b = c.head) {
        c.head = b->next;
        --c.count;
        return b;
      }
    }
    return ::operator new(((n - 1) / step + 1) * step);
  }

  void give(void* p, std::size_t n) noexcept {
    if (n == 0 || n > largest) {
      ::operator delete(p);
      return;
    }
    size_class& c = classes_[(n - 1) / step];
    {
      std::lock_guard lock(c.mutex);
      if (c.count < kept_per_class) {
        c.head = new (p) free_block{c.head};
        ++c.count;
        return;
      }
    }
    ::operator delete(p);
  }

  /// Free blocks kept in the class of blocks of `n` bytes (for tests).
  std::size_t kept(std::size_t n) {
    size_class& c = classes_[(n - 1) / step];
    std::lock_guard lock(c.mutex);
    return c.count;
  }

 private:
  struct free_block {
    free_block* next;
  };
  struct size_class {
    std::mutex mutex;
    free_block* head = nullptr;
    std::size_t count = 0;
  };
  std::array<size_class, classes> classes_;
};

/// An allocator over block_recycler, for std::promise(std::allocator_arg, ...) and the like.
template <class T>
struct recycling_allocator {
  using value_type = T;
  static constexpr bool pooled = alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__;

  recycling_allocator() noexcept = default;
  template <class U>
  recycling_allocator(const recycling_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if constexpr (!pooled)  // over-aligned: straight from the heap
      return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(alignof(T))));
    else
      return static_cast<T*>(block_recycler::instance().take(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if constexpr (!pooled)
      ::operator delete(p, std::align_val_t(alignof(T)));
    else
      block_recycler::instance().give(p, n * sizeof(T));
  }

  template <class U>
  bool operator==(const recycling_allocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace redwire::detail
