// redwire/detail/handler_outcome.hpp — what the end of a handler means for its caller: it
// returned, it threw (errc::remote_exception, its message), or its arguments did not decode.
// One rule for handlers that return and for coroutines that end (dispatch.hpp).
#pragma once

#include <exception>
#include <string>
#include <system_error>

#include "../errors.hpp"

namespace redwire::detail {

struct outcome {
  errc failure{};  ///< errc{}: the handler returned
  std::string message;
};

/// What a handler's exception means for its caller.
inline outcome failure_of(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const rpc_error& error) {
    return {errc::remote_exception, error.what()};
  } catch (const std::system_error& error) {
    if (error.code().category() == error_category())
      return {static_cast<errc>(error.code().value()),
              std::string("arguments do not decode: ") + error.what()};
    return {errc::remote_exception, error.what()};
  } catch (const std::exception& error) {
    return {errc::remote_exception, error.what()};
  } catch (...) {
    return {errc::remote_exception, "the handler threw something that is not a std::exception"};
  }
}

}  // namespace redwire::detail
