// tools/redwire/common.cpp — the session (Redis, registry, raw caller) and the output helpers
// that every subcommand uses.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>

#include "tool.hpp"

namespace redwire::tool {

std::chrono::milliseconds command_line::timeout() const {
  return std::chrono::milliseconds(number("--timeout", 2000));
}

long command_line::number(const std::string& name, long fallback) const {
  auto found = options.find(name);
  if (found == options.end()) return fallback;
  char* end = nullptr;
  const long n = std::strtol(found->second.c_str(), &end, 10);
  if (found->second.empty() || *end != '\0' || n < 0)
    throw tool_error(bad_usage, name + " takes a number, not '" + found->second + "'");
  return n;
}

session::session(const command_line& cl) : group_(cl.option("--group")) {
  redis::options o;
  const char* env = std::getenv("REDWIRE_REDIS_URL");
  o.url = cl.option("--url", env && *env ? env : "redis://127.0.0.1:6379");
  if (cl.flag("--prefix")) o.prefix = cl.option("--prefix");
  try {
    bus_ = std::make_unique<redis::transport>(o);
  } catch (const std::invalid_argument& e) {
    throw tool_error(bad_usage, e.what());
  } catch (const transport_error& e) {
    throw tool_error(unreachable, std::string("cannot reach Redis: ") + e.what());
  }
  registry_ = std::make_unique<registry>(*bus_, registry_options{.group = group_});
  caller_ =
      std::make_unique<detail::raw_caller>(*bus_, detail::raw_caller_options{.group = group_});
}

std::vector<instance_info> session::instances_of(const std::string& service) {
  std::vector<instance_info> found = registry_->instances(service);
  if (!found.empty()) return found;
  std::string hint = closest(service, registry_->services());
  throw tool_error(not_found, "service '" + service + "' has no live instance" +
                                  (group_.empty() ? "" : " in group '" + group_ + "'") +
                                  (hint.empty() ? "" : " (" + hint + ")"));
}

namespace {
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::vector<std::pair<std::size_t, std::string>> ranked;
  for (const auto& c : std::set<std::string>(candidates.begin(), candidates.end()))
    ranked.emplace_back(distance(word, c), c);
  std::sort(ranked.begin(), ranked.end());
  std::string out;
  for (std::size_t i = 0; i < ranked.size() && i < 3; ++i) {
    if (ranked[i].first > std::max<std::size_t>(2, word.size() / 3)) break;
    out += (out.empty() ? "did you mean '" : ", '") + ranked[i].second + "'";
  }
  return out.empty() ? out : out + "?";
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const command_line& cl) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], r[c].size());
  const char* no_color = std::getenv("NO_COLOR");
  const bool color = ::isatty(1) && !(no_color && *no_color) && !cl.flag("--no-color");
  const auto line = [&](const std::vector<std::string>& cells, bool bold) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      text += cells[c];
      if (c + 1 < cells.size()) text += std::string(width[c] - cells[c].size() + 2, ' ');
    }
    std::cout << (bold && color ? "\033[1m" + text + "\033[0m" : text) << '\n';
  };
  line(header, true);
  for (const auto& r : rows) line(r, false);
}

std::string milliseconds_text(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, ms < 10 ? "%.3f ms" : "%.1f ms", ms);
  return text;
}

std::string age_text(std::chrono::milliseconds age) {
  const long long s = age.count() / 1000;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

void fail_with(const rpc_error& e) {
  const errc code = e.error();
  const exit_code exit = code == errc::timeout       ? no_answer
                         : code == errc::unavailable ? no_answer
                                                     : call_failed;
  throw tool_error(exit, std::string(e.what()).substr(std::string_view("redwire: ").size()));
}

}  // namespace redwire::tool
