// tools/redwire/json_codec.hpp — values as JSON, encoded and decoded by their type description
// (type_tree.hpp) into the bytes redwire's codec reads and writes (include/redwire/codec/).
//
// JSON forms (docs/operations.md):
//   bool          true / false          integers, floats    numbers (range checked)
//   char          "a" (or its code)     byte                a number 0..255
//   str           "text"                bytes               "0aff" (hex)
//   vec, set, arr [...]                 map<str, V>         {"k": v}; other keys: [[k, v], ...]
//   opt           null or the value     var<A|B>            {"index": 1, "value": v}; as input,
//                                                           a bare value goes to the first
//                                                           alternative that takes it
//   pair, tup     [a, b]                none                null
//   dur, time     a number (count of the duration's unit; time: since the epoch)
//   enum          a number; a described enum's name ("red") both ways
//   {A, B}        [a, b]                name{x: A, y: B}    {"x": a, "y": b} (or [a, b])
//   obj           opaque: its own serialize() says what it is, redwire cannot (an error)
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

#include "type_tree.hpp"

namespace redwire::tool {

/// Objects keep the order of their members (a struct's fields print in declaration order).
using json = nlohmann::ordered_json;

/// `value` as one line of JSON; bytes that are not UTF-8 in strings are replaced.
std::string to_text(const json& value, int indent = -1);

/// A value that does not match its type: where in it ("[2].x") and what was expected.
struct json_mismatch : std::runtime_error {
  json_mismatch(std::string path, const std::string& what)
      : std::runtime_error(what), path(std::move(path)) {}
  std::string path;
};

/// Appends the encoding of `value` as a `type` to `out`; throws json_mismatch.
void encode_json(const type_node& type, const json& value, std::string& out);

/// Decodes one value of `type` from the front of `bytes` (consumed); throws
/// std::system_error (errc::bad_message) on bytes that do not decode, json_mismatch for an
/// opaque type.
json decode_json(const type_node& type, std::string_view& bytes);

}  // namespace redwire::tool
