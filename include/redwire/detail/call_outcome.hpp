// redwire/detail/call_outcome.hpp — what a call's reply becomes: a result<R> for a sync call,
// the value or the rpc_error of an async call's future.
#pragma once

#include <cstddef>
#include <exception>
#include <future>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>

#include "../codec.hpp"
#include "../errors.hpp"
#include "async_calls.hpp"
#include "hooked_calls.hpp"
#include "pending_calls.hpp"

namespace redwire::detail {

/// The failure of a call whose request could not be pushed: it never ran.
inline rpc_error unsent(std::string why, std::string_view procedure) {
  rpc_error e(errc::unavailable, std::move(why), std::string(procedure));
  e.set_never_ran();
  return e;
}

/// The errc a std::system_error stands for: its own when it is redwire's, bad_message otherwise.
inline errc to_errc(const std::system_error& e) {
  return e.code().category() == error_category() ? static_cast<errc>(e.code().value())
                                                 : errc::bad_message;
}

/// The value of a reply's payload. Throws std::system_error (bad_message, too_large) when the
/// bytes do not decode as an R, or when a void reply carries any.
template <class R>
R decode_result(std::string_view payload) {
  if constexpr (std::is_void_v<R>) {
    if (!payload.empty())
      throw std::system_error(make_error_code(errc::bad_message), "a void reply carries bytes");
  } else {
    return std::get<0>(redwire::decode_values<R>(payload));
  }
}

/// What an error reply says: its payload, except for signature_mismatch, which names both
/// declarations, "caller: calc.add(i32, i32) -> i32; service: calc.add(i32, i32) -> i64".
/// The service sends its own signature; the caller adds its one. (Earlier services wrote a
/// sentence before their signature: it is dropped.)
inline std::string error_message(errc error, std::string_view payload,
                                 std::string_view caller_signature) {
  if (error != errc::signature_mismatch) return std::string(payload);
  constexpr std::string_view older = "' differs from this service's: ";
  if (const std::size_t at = payload.find(older); at != std::string_view::npos)
    payload.remove_prefix(at + older.size());
  return "caller: " + std::string(caller_signature) + "; service: " + std::string(payload);
}

/// A sync call's outcome: the failure named in the reply (error != errc{}), or its decoded value.
template <class R>
result<R> reply_result(errc error, std::string_view payload, std::string_view instance,
                       std::string_view procedure, std::string_view signature) {
  if (error != errc{})
    return rpc_error(error, error_message(error, payload, signature), std::string(procedure),
                     std::string(instance));
  try {
    if constexpr (std::is_void_v<R>) {
      decode_result<void>(payload);
      return {};
    } else {
      return decode_result<R>(payload);
    }
  } catch (const std::system_error& e) {
    return rpc_error(to_errc(e), e.what(), std::string(procedure), std::string(instance));
  }
}

/// Completes an async call's future (on the thread that took the call from the table), then
/// recycles the call. Whatever happens, the future gets an outcome.
template <class R>
void complete_async(pending_call* base) {
  auto* call = static_cast<async_call*>(base);
  std::promise<R>& promise = call->promise<R>();
  // With hooks, on_call_end runs before the future is ready: whoever waits on it sees the hook
  // done. Without, the value goes straight into the promise.
  try {
    if (call->never_ran) throw unsent(call->payload, call->procedure);
    if (call->error != errc{}) {
      throw rpc_error(call->error, error_message(call->error, call->payload, call->signature),
                      std::string(call->procedure), call->instance);
    }
    if constexpr (std::is_void_v<R>) {
      decode_result<void>(call->payload);
      end_hooked_call(*call, errc{});
      promise.set_value();
    } else if (call->hooks) {
      R value = decode_result<R>(call->payload);
      end_hooked_call(*call, errc{});
      promise.set_value(std::move(value));
    } else {
      promise.set_value(decode_result<R>(call->payload));
    }
  } catch (const rpc_error& e) {
    end_hooked_call(*call, e.error());
    promise.set_exception(std::current_exception());
  } catch (const std::system_error& e) {
    end_hooked_call(*call, to_errc(e));
    promise.set_exception(std::make_exception_ptr(
        rpc_error(to_errc(e), e.what(), std::string(call->procedure), call->instance)));
  } catch (...) {  // std::bad_alloc while decoding, say
    end_hooked_call(*call, errc::bad_message);
    promise.set_exception(std::current_exception());
  }
  call->pool->finish<R>(call);
}

}  // namespace redwire::detail
