// redwire/procedure.hpp — a remote procedure, declared once in a header shared by the service
// and its callers:
//
//   inline constexpr redwire::procedure<"calc.add", int(int, int)> add{};
//
// The declaration carries the name, the types, a readable signature ("calc.add(i32, i32) -> i32")
// and a fingerprint of the types' structure, so that a caller and a service built apart (even
// by different compilers) find out at run time when they disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "codec.hpp"
#include "detail/bytes.hpp"
#include "detail/diagnostics.hpp"
#include "fixed_string.hpp"
#include "type_description.hpp"

namespace redwire {

template <fixed_string Name, class Signature>
struct procedure {
  static_assert(detail::always_false<Signature>,
                "====> redwire: a procedure is declared as procedure<\"service.name\", "
                "Result(Arguments...)>, e.g. procedure<\"calc.add\", int(int, int)>");
};

namespace detail {

/// "calc" for "calc.add": the service that serves a procedure is named by what stands before
/// the first dot (a name without a dot does not compile: procedure_name_has_no_service).
constexpr std::string_view service_of(std::string_view procedure_name) {
  return procedure_name.substr(0, procedure_name.find('.'));
}

template <class T>
constexpr auto description_or_placeholder() {
  if constexpr (serializable<T> || std::is_void_v<T>) {
    return type_description_v<T>;
  } else {
    return fixed_string("?");
  }
}

template <class... A>
constexpr auto joined_descriptions() {
  if constexpr (sizeof...(A) == 0) {
    return fixed_string("");
  } else {
    return [](auto first, auto... rest) {
      return (first + ... + (fixed_string(", ") + rest));
    }(description_or_placeholder<A>()...);
  }
}

template <fixed_string Name, class R, class... A>
constexpr auto signature_text() {
  return Name + "(" + joined_descriptions<A...>() + ") -> " + description_or_placeholder<R>();
}

}  // namespace detail

template <fixed_string Name, class R, class... A>
struct procedure<Name, R(A...)> {
  static_assert(detail::check_procedure_declaration<Name, R, A...>());

  using result_type = R;
  using argument_types = std::tuple<A...>;
  /// What the service's handler receives: std::string for std::string_view, and so on.
  using decoded_arguments = std::tuple<wire_type_t<A>...>;

  static constexpr std::size_t arity = sizeof...(A);
  /// "calc.add"
  static constexpr std::string_view name = Name.view();
  /// "calc": the service whose instances serve this procedure.
  static constexpr std::string_view service = detail::service_of(Name.view());

 private:
  static constexpr auto signature_storage = detail::signature_text<Name, R, A...>();

 public:
  /// "calc.add(i32, i32) -> i32": types described by structure, the same for every compiler.
  static constexpr std::string_view signature = signature_storage.view();
  /// Changes whenever the name or the structure of any argument or result type changes.
  static constexpr std::uint64_t fingerprint = detail::fnv1a(signature);
};

/// True for any redwire::procedure<...>.
template <class T>
inline constexpr bool is_procedure_v = false;
template <fixed_string Name, class R, class... A>
inline constexpr bool is_procedure_v<procedure<Name, R(A...)>> = true;

}  // namespace redwire
