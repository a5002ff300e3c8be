// tools/redwire/call.cpp — `redwire call calc.add 2 3`: the procedure's signature from the
// registry, each argument from JSON to redwire's codec by its type description, the call made
// by name and fingerprint (detail/raw_caller.hpp), the result decoded to JSON.
#include <algorithm>
#include <iostream>

#include "tool.hpp"

namespace redwire::tool {
namespace {

/// The argument and result descriptions of "calc.add(i32, i32) -> i32".
struct signature_parts {
  std::vector<std::string> arguments;
  std::string result;
};

signature_parts split_signature(const std::string& name, const std::string& signature) {
  signature_parts out;
  const std::size_t arrow = signature.rfind(") -> ");
  if (!signature.starts_with(name + "(") || arrow == std::string::npos)
    throw tool_error(call_failed, "cannot read the signature '" + signature + "'");
  out.result = signature.substr(arrow + 5);
  const std::string list = signature.substr(name.size() + 1, arrow - name.size() - 1);
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const char c = list[i];
    if (c == '<' || c == '{') ++depth;
    if (c == '>' || c == '}') --depth;
    if (depth == 0 && c == ',' && i + 1 < list.size() && list[i + 1] == ' ') {
      out.arguments.push_back(list.substr(start, i - start));
      start = i + 2;
    }
  }
  if (!list.empty()) out.arguments.push_back(list.substr(start));
  return out;
}

/// The procedure as the live instances publish it; not_found with the closest names.
procedure_info find_procedure(session& s, const std::string& name, const std::string& instance) {
  const std::string service = name.substr(0, name.find('.'));
  std::vector<std::string> names;
  for (const auto& i : s.instances_of(service)) {
    if (!instance.empty() && i.id != instance) continue;
    for (const auto& p : i.procedures) {
      if (p.name == name) return p;
      names.push_back(p.name);
    }
  }
  if (names.empty() && !instance.empty())
    throw tool_error(not_found,
                     "service '" + service + "' has no live instance '" + instance + "'");
  const std::string hint = closest(name, names);
  throw tool_error(not_found, "service '" + service + "' has no procedure '" + name + "'" +
                                  (hint.empty() ? "" : " (" + hint + ")"));
}

/// Whether a plain word (not JSON) may stand for a value of `type`: a string, an enumerator's
/// name, a char; an optional or a variant that takes one (an opaque type: to say it is opaque).
bool takes_word(const type_node& type) {
  switch (type.kind) {
    case node_kind::string:
    case node_kind::enumeration:
    case node_kind::character:
    case node_kind::opaque:
      return true;
    case node_kind::optional:
    case node_kind::variant:
      return std::any_of(type.children.begin(), type.children.end(), takes_word);
    default:
      return false;
  }
}

/// One command-line word as JSON: JSON if it parses, else a plain word for a string-like type.
json argument_value(const std::string& word, const type_node& type, std::size_t position) {
  json value = json::parse(word, nullptr, false);
  if (!value.is_discarded()) {
    if (type.kind == node_kind::string && !value.is_string()) return word;  // "42" as text
    return value;
  }
  if (takes_word(type)) return word;
  throw tool_error(bad_usage, "argument " + std::to_string(position) + ": '" + word +
                                  "' is not JSON (expected " + type.text + ")");
}

std::string encode_arguments(const procedure_info& p, const signature_parts& parts,
                             const std::vector<std::string>& words) {
  if (words.size() - 1 != parts.arguments.size()) {
    std::string list;
    for (const auto& a : parts.arguments) list += (list.empty() ? "" : ", ") + a;
    throw tool_error(bad_usage, p.name + " takes " + std::to_string(parts.arguments.size()) +
                                    " argument" + (parts.arguments.size() == 1 ? "" : "s") + " (" +
                                    list + "), not " + std::to_string(words.size() - 1));
  }
  std::string bytes;
  for (std::size_t i = 0; i < parts.arguments.size(); ++i) {
    const type_node type = parse_type(parts.arguments[i]);
    try {
      encode_json(type, argument_value(words[i + 1], type, i + 1), bytes);
    } catch (const json_mismatch& e) {
      throw tool_error(bad_usage, "argument " + std::to_string(i + 1) +
                                      (e.path.empty() ? "" : " " + e.path) + ": " + e.what());
    }
  }
  return bytes;
}

}  // namespace

int run_call(const command_line& cl) {
  if (cl.words.empty() || cl.words[0].find('.') == std::string::npos)
    throw tool_error(bad_usage, "call takes a procedure (service.procedure) and its arguments");
  const std::string& name = cl.words[0];
  session s(cl);
  const std::string instance = cl.option("--instance");
  const procedure_info p = find_procedure(s, name, instance);
  const signature_parts parts = split_signature(p.name, p.signature);
  const std::string bytes = encode_arguments(p, parts, cl.words);
  const auto start = std::chrono::steady_clock::now();
  detail::raw_reply r =
      s.caller().call(p.name, p.fingerprint, bytes,
                      {.timeout = cl.timeout(), .instance = instance, .key = cl.option("--key")});
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (r.error != errc{}) {
    if (cl.json_output())
      std::cout << to_text(json{{"procedure", p.name},
                                {"instance", r.instance},
                                {"error", to_string(r.error)},
                                {"message", r.payload}})
                << '\n';
    fail_with(rpc_error(r.error, r.payload, p.name, r.instance));
  }
  std::string_view rest = r.payload;
  json result;
  try {
    result = decode_json(parse_type(parts.result), rest);
  } catch (const json_mismatch& e) {
    throw tool_error(call_failed, std::string("the result: ") + e.what());
  }
  if (!rest.empty())
    throw tool_error(call_failed, "the result has bytes past its end: a signature mismatch?");
  if (cl.json_output())
    std::cout << to_text(json{{"procedure", p.name},
                              {"instance", r.instance},
                              {"ms", ms},
                              {"result", result}})
              << '\n';
  else
    std::cout << to_text(result) << '\n';
  return ok;
}

}  // namespace redwire::tool
