// What the tool's tests share: one private Redis and two processes of tests/tool/programs/
// tool_services (instances calc-a, calc-b, types-a, types-b) for the whole binary, and the
// tool run against them.
#pragma once

#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/eventually.hpp"
#include "support/redis_server.hpp"
#include "tool/run_tool.hpp"

namespace tool_test {

using json = nlohmann::ordered_json;
using redwire::test::child_process;
using redwire::test::eventually;
using redwire::test::patience;

struct deployment {
  redwire::test::redis_server server;
  std::vector<std::unique_ptr<child_process>> services;

  deployment() {
    for (const char* suffix : {"a", "b"}) {
      services.push_back(std::make_unique<child_process>(
          std::vector<std::string>{REDWIRE_TOOL_SERVICES, server.url(), suffix},
          child_process::read_output));
      if (!services.back()->wait_for_line("ready", patience))
        throw std::runtime_error("tool_services did not start");
    }
  }
};

/// The deployment of this test binary, started on first use.
inline deployment& shared() {
  static deployment d;
  return d;
}

/// `redwire <args> --url <the private Redis>`.
inline tool_run tool(std::vector<std::string> args) {
  args.push_back("--url");
  args.push_back(shared().server.url());
  return run_program(REDWIRE_TOOL, args);
}

/// The tool as a long-running process (watch, tail, metrics) whose standard output and error
/// are read as one.
inline std::unique_ptr<child_process> start_tool(const std::vector<std::string>& args) {
  std::string command = "exec '" + std::string(REDWIRE_TOOL) + "'";
  for (const auto& a : args) command += " '" + a + "'";
  command += " --url '" + shared().server.url() + "' 2>&1";
  return std::make_unique<child_process>(std::vector<std::string>{"/bin/sh", "-c", command},
                                         child_process::read_output);
}

/// The standard output parsed as JSON (a test failure if it is not).
inline json parsed(const tool_run& r) {
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
  return j;
}

}  // namespace tool_test
