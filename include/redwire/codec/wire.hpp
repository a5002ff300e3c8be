// redwire/codec/wire.hpp — the byte level of the codec: where bytes go and where they come from.
//
// `output` appends to a message buffer; `input` is a bounds-checked cursor over received bytes.
// Numbers are fixed-width little-endian, lengths and counts are unsigned LEB128 varints.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "../errors.hpp"

namespace redwire::detail {

/// The largest message an `input` accepts unless told otherwise: 64 MiB.
inline constexpr std::size_t default_max_message_size = std::size_t{64} << 20;

/// Throws std::system_error(errc::bad_message, what).
[[noreturn]] inline void throw_bad_message(const char* what) {
  throw std::system_error(make_error_code(errc::bad_message), what);
}

/// Throws std::system_error(errc::too_large, what).
[[noreturn]] inline void throw_too_large(const char* what) {
  throw std::system_error(make_error_code(errc::too_large), what);
}

/// Numbers the codec writes as fixed-width little-endian bytes. long double is left out: its
/// size and padding differ between platforms, so its bytes would not mean the same everywhere.
template <class T>
inline constexpr bool is_wire_number_v =
    std::is_arithmetic_v<T> && !std::is_same_v<std::remove_cv_t<T>, long double>;

/// Bytes a varint of `value` takes (1..10).
constexpr std::size_t varint_size(std::uint64_t value) noexcept {
  std::size_t n = 1;
  for (; value >= 0x80; value >>= 7) ++n;
  return n;
}

/// Where encoded bytes go: appends to the std::string it refers to (the message buffer).
///   std::string buffer; redwire::detail::output out{buffer}; out.write_varint(300);
class output {
 public:
  explicit output(std::string& buffer) noexcept : buffer_(&buffer) {}

  std::string& buffer() const noexcept { return *buffer_; }
  /// Makes room for `bytes` more bytes, so that the appends that follow do not reallocate.
  void reserve_more(std::size_t bytes) { buffer_->reserve(buffer_->size() + bytes); }

  void write_bytes(const void* data, std::size_t size) {
    if (size != 0) buffer_->append(static_cast<const char*>(data), size);
  }

  /// A number as sizeof(T) little-endian bytes (bool as one byte, 0 or 1).
  template <class T>
  requires is_wire_number_v<T>
  void write_number(T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
      for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
    }
    buffer_->append(bytes, sizeof(T));
  }

  /// An unsigned LEB128 varint: 7 bits a byte, least significant first, high bit = more follows.
  void write_varint(std::uint64_t value) {
    char bytes[10];
    std::size_t n = 0;
    for (; value >= 0x80; value >>= 7) bytes[n++] = static_cast<char>((value & 0x7f) | 0x80);
    bytes[n++] = static_cast<char>(value);
    buffer_->append(bytes, n);
  }

 private:
  std::string* buffer_;
};

/// Where decoded bytes come from: a cursor over received bytes that never reads past their end.
/// Every failure throws std::system_error with errc::bad_message (or errc::too_large for a
/// message, length or count over `max_message_size`).
class input {
 public:
  /// Throws errc::too_large if `bytes` is longer than `max_message_size`.
  explicit input(std::string_view bytes, std::size_t max_message_size = default_max_message_size)
      : position_(bytes.data()),
        end_(bytes.data() + bytes.size()),
        max_message_size_(max_message_size) {
    if (bytes.size() > max_message_size) throw_too_large("message over the size limit");
  }

  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - position_); }
  bool empty() const noexcept { return position_ == end_; }
  std::size_t max_message_size() const noexcept { return max_message_size_; }

  /// The next `size` bytes, consumed; throws bad_message if fewer remain.
  const char* take(std::size_t size) {
    if (size > remaining()) throw_bad_message("message truncated");
    const char* at = position_;
    position_ += size;
    return at;
  }

  void read_bytes(void* destination, std::size_t size) {
    const char* from = take(size);
    if (size != 0) std::memcpy(destination, from, size);
  }

  /// A number written by output::write_number; a bool byte other than 0 or 1 is bad_message.
  template <class T>
  requires is_wire_number_v<T> T read_number() {
    if constexpr (std::is_same_v<T, bool>) {
      const auto byte = static_cast<unsigned char>(*take(1));
      if (byte > 1) throw_bad_message("bool byte is neither 0 nor 1");
      return byte == 1;
    } else {
      char bytes[sizeof(T)];
      std::memcpy(bytes, take(sizeof(T)), sizeof(T));
      if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
        for (std::size_t i = 0; i < sizeof(T) / 2; ++i)
          std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
      }
      T value;
      std::memcpy(&value, bytes, sizeof(T));
      return value;
    }
  }

  /// A varint; more than 10 bytes, or a value over 64 bits, is bad_message.
  std::uint64_t read_varint() {
    if (position_ != end_ && static_cast<unsigned char>(*position_) < 0x80) {
      return static_cast<unsigned char>(*position_++);
    }
    std::uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
      if (position_ == end_) throw_bad_message("message truncated inside a varint");
      const auto byte = static_cast<unsigned char>(*position_++);
      if (shift == 63) {
        // The tenth byte holds bit 63 only; anything more overflows or goes on past 10 bytes.
        if (byte > 1) throw_bad_message("varint longer than 10 bytes or over 64 bits");
        return value | (std::uint64_t{byte} << 63);
      }
      value |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return value;
    }
  }

  /// A length or element count, checked before anything is allocated for it: over the message
  /// size limit -> too_large; more than the remaining bytes can hold when every element takes at
  /// least `min_bytes_each` bytes -> bad_message.
  std::size_t read_count(std::size_t min_bytes_each) {
    const std::uint64_t count = read_varint();
    if (count > max_message_size_) throw_too_large("length or count over the message size limit");
    if (min_bytes_each != 0 && count > remaining() / min_bytes_each) {
      throw_bad_message("length or count larger than the bytes that remain");
    }
    return static_cast<std::size_t>(count);
  }

 private:
  const char* position_;
  const char* end_;
  std::size_t max_message_size_;
};

}  // namespace redwire::detail
