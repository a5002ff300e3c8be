// redwire/detail/handler_table.hpp — the procedures an instance serves (dispatch.hpp): each
// one's fingerprint, signature, handler (a function, or a coroutine to spawn:
// coroutine_handler.hpp), metrics and type descriptions; and the built-ins ("$ping",
// builtins.hpp), which answer "<service>.$name" and are neither counted nor registered.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../codec.hpp"
#include "../instance_info.hpp"
#include "../introspection.hpp"
#include "../metrics.hpp"
#include "coroutine_handler.hpp"

namespace redwire::detail {

struct bound_procedure {
  std::uint64_t fingerprint = 0;
  std::string signature;
  std::function<void(std::string_view, std::string&)> invoke;  ///< unset for a coroutine
  operation_metrics* metrics = nullptr;                        ///< null for built-ins
  std::vector<std::string> arguments;                          ///< their type descriptions
  std::string result;
  std::function<void(std::shared_ptr<coroutine_call>)> spawn;  ///< set: a coroutine handler
};

/// Filled before requests run; read-only (and so shared by the workers) once they do.
class handler_table {
 public:
  void bind(std::string_view name, bound_procedure b) {
    handlers_[std::string(name)] = std::move(b);
  }

  /// Serves "<service>.<name>" (a builtin_procedure of introspection.hpp: "$ping") with
  /// `invoke`, which takes no argument and appends its result.
  void bind_builtin(std::string_view name, std::uint64_t fingerprint,
                    std::function<void(std::string&)> invoke) {
    bound_procedure b{fingerprint, std::string(name), {}, nullptr, {}, {}, {}};
    b.invoke = [f = std::move(invoke)](std::string_view args, std::string& out) {
      if (!args.empty()) throw_bad_message("a built-in procedure takes no argument");
      f(out);
    };
    builtins_[std::string(name)] = std::move(b);
  }

  /// What serves `procedure`: built-ins for "<service>.$name"; nullptr if nothing does.
  const bound_procedure* find(std::string_view procedure) const {
    const std::size_t dollar = procedure.find(".$");
    const auto& table = dollar == std::string_view::npos ? handlers_ : builtins_;
    auto found =  // a view: no string made per request
        table.find(dollar == std::string_view::npos ? procedure : procedure.substr(dollar + 1));
    return found == table.end() ? nullptr : &found->second;
  }

  /// Every procedure bound, with its types' descriptions (what "$describe" answers).
  std::vector<procedure_description> descriptions() const {
    std::vector<procedure_description> out;
    for (const auto& [name, b] : handlers_)
      out.push_back({name, b.signature, b.fingerprint, b.arguments, b.result});
    return out;
  }

  std::vector<procedure_info> procedures() const {
    std::vector<procedure_info> out;
    for (const auto& [name, b] : handlers_) out.push_back({name, b.signature, b.fingerprint});
    return out;
  }

 private:
  // Found by a string_view (transparent): the name as the request carries it.
  struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept {
      return std::hash<std::string_view>{}(name);
    }
  };
  using table_type = std::unordered_map<std::string, bound_procedure, name_hash, std::equal_to<>>;
  table_type handlers_;
  table_type builtins_;  // "$ping": bind_builtin
};

}  // namespace redwire::detail
