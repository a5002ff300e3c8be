// redwire/codec/wire.hpp — the byte level of the codec: where bytes go and where they come from.
//
// `output` appends to a message buffer; `input` is a bounds-checked cursor over received bytes.
// Numbers are fixed-width little-endian, lengths and counts are unsigned LEB128 varints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "../detail/bytes.hpp"
#include "../errors.hpp"

namespace redwire::detail {

/// The largest message an `input` accepts unless told otherwise: 64 MiB.
inline constexpr std::size_t default_max_message_size = std::size_t{64} << 20;

/// Throws std::system_error(errc::too_large, what).
[[noreturn]] inline void throw_too_large(const char* what) {
  throw std::system_error(make_error_code(errc::too_large), what);
}

/// Numbers the codec writes as fixed-width little-endian bytes. long double is left out: its
/// size and padding differ between platforms, so its bytes would not mean the same everywhere.
template <class T>
inline constexpr bool is_wire_number_v =
    std::is_arithmetic_v<T> && !std::is_same_v<std::remove_cv_t<T>, long double>;

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
  void write_number(T value) { append_little_endian(*buffer_, value); }

  /// An unsigned LEB128 varint (detail/bytes.hpp), in its shortest form.
  void write_varint(std::uint64_t value) { append_varint(*buffer_, value); }

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
      return load_little_endian<T>(take(sizeof(T)));
    }
  }

  /// A varint; truncated, more than 10 bytes, or a value over 64 bits is bad_message.
  std::uint64_t read_varint() { return take_varint(position_, end_); }

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
