// tools/redwire/type_tree.hpp — a type description (include/redwire/type_description.hpp:
// "vec<{f64, f64}>", "point{x: f64, y: f64}", "enum<u8>{red=0, green=1}") read back into a
// tree, from which json_codec.hpp encodes and decodes values without the C++ declaration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace redwire::tool {

enum class node_kind {
  boolean,
  character,  // char: one byte
  integer,    // i8 ... u64
  floating,   // f32, f64
  byte,       // std::byte
  nothing,    // void (a result only)
  none,       // std::monostate
  string,
  bytes,
  sequence,  // vec<T>, set<T>: a count, then the elements
  array,     // arr<T, N>: N elements, no count
  map,       // map<K, V>
  optional,
  variant,
  tuple,     // tup<...>, pair<A, B>
  duration,  // dur<R, N/D>: R
  time,      // time<dur<...>>: its duration
  enumeration,
  aggregate,  // {A, B} by position, or name{a: A, b: B}
  opaque,     // obj / obj<name>: a class with its own cereal serialization
};

struct type_node {
  node_kind kind = node_kind::nothing;
  std::string text;                  // the description of this node, as published
  unsigned bits = 0;                 // integer, floating
  bool is_signed = false;            // integer
  bool is_set = false;               // sequence: a set (no duplicates)
  std::size_t length = 0;            // array
  std::vector<type_node> children;   // element; key, value; alternatives; fields; enum: underlying
  std::vector<std::string> names;    // described fields, or enumerators
  std::vector<std::int64_t> values;  // enumerators' values
  std::string name;                  // described struct's or opaque class's name; dur's ratio
};

/// Throws std::invalid_argument when `text` is not a type description.
type_node parse_type(std::string_view text);

}  // namespace redwire::tool
