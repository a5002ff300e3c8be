// redwire/detail/diagnostics.hpp — compile-time checks of declarations, calls and handlers.
//
// Each check is a class template whose *name and arguments* read as the diagnosis, with a
// static_assert banner ("====> redwire: ...") that stands out in a wall of template errors:
//   In instantiation of 'struct redwire::detail::call_argument_does_not_convert<
//       redwire::fixed_string<8>{"calc.add"}, redwire::detail::argument<2>, const char (&)[2],
//       int>'
//   error: static assertion failed: ====> redwire: an argument of this call does not convert ...
// g++ prints the procedure's name in the instantiation; clang prints its bytes, and the call site.
// A check's `value` is true when what its name says is the case (the mistake is there): the
// assertion fires then, and the checks below read `!mistake<...>::value` for "no such mistake".
#pragma once

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../codec.hpp"
#include "../fixed_string.hpp"
#include "../type_description.hpp"
#include "coroutine_handler.hpp"

namespace redwire::detail {

/// Positions in diagnostics count from 1, as people do.
template <std::size_t Position>
struct argument {};
template <std::size_t N>
struct expected {};
template <std::size_t N>
struct given {};

// ---- declarations -----------------------------------------------------------------------

template <fixed_string Procedure, class Position, class Type>
struct procedure_argument_is_not_serializable {
  static constexpr bool value = !serializable<Type>;
  // Unless a diagnostic naming the field or enum at fault fired first (codec/unserializable.hpp).
  static_assert(!value || report_unserializable_part<Type>(),
                "====> redwire: this argument type of the procedure cannot be serialized. Make it "
                "an aggregate of serializable fields, or give it a cereal serialize() function.");
};

template <fixed_string Procedure, class Type>
struct procedure_result_is_not_serializable {
  static constexpr bool value = !std::is_void_v<Type> && !serializable<Type>;
  static_assert(!value || report_unserializable_part<Type>(),
                "====> redwire: the result type of the procedure cannot be serialized. Make it an "
                "aggregate of serializable fields, give it a cereal serialize() function, or use "
                "std::tuple<...> for several results.");
};

/// The service that serves a procedure is what stands before the first dot of its name:
/// "", ".add" and "add" (no dot) name none, so they are refused.
template <fixed_string Procedure>
struct procedure_name_has_no_service {
  static constexpr std::size_t dot = Procedure.view().find('.');
  static constexpr bool value = dot == 0 || dot == std::string_view::npos;
  static_assert(!value,
                "====> redwire: a procedure needs a name of the form \"service.procedure\", "
                "such as \"calc.add\": the service that serves it is what stands before the "
                "first dot.");
};

/// Names with a '$' belong to redwire: every instance answers "<service>.$ping", "$stats" and
/// "$describe" by itself (introspection.hpp), so no user procedure may take one.
template <fixed_string Procedure>
struct procedure_name_is_reserved {
  static constexpr bool value = Procedure.view().find('$') != std::string_view::npos;
  static_assert(!value,
                "====> redwire: procedure names with a '$' are reserved for the procedures every "
                "instance answers by itself ($ping, $stats, $describe); choose another name.");
};

template <fixed_string Name, class R, class... A>
constexpr bool check_procedure_declaration() {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return !procedure_name_has_no_service<Name>::value &&
           !procedure_name_is_reserved<Name>::value &&
           !procedure_result_is_not_serializable<Name, R>::value &&
           (!procedure_argument_is_not_serializable<Name, argument<I + 1>, A>::value && ...);
  }
  (std::index_sequence_for<A...>{});
}

// ---- calls ------------------------------------------------------------------------------

template <fixed_string Procedure, class Expected, class Given>
struct call_with_wrong_number_of_arguments {
  static_assert(always_false<Expected>,
                "====> redwire: this call passes a different number of arguments than the "
                "procedure declares.");
};

template <fixed_string Procedure, class Position, class Given, class Declared>
struct call_argument_does_not_convert {
  static constexpr bool value = !std::is_convertible_v<Given, Declared>;
  static_assert(!value,
                "====> redwire: an argument of this call does not convert to the type that the "
                "procedure declares at that position.");
};

/// True when `G...` may be passed where `A...` is declared; otherwise a diagnostic fires.
template <fixed_string Name, class Declared, class... G>
constexpr bool check_call_arguments() {
  return []<class... A>(std::tuple<A...>*) {
    if constexpr (sizeof...(A) != sizeof...(G)) {
      (void)
          call_with_wrong_number_of_arguments<Name, expected<sizeof...(A)>, given<sizeof...(G)>>{};
      return false;
    } else {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return (!call_argument_does_not_convert<Name, argument<I + 1>, G, A>::value && ...);
      }
      (std::index_sequence_for<A...>{});
    }
  }(static_cast<Declared*>(nullptr));
}

// ---- handlers ---------------------------------------------------------------------------

/// The parameter list of a callable that has exactly one, non-template call operator.
template <class F, class = void>
struct callable_parameters {
  static constexpr bool known = false;
};
template <class R, class... P>
struct callable_parameters<R (*)(P...), void> {
  static constexpr bool known = true;
  using type = std::tuple<P...>;
};
template <class R, class... P>
struct callable_parameters<R(P...), void> : callable_parameters<R (*)(P...)> {};
template <class C, class R, class... P>
struct callable_parameters<R (C::*)(P...), void> : callable_parameters<R (*)(P...)> {};
template <class C, class R, class... P>
struct callable_parameters<R (C::*)(P...) const, void> : callable_parameters<R (*)(P...)> {};
template <class C, class R, class... P>
struct callable_parameters<R (C::*)(P...) noexcept, void> : callable_parameters<R (*)(P...)> {};
template <class C, class R, class... P>
struct callable_parameters<R (C::*)(P...) const noexcept, void> : callable_parameters<R (*)(P...)> {
};
template <class R, class... P>
struct callable_parameters<R (*)(P...) noexcept, void> : callable_parameters<R (*)(P...)> {};
template <class F>
struct callable_parameters<F, std::void_t<decltype(&F::operator())>>
    : callable_parameters<decltype(&F::operator())> {};

template <fixed_string Procedure, class Expected, class Given>
struct handler_takes_wrong_number_of_parameters {
  static_assert(always_false<Expected>,
                "====> redwire: this handler takes a different number of parameters than the "
                "procedure declares arguments.");
};

template <fixed_string Procedure, class Position, class Declared, class Parameter>
struct handler_parameter_does_not_accept_argument {
  static constexpr bool value = !std::is_convertible_v<Declared&&, Parameter>;
  static_assert(!value,
                "====> redwire: a parameter of this handler cannot receive the argument that the "
                "procedure declares at that position (handlers receive decoded values as "
                "rvalues: take them by value or const reference).");
};

template <fixed_string Procedure, class Declared>
struct handler_cannot_be_called_with_the_procedure_arguments {
  static_assert(always_false<Declared>,
                "====> redwire: this handler cannot be called with the arguments the procedure "
                "declares.");
};

template <fixed_string Procedure, class Declared, class Returned>
struct handler_result_does_not_convert {
  static constexpr bool value = std::is_void_v<Declared>
                                    ? !std::is_void_v<Returned>
                                    : !std::is_convertible_v<Returned, Declared>;
  static_assert(!value,
                "====> redwire: this handler returns a type that does not convert to the result "
                "the procedure declares (a void procedure needs a handler returning void; a "
                "coroutine handler, boost::asio::awaitable<R> of that result).");
};

/// True when F can serve a procedure R(A...); otherwise a diagnostic names what is wrong.
template <fixed_string Name, class R, class F, class... A>
constexpr bool check_handler() {
  using fn = std::remove_cvref_t<F>;
  if constexpr (callable_parameters<fn>::known) {
    using params = typename callable_parameters<fn>::type;
    if constexpr (std::tuple_size_v<params> != sizeof...(A)) {
      (void)handler_takes_wrong_number_of_parameters<Name, expected<sizeof...(A)>,
                                                     given<std::tuple_size_v<params>>>{};
      return false;
    } else {
      constexpr bool parameters_ok = []<std::size_t... I>(std::index_sequence<I...>) {
        return (
            !handler_parameter_does_not_accept_argument<Name, argument<I + 1>, wire_type_t<A>,
                                                        std::tuple_element_t<I, params>>::value &&
            ...);
      }
      (std::index_sequence_for<A...>{});
      if constexpr (!parameters_ok) {
        return false;
      } else {
        return !handler_result_does_not_convert<
            Name, R, handler_value_t<std::invoke_result_t<fn&, wire_type_t<A>&&...>>>::value;
      }
    }
  } else if constexpr (!std::is_invocable_v<fn&, wire_type_t<A>&&...>) {
    (void)handler_cannot_be_called_with_the_procedure_arguments<Name, std::tuple<A...>>{};
    return false;
  } else {
    return !handler_result_does_not_convert<
        Name, R, handler_value_t<std::invoke_result_t<fn&, wire_type_t<A>&&...>>>::value;
  }
}

}  // namespace redwire::detail
