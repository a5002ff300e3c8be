// redwire/detail/frame_buffer.hpp — where a thread builds the frames of its calls.
#pragma once

#include <cstddef>
#include <string>

namespace redwire::detail {

/// The buffer a thread builds the frame of its call in: kept from one call to the next (no
/// allocation per call), given up when it grew past 64 KiB. A call made while another one's
/// frame is being built on the same thread (a serializer that calls out) gets a fresh one.
class frame_buffer {
 public:
  frame_buffer() : kept_(&slot()) {
    if (kept_->in_use) {
      kept_ = nullptr;
      return;
    }
    kept_->in_use = true;
    kept_->bytes.clear();
  }
  ~frame_buffer() {
    if (!kept_) return;
    if (kept_->bytes.capacity() > max_kept) std::string().swap(kept_->bytes);
    kept_->in_use = false;
  }
  frame_buffer(const frame_buffer&) = delete;
  frame_buffer& operator=(const frame_buffer&) = delete;

  std::string& bytes() noexcept { return kept_ ? kept_->bytes : own_; }

 private:
  static constexpr std::size_t max_kept = 64 << 10;
  struct state {
    std::string bytes;
    bool in_use = false;
  };
  static state& slot() {
    thread_local state s;
    return s;
  }
  state* kept_;
  std::string own_;
};

}  // namespace redwire::detail
