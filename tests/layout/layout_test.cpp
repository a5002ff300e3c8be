// The house rules that the compiler does not check: headers and functions small enough to hold
// in mind, no include cycles, a core that knows no transport, a repository that stands alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path source_root = REDWIRE_SOURCE_DIR;

/// Every header of the library: the core and the transports.
std::vector<fs::path> library_headers() {
  std::vector<fs::path> out;
  for (const char* top : {"include", "transports"})
    for (const auto& entry : fs::recursive_directory_iterator(source_root / top))
      if (entry.is_regular_file() && entry.path().extension() == ".hpp")
        out.push_back(fs::weakly_canonical(entry.path()));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// The headers a header includes with quotes or as <redwire/...>, resolved to files.
std::vector<fs::path> includes_of(const fs::path& header) {
  std::vector<fs::path> out;
  for (const std::string& line : lines_of(header)) {
    if (!line.starts_with("#include ")) continue;
    const std::string target = line.substr(10, line.find_first_of("\">", 10) - 10);
    fs::path resolved;
    if (line[9] == '"') {
      resolved = header.parent_path() / target;
    } else if (target.starts_with("redwire/")) {
      std::vector<fs::path> roots = {source_root / "include"};
      for (const auto& transport : fs::directory_iterator(source_root / "transports"))
        roots.push_back(transport.path() / "include");
      for (const auto& root : roots)
        if (fs::exists(root / target)) resolved = root / target;
    }
    if (!resolved.empty() && fs::exists(resolved)) out.push_back(fs::weakly_canonical(resolved));
  }
  return out;
}

std::string in_repo(const fs::path& p) {
  return fs::relative(p, source_root).string();
}

TEST(layout, no_library_header_is_over_400_lines) {
  for (const auto& header : library_headers())
    EXPECT_LE(lines_of(header).size(), 400u)
        << in_repo(header) << " does two things: cut it along its seams";
}

/// `line` without its comment and with string and character literals emptied, so that the
/// braces left are code.
std::string code_of(const std::string& line) {
  static const std::regex literal(R"("(\\.|[^"\\])*"|'(\\.|[^'\\])')");
  std::string code = std::regex_replace(line, literal, "\"\"");
  return code.substr(0, code.find("//"));
}

/// Whether a line opens a function body: it ends in '{' after a ')', and is not a control
/// statement, a type, a lambda or a brace initializer.
bool opens_a_function(const std::string& code) {
  static const std::regex not_a_function(
      R"(^\s*(\}|\{|if\b|for\b|while\b|switch\b|else\b|do\b|catch\b|try\b|namespace\b|class\b|)"
      R"(struct\b|enum\b|union\b|return\b|case\b|template\b)|\]\s*(\(.*\))?\s*(mutable)?\s*)"
      R"((->.*)?\{\s*$|=\s*\[)");
  const auto end = code.find_last_not_of(" \t");
  return end != std::string::npos && code[end] == '{' && code.find(')') != std::string::npos &&
         !std::regex_search(code, not_a_function);
}

TEST(layout, no_library_function_is_over_80_lines) {
  for (const auto& header : library_headers()) {
    std::vector<std::string> code;
    for (const std::string& line : lines_of(header)) code.push_back(code_of(line));
    for (std::size_t first = 0; first < code.size(); ++first) {
      if (!opens_a_function(code[first])) continue;
      long depth = 0;
      std::size_t last = first;
      for (; last < code.size(); ++last) {
        depth += std::count(code[last].begin(), code[last].end(), '{') -
                 std::count(code[last].begin(), code[last].end(), '}');
        if (depth <= 0) break;
      }
      EXPECT_LE(last - first + 1, 80u) << in_repo(header) << ":" << first + 1
                                       << " is a function of two steps or more: cut it in two";
      first = last;
    }
  }
}

TEST(layout, no_header_includes_one_that_includes_it_back) {
  std::map<fs::path, std::vector<fs::path>> graph;
  for (const auto& header : library_headers()) graph[header] = includes_of(header);
  // Depth-first search for a back edge; the path in `stack` is the cycle when one is found.
  std::map<fs::path, int> state;  // 0 unseen, 1 on the stack, 2 done
  std::vector<fs::path> stack;
  std::vector<std::string> cycles;
  auto visit = [&](auto& self, const fs::path& node) -> void {
    state[node] = 1;
    stack.push_back(node);
    for (const auto& next : graph[node]) {
      if (state[next] == 1) {
        std::string cycle;
        auto from = std::find(stack.begin(), stack.end(), next);
        for (auto it = from; it != stack.end(); ++it) cycle += in_repo(*it) + " -> ";
        cycles.push_back(cycle + in_repo(next));
      } else if (state[next] == 0) {
        self(self, next);
      }
    }
    stack.pop_back();
    state[node] = 2;
  };
  for (const auto& [node, edges] : graph)
    if (state[node] == 0) visit(visit, node);
  EXPECT_TRUE(cycles.empty()) << "include cycle: " << (cycles.empty() ? "" : cycles.front());
}

TEST(layout, the_core_includes_no_transport) {
  for (const auto& header : library_headers()) {
    if (!in_repo(header).starts_with("include/")) continue;
    for (const auto& included : includes_of(header))
      EXPECT_FALSE(in_repo(included).starts_with("transports/"))
          << in_repo(header) << " includes " << in_repo(included);
    for (const std::string& line : lines_of(header))
      EXPECT_EQ(line.find("#include <hiredis"), std::string::npos) << in_repo(header);
  }
}

TEST(layout, nothing_refers_to_files_outside_the_repository) {
  // Split so that this file passes its own test.
  const std::string outside[] = {std::string("..") + "/shared", std::string("DESIGN") + ".md"};
  for (const char* top : {"include", "transports", "tools", "tests", "examples", "bench", "scripts",
                          "docs", "cmake"}) {
    if (!fs::exists(source_root / top)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(source_root / top)) {
      if (!entry.is_regular_file()) continue;
      const auto lines = lines_of(entry.path());
      for (std::size_t i = 0; i < lines.size(); ++i)
        for (const std::string& name : outside)
          EXPECT_EQ(lines[i].find(name), std::string::npos)
              << in_repo(entry.path()) << ":" << i + 1 << " names " << name;
    }
  }
}

}  // namespace
