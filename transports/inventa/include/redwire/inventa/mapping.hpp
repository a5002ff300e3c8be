// redwire/inventa/mapping.hpp — redwire procedure types onto Inventa's list of strings.
//
//   item types      std::string (std::string_view, const char* as arguments), blobs
//                   (std::vector<std::byte>: the bytes as they are), integers and floating point
//                   (decimal text; bool and character types are not numbers here)
//   arguments       one item each; a lone std::vector<std::string> argument is the whole list
//   result          void: no item; an item type: one item; std::tuple<item types...>: one item
//                   each; std::vector<std::string>: the whole list
//
// A procedure with any other type does not compile with Inventa: the diagnostic is
// `type_has_no_inventa_form<"calc.f", argument<2>, std::map<int, int>>` (or `result`).
#pragma once

#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <redwire/codec.hpp>
#include <redwire/detail/diagnostics.hpp>
#include <redwire/fixed_string.hpp>

namespace redwire::inventa::detail {

template <class T>
concept number = (std::integral<T> || std::floating_point<T>)&&!std::same_as<T, bool> &&
                 !std::same_as<T, char> && !std::same_as<T, wchar_t> && !std::same_as<T, char8_t> &&
                 !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

using blob = std::vector<std::byte>;
using item_list = std::vector<std::string>;

/// One Inventa item: what an argument or a result element may be (as the handler sees it).
template <class T>
concept item = number<T> || std::same_as<T, std::string> || std::same_as<T, blob>;

template <class T>
struct is_item_tuple : std::false_type {};
template <class... T>
struct is_item_tuple<std::tuple<T...>> : std::bool_constant<(item<T> && ...)> {};

/// What a procedure's result may be.
template <class R>
concept result_form =
    std::is_void_v<R> || item<R> || std::same_as<R, item_list> || is_item_tuple<R>::value;

/// Marks the result in a diagnostic (arguments use redwire::detail::argument<N>).
struct result {};

template <fixed_string Procedure, class Position, class Type>
struct type_has_no_inventa_form {
  static constexpr bool value = true;
  static_assert(redwire::detail::always_false<Type>,
                "====> redwire::inventa: this type of the procedure has no Inventa form. Items "
                "are std::string, std::vector<std::byte>, integers and floating point; a lone "
                "std::vector<std::string> argument or result is the whole list; results may be "
                "void or a std::tuple of items.");
};

/// True when every type of procedure Name R(A...) maps; otherwise a diagnostic names the type.
template <fixed_string Name, class R, class... A>
constexpr bool check_mapping() {
  constexpr bool whole_list = sizeof...(A) == 1 && (std::same_as<wire_type_t<A>, item_list> && ...);
  bool ok = true;
  if constexpr (!result_form<R>) ok = !type_has_no_inventa_form<Name, result, R>::value;
  if constexpr (!whole_list) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((ok = ok &&
             [] {
               using T = wire_type_t<std::tuple_element_t<I, std::tuple<A...>>>;
               if constexpr (item<T>)
                 return true;
               else
                 return !type_has_no_inventa_form<Name, redwire::detail::argument<I + 1>, T>::value;
             }()),
       ...);
    }
    (std::index_sequence_for<A...>{});
  }
  return ok;
}

// ---- one item ---------------------------------------------------------------------------

template <class T>
std::string to_item(const T& v) {
  if constexpr (number<T>) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
  } else if constexpr (std::same_as<T, blob>) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size());
  } else {
    return std::string(std::string_view(v));
  }
}

/// Reads an item as a T; on failure returns false and says why in `why`.
template <class T>
bool from_item(std::string_view text, T& out, std::string& why) {
  if constexpr (std::integral<T>) {
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, out);
    // A whole number written as a float ("42.0", as Python prints it) is taken too.
    if (ec == std::errc() && p != end && *p == '.' && p + 1 != end &&
        std::string_view(p + 1, end).find_first_not_of('0') == std::string_view::npos)
      p = end;
    if (ec != std::errc() || p != end || text.empty()) {
      why = ec == std::errc::result_out_of_range ? "out of range" : "not an integer";
      return false;
    }
    return true;
  } else if constexpr (std::floating_point<T>) {
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, out);
    if (ec != std::errc() || p != end || text.empty()) {
      why = "not a number";
      return false;
    }
    return true;
  } else if constexpr (std::same_as<T, blob>) {
    out.resize(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<std::byte>(text[i]);
    return true;
  } else {
    out.assign(text);
    return true;
  }
}

/// "'abc'" shortened for a message.
inline std::string shown(std::string_view text) {
  constexpr std::size_t shown = 40;
  std::string q = "'" + std::string(text.substr(0, shown));
  return q + (text.size() > shown ? "...'" : "'");
}

// ---- lists ------------------------------------------------------------------------------

/// The items a call with `args` sends, for a procedure declared with arguments A...
template <class... A, class... G>
item_list arguments_to_items(G&&... args) {
  if constexpr (sizeof...(A) == 1 && (std::same_as<wire_type_t<A>, item_list> && ...)) {
    return item_list(std::forward<G>(args)...);
  } else {
    item_list items;
    items.reserve(sizeof...(A));
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (items.push_back(to_item<wire_type_t<std::tuple_element_t<I, std::tuple<A...>>>>(
           wire_type_t<std::tuple_element_t<I, std::tuple<A...>>>(args))),
       ...);
    }
    (std::index_sequence_for<A...>{});
    return items;
  }
}

/// Reads the first tuple_size<Tuple> items into `out`, each as its element's type; false and
/// `why` ("<label> 2: ...: <the item>") at the first that does not read. `items` holds enough.
template <class Tuple>
bool items_to_tuple(const item_list& items, Tuple& out, std::string_view label, std::string& why) {
  bool ok = true;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((ok = ok &&
           [&] {
             std::string what;
             if (from_item(items[I], std::get<I>(out), what)) return true;
             why = std::string(label) + " " + std::to_string(I + 1) + ": " + what + ": " +
                   shown(items[I]);
             return false;
           }()),
     ...);
  }
  (std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  return ok;
}

/// The handler's arguments from the request's items. Items past the declared ones are ignored
/// (as the libraries do); fewer, or one that does not read as its type, gives nullopt and `why`.
template <class... A>
std::optional<std::tuple<wire_type_t<A>...>> items_to_arguments(const item_list& items,
                                                                std::string& why) {
  std::tuple<wire_type_t<A>...> values;
  if constexpr (sizeof...(A) == 1 && (std::same_as<wire_type_t<A>, item_list> && ...)) {
    std::get<0>(values) = items;
    return values;
  } else {
    // No argument at all arrives as one empty item: that is not "one argument too many".
    if (items.size() < sizeof...(A)) {
      why = "expected " + std::to_string(sizeof...(A)) + " arguments, got " +
            std::to_string(items.size());
      return std::nullopt;
    }
    if (!items_to_tuple(items, values, "argument", why)) return std::nullopt;
    return values;
  }
}

/// The items a handler's result becomes.
template <class R, class V>
item_list result_to_items(V&& value) {
  if constexpr (std::same_as<R, item_list>) {
    return item_list(std::forward<V>(value));
  } else if constexpr (is_item_tuple<R>::value) {
    const R& t = value;
    return std::apply([](const auto&... e) { return item_list{to_item(e)...}; }, t);
  } else {
    return item_list{to_item<R>(R(std::forward<V>(value)))};
  }
}

/// A reply's items as the declared result; nullopt and `why` when they do not read as it.
template <class R>
std::optional<R> items_to_result(const item_list& items, std::string& why) {
  if constexpr (std::same_as<R, item_list>) {
    return items;
  } else if constexpr (is_item_tuple<R>::value) {
    R out;
    if (items.size() < std::tuple_size_v<R>) {
      why = "expected " + std::to_string(std::tuple_size_v<R>) + " result items, got " +
            std::to_string(items.size());
      return std::nullopt;
    }
    if (!items_to_tuple(items, out, "result item", why)) return std::nullopt;
    return out;
  } else {
    R out{};
    std::string what;
    if (items.empty() || !from_item(items[0], out, what)) {
      why = "result: " + (items.empty() ? std::string("no item") : what + ": " + shown(items[0]));
      return std::nullopt;
    }
    return out;
  }
}

}  // namespace redwire::inventa::detail
