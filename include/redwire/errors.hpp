// redwire/errors.hpp — what can go wrong with a call, and how it is reported.
//
// Every failure has a redwire::errc. `call` throws rpc_error; `try_call` returns result<T>,
// which holds either the value or the same rpc_error, and never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace redwire {

/// Why a call failed. The numbers travel on the wire: never renumber, only append.
enum class errc : std::uint16_t {
  timeout = 1,             ///< no reply within the call's timeout
  unavailable = 2,         ///< the transport is down, or no instance can take the call
  unknown_procedure = 3,   ///< the instance that answered serves no such procedure
  signature_mismatch = 4,  ///< caller and service disagree on the procedure's types
  remote_exception = 5,    ///< the handler threw; its message travels back
  bad_message = 6,         ///< bytes that do not decode: truncated, corrupt or not redwire
  unauthorized = 7,        ///< the call lacks the credentials the service requires
  too_large = 8,           ///< a message over the configured size limit
  cancelled = 9,           ///< the call was abandoned (client or service shutting down)
  // 10 is retired (it was `expired`, which nothing ever sent): a request past its deadline is
  // dropped unanswered, as its caller has given up and reports `timeout`. Not to be reused: an
  // older peer would read it as `expired`.
};

/// The std::error_category of redwire::errc ("redwire").
const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// Short stable name of a code: to_string(errc::timeout) == "timeout".
constexpr const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::timeout:
      return "timeout";
    case errc::unavailable:
      return "unavailable";
    case errc::unknown_procedure:
      return "unknown_procedure";
    case errc::signature_mismatch:
      return "signature_mismatch";
    case errc::remote_exception:
      return "remote_exception";
    case errc::bad_message:
      return "bad_message";
    case errc::unauthorized:
      return "unauthorized";
    case errc::too_large:
      return "too_large";
    case errc::cancelled:
      return "cancelled";
  }
  return "unknown_error";
}

namespace detail {
class redwire_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "redwire"; }
  std::string message(int value) const override { return to_string(static_cast<errc>(value)); }
};
}  // namespace detail

inline const std::error_category& error_category() noexcept {
  static const detail::redwire_category category;
  return category;
}

/// A failed call: the code, a message, the procedure and — where known — the instance that
/// answered.  `catch (const redwire::rpc_error& e) { if (e.code() == redwire::errc::timeout) ... }`
class rpc_error : public std::system_error {
 public:
  rpc_error(errc code, std::string message, std::string procedure = {}, std::string instance = {})
      : std::system_error(make_error_code(code)),
        what_(compose(code, message, procedure)),
        detail_(std::move(message)),
        procedure_(std::move(procedure)),
        instance_(std::move(instance)) {}

  errc error() const noexcept { return static_cast<errc>(code().value()); }
  /// "redwire: calc.add: timeout: no reply within 50 ms"
  const char* what() const noexcept override { return what_.c_str(); }
  /// The message alone (what() also names the code and the procedure).
  const std::string& message() const noexcept { return detail_; }
  const std::string& procedure() const noexcept { return procedure_; }
  const std::string& instance() const noexcept { return instance_; }
  /// How many times the call was sent (call_options::retry); 1 without retries.
  int attempts() const noexcept { return attempts_; }
  /// True when redwire knows the request did not run because its push failed: safe to send
  /// again. (A refusal by a dead instance, errc::unavailable naming the instance targeted,
  /// never ran either.)
  bool never_ran() const noexcept { return never_ran_; }

  // Set by redwire where it knows them.
  void set_attempts(int n) noexcept { attempts_ = n; }
  void set_never_ran() noexcept { never_ran_ = true; }

 private:
  static std::string compose(errc code, const std::string& message, const std::string& procedure) {
    std::string s = "redwire: ";
    if (!procedure.empty()) s += procedure + ": ";
    s += to_string(code);
    if (!message.empty()) s += ": " + message;
    return s;
  }
  std::string what_, detail_, procedure_, instance_;
  int attempts_ = 1;
  bool never_ran_ = false;
};

/// What try_call returns: a value (or nothing, for void procedures) or an rpc_error.
///   redwire::result<int> r = cli.try_call(calc::add, 2, 3);
///   if (r) use(*r); else log(r.error().what());
template <class T>
class result {
 public:
  using value_type = T;
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(rpc_error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws the rpc_error if there is none.
  T& value() & {
    check();
    return std::get<0>(state_);
  }
  const T& value() const& {
    check();
    return std::get<0>(state_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// The error; precondition: !has_value().
  const rpc_error& error() const& { return std::get<1>(state_); }
  /// How many times the call was sent (call_options::retry); 1 without retries.
  int attempts() const noexcept { return has_value() ? attempts_ : error().attempts(); }
  void set_attempts(int n) noexcept {
    attempts_ = n;
    if (!has_value()) std::get<1>(state_).set_attempts(n);
  }

 private:
  void check() const {
    if (!has_value()) throw std::get<1>(state_);
  }
  std::variant<T, rpc_error> state_;
  int attempts_ = 1;
};

template <>
class result<void> {
 public:
  using value_type = void;
  result() = default;
  result(rpc_error error) : error_(std::in_place, std::move(error)) {}

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (error_) throw *error_;
  }
  const rpc_error& error() const& { return *error_; }
  int attempts() const noexcept { return error_ ? error_->attempts() : attempts_; }
  void set_attempts(int n) noexcept {
    attempts_ = n;
    if (error_) error_->set_attempts(n);
  }

 private:
  std::optional<rpc_error> error_;
  int attempts_ = 1;
};

}  // namespace redwire

template <>
struct std::is_error_code_enum<redwire::errc> : std::true_type {};
