// redwire/codec/cereal_archive.hpp — a cereal archive pair that writes redwire's wire format.
//
// Classes with their own cereal serialize/save/load go through these archives, so their bytes
// land in the same message buffer as everything else: numbers little-endian, sizes as varints
// (checked against the bytes that remain before the container is sized), raw binary as is.
#pragma once

#include <cereal/cereal.hpp>

#include <type_traits>

#include "wire.hpp"

namespace redwire::detail {

/// Writes a cereal-serializable value into an `output`:
///   cereal_output_archive archive{out}; archive(value);
class cereal_output_archive
    : public cereal::OutputArchive<cereal_output_archive, cereal::AllowEmptyClassElision> {
 public:
  explicit cereal_output_archive(output& out)
      : cereal::OutputArchive<cereal_output_archive, cereal::AllowEmptyClassElision>(this),
        out_(&out) {}
  output& sink() noexcept { return *out_; }

 private:
  output* out_;
};

/// Reads a cereal-serializable value from an `input`:
///   cereal_input_archive archive{in}; archive(value);
class cereal_input_archive
    : public cereal::InputArchive<cereal_input_archive, cereal::AllowEmptyClassElision> {
 public:
  explicit cereal_input_archive(input& in)
      : cereal::InputArchive<cereal_input_archive, cereal::AllowEmptyClassElision>(this),
        in_(&in) {}
  input& source() noexcept { return *in_; }

 private:
  input* in_;
};

// cereal finds these by argument-dependent lookup on the archive type.

template <class T>
requires is_wire_number_v<T>
void CEREAL_SAVE_FUNCTION_NAME(cereal_output_archive& archive, const T& value) {
  archive.sink().write_number(value);
}

template <class T>
requires is_wire_number_v<T>
void CEREAL_LOAD_FUNCTION_NAME(cereal_input_archive& archive, T& value) {
  value = archive.source().template read_number<T>();
}

/// Names are not written: the binary format is positional.
template <class Archive, class T>
CEREAL_ARCHIVE_RESTRICT(cereal_input_archive, cereal_output_archive)
CEREAL_SERIALIZE_FUNCTION_NAME(Archive& archive, cereal::NameValuePair<T>& pair) {
  archive(pair.value);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(cereal_output_archive& archive, const cereal::SizeTag<T>& tag) {
  archive.sink().write_varint(static_cast<std::uint64_t>(tag.size));
}

/// A container size is checked against the bytes that remain (each element takes at least one
/// byte) before cereal resizes the container to it.
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(cereal_input_archive& archive, cereal::SizeTag<T>& tag) {
  tag.size =
      static_cast<std::remove_reference_t<decltype(tag.size)>>(archive.source().read_count(1));
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(cereal_output_archive& archive, const cereal::BinaryData<T>& data) {
  archive.sink().write_bytes(data.data, static_cast<std::size_t>(data.size));
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(cereal_input_archive& archive, cereal::BinaryData<T>& data) {
  archive.source().read_bytes(data.data, static_cast<std::size_t>(data.size));
}

}  // namespace redwire::detail

CEREAL_REGISTER_ARCHIVE(redwire::detail::cereal_output_archive)
CEREAL_REGISTER_ARCHIVE(redwire::detail::cereal_input_archive)
CEREAL_SETUP_ARCHIVE_TRAITS(redwire::detail::cereal_input_archive,
                            redwire::detail::cereal_output_archive)
