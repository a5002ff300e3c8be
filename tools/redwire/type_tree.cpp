// tools/redwire/type_tree.cpp — the reader of type descriptions (type_tree.hpp).
#include "type_tree.hpp"

#include <charconv>
#include <utility>

namespace redwire::tool {
namespace {

class parser {
 public:
  explicit parser(std::string_view text) : text_(text) {}

  type_node whole() {
    type_node n = type();
    if (at_ != text_.size()) fail("unexpected text");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("not a type description: " + what + " at offset " +
                                std::to_string(at_) + " of '" + std::string(text_) + "'");
  }
  bool peek(std::string_view s) const { return text_.substr(at_).starts_with(s); }
  void expect(std::string_view s) {
    if (!peek(s)) fail("expected '" + std::string(s) + "'");
    at_ += s.size();
  }
  bool accept(std::string_view s) {
    if (!peek(s)) return false;
    at_ += s.size();
    return true;
  }
  /// A word: up to the next character that structures a description.
  std::string_view word() {
    const std::size_t start = at_;
    while (at_ < text_.size() &&
           std::string_view("<>{},|:= ").find(text_[at_]) == std::string_view::npos)
      ++at_;
    return text_.substr(start, at_ - start);
  }
  std::int64_t number() {
    const bool negative = accept("-");
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text_.data() + at_, text_.data() + text_.size(), v);
    if (ec != std::errc{} || end == text_.data() + at_) fail("expected a number");
    at_ = static_cast<std::size_t>(end - text_.data());
    return negative ? -static_cast<std::int64_t>(v - 1) - 1 : static_cast<std::int64_t>(v);
  }

  type_node type() {
    const std::size_t start = at_;
    type_node n = bare();
    n.text = std::string(text_.substr(start, at_ - start));
    return n;
  }

  /// "T, U, ..." up to `close` (which is consumed).
  void list(type_node& n, std::string_view separator, char close) {
    if (accept(std::string_view(&close, 1))) return;
    for (;;) {
      n.children.push_back(type());
      if (accept(std::string_view(&close, 1))) return;
      expect(separator);
    }
  }

  type_node bare() {
    if (peek("{")) return aggregate({});
    const std::string_view w = word();
    type_node n;
    if (w.empty()) fail("expected a type");
    if (scalar(w, n)) return n;
    if (peek("{")) return aggregate(std::string(w));
    expect("<");
    if (w == "vec" || w == "set" || w == "opt") {
      n.kind = w == "opt" ? node_kind::optional : node_kind::sequence;
      n.is_set = w == "set";
      n.children.push_back(type());
      expect(">");
    } else if (w == "arr") {
      n.kind = node_kind::array;
      n.children.push_back(type());
      expect(", ");
      n.length = static_cast<std::size_t>(number());
      expect(">");
    } else if (w == "map" || w == "pair" || w == "tup") {
      n.kind = w == "map" ? node_kind::map : node_kind::tuple;
      list(n, ", ", '>');
    } else if (w == "var") {
      n.kind = node_kind::variant;
      list(n, "|", '>');
    } else if (w == "dur") {
      n.kind = node_kind::duration;
      n.children.push_back(type());
      expect(", ");
      const std::int64_t num = number();
      expect("/");
      n.name = std::to_string(num) + "/" + std::to_string(number());
      expect(">");
    } else if (w == "time") {
      n.kind = node_kind::time;
      n.children.push_back(type());
      expect(">");
    } else if (w == "enum") {
      enumeration(n);
    } else if (w == "obj") {
      n.kind = node_kind::opaque;
      const std::size_t start = at_;
      while (at_ < text_.size() && text_[at_] != '>') ++at_;
      n.name = std::string(text_.substr(start, at_ - start));
      expect(">");
    } else {
      fail("unknown type '" + std::string(w) + "'");
    }
    return n;
  }

  bool scalar(std::string_view w, type_node& n) {
    if (peek("<") || peek("{")) return false;
    if (w == "obj") {
      n.kind = node_kind::opaque;
    } else if (w == "bool") {
      n.kind = node_kind::boolean;
    } else if (w == "char") {
      n.kind = node_kind::character;
    } else if (w == "byte") {
      n.kind = node_kind::byte;
    } else if (w == "void") {
      n.kind = node_kind::nothing;
    } else if (w == "none") {
      n.kind = node_kind::none;
    } else if (w == "str") {
      n.kind = node_kind::string;
    } else if (w == "bytes") {
      n.kind = node_kind::bytes;
    } else if (w.size() >= 2 && (w[0] == 'i' || w[0] == 'u' || w[0] == 'f')) {
      unsigned bits = 0;
      auto [end, ec] = std::from_chars(w.data() + 1, w.data() + w.size(), bits);
      if (ec != std::errc{} || end != w.data() + w.size()) return false;
      n.kind = w[0] == 'f' ? node_kind::floating : node_kind::integer;
      n.bits = bits;
      n.is_signed = w[0] == 'i';
      if (n.kind == node_kind::integer && bits != 8 && bits != 16 && bits != 32 && bits != 64)
        fail("an integer of " + std::to_string(bits) + " bits");
      if (n.kind == node_kind::floating && bits != 32 && bits != 64)
        fail("a floating point number of " + std::to_string(bits) + " bits");
    } else {
      return false;
    }
    return true;
  }

  void enumeration(type_node& n) {
    n.kind = node_kind::enumeration;
    n.children.push_back(type());
    if (n.children[0].kind != node_kind::integer) fail("an enum over a type that is no integer");
    expect(">");
    if (!accept("{") || accept("}")) return;
    for (;;) {
      n.names.emplace_back(word());
      expect("=");
      n.values.push_back(number());
      if (accept("}")) return;
      expect(", ");
    }
  }

  type_node aggregate(std::string name) {
    type_node n;
    n.kind = node_kind::aggregate;
    n.name = std::move(name);
    expect("{");
    if (accept("}")) return n;
    for (;;) {
      if (!n.name.empty()) {
        n.names.emplace_back(word());
        expect(": ");
      }
      n.children.push_back(type());
      if (accept("}")) return n;
      expect(", ");
    }
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

type_node parse_type(std::string_view text) {
  return parser(text).whole();
}

}  // namespace redwire::tool
