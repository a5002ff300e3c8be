// redwire/detail/any_stream_reader.hpp — a stream_reader behind a virtual interface, for
// detail::any_transport (see stream_transport.hpp for what each operation does).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../stream_transport.hpp"

namespace redwire::detail {

class any_stream_reader {
 public:
  virtual ~any_stream_reader() = default;
  virtual void create_group(bool from_start) = 0;
  virtual void read(std::vector<stream_entry>& out, std::size_t max,
                    std::chrono::milliseconds block) = 0;
  virtual void read_own_pending(std::vector<stream_entry>& out, std::string_view after_id,
                                std::size_t max) = 0;
  virtual std::string autoclaim(std::vector<stream_entry>& out, std::chrono::milliseconds min_idle,
                                std::string_view cursor, std::size_t max) = 0;
  virtual std::vector<std::uint64_t> delivery_counts(std::span<const std::string> ids) = 0;
  virtual void ack(std::span<const std::string> ids) = 0;
  virtual void wake() = 0;
};

template <stream_reader R>
class stream_reader_adapter final : public any_stream_reader {
 public:
  explicit stream_reader_adapter(R r) : r_(std::move(r)) {}
  void create_group(bool from_start) override { r_.create_group(from_start); }
  void read(std::vector<stream_entry>& out, std::size_t max,
            std::chrono::milliseconds block) override {
    r_.read(out, max, block);
  }
  void read_own_pending(std::vector<stream_entry>& out, std::string_view after_id,
                        std::size_t max) override {
    r_.read_own_pending(out, after_id, max);
  }
  std::string autoclaim(std::vector<stream_entry>& out, std::chrono::milliseconds min_idle,
                        std::string_view cursor, std::size_t max) override {
    return r_.autoclaim(out, min_idle, cursor, max);
  }
  std::vector<std::uint64_t> delivery_counts(std::span<const std::string> ids) override {
    return r_.delivery_counts(ids);
  }
  void ack(std::span<const std::string> ids) override { r_.ack(ids); }
  void wake() override { r_.wake(); }

 private:
  R r_;
};

}  // namespace redwire::detail
