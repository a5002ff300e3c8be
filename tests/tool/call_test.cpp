// `redwire call`: every type the codec supports goes from JSON to a service and back (the
// types.* procedures echo their argument), and each bad input gets one clear line on stderr
// and its exit code (docs/operations.md).
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "tool/tool_fixture.hpp"

using namespace tool_test;

namespace {

struct round_trip {
  std::string procedure;
  std::vector<std::string> arguments;
  std::string expected;  // stdout, one line of JSON
};

TEST(tool_call, every_supported_type_round_trips_through_json) {
  const std::vector<round_trip> cases = {
      {"types.bool", {"true"}, "true"},
      {"types.char", {"x"}, "\"x\""},
      {"types.byte", {"255"}, "255"},
      {"types.i8", {"-128"}, "-128"},
      {"types.u8", {"255"}, "255"},
      {"types.i16", {"-32768"}, "-32768"},
      {"types.u16", {"65535"}, "65535"},
      {"types.i32", {"-2147483648"}, "-2147483648"},
      {"types.u32", {"4294967295"}, "4294967295"},
      {"types.i64", {"-9223372036854775808"}, "-9223372036854775808"},
      {"types.u64", {"18446744073709551615"}, "18446744073709551615"},
      {"types.f32", {"1.5"}, "1.5"},
      {"types.f64", {"0.1"}, "0.1"},
      {"types.str", {"hello"}, "\"hello\""},
      {"types.str", {"\"two words\""}, "\"two words\""},
      {"types.str", {"42"}, "\"42\""},
      {"types.bytes", {"\"00ff10\""}, "\"00ff10\""},
      {"types.color", {"green"}, "\"green\""},
      {"types.color", {"3"}, "\"blue\""},
      {"types.color", {"9"}, "9"},  // a value without a name stays a number
      {"types.level", {"-1"}, "-1"},
      {"types.opt", {"null"}, "null"},
      {"types.opt", {"5"}, "5"},
      {"types.variant", {"null"}, "{\"index\":0,\"value\":null}"},
      {"types.variant", {"7"}, "{\"index\":1,\"value\":7}"},
      {"types.variant", {"text"}, "{\"index\":2,\"value\":\"text\"}"},
      {"types.variant", {"{\"index\":2,\"value\":\"x\"}"}, "{\"index\":2,\"value\":\"x\"}"},
      {"types.vec", {"[1,2,3]"}, "[1,2,3]"},
      {"types.deque", {"[\"a\",\"b\"]"}, "[\"a\",\"b\"]"},
      {"types.list", {"[0.5,1.5]"}, "[0.5,1.5]"},
      {"types.array", {"[1,2,3]"}, "[1,2,3]"},
      {"types.set", {"[\"b\",\"a\"]"}, "[\"a\",\"b\"]"},
      {"types.map", {"{\"a\":1,\"b\":2}"}, "{\"a\":1,\"b\":2}"},
      {"types.imap", {"[[2,\"two\"],[1,\"one\"]]"}, "[[1,\"one\"],[2,\"two\"]]"},
      {"types.tuple", {"[1,\"x\",false]"}, "[1,\"x\",false]"},
      {"types.pair", {"[\"k\",2.5]"}, "[\"k\",2.5]"},
      {"types.ms", {"1500"}, "1500"},
      {"types.time", {"1700000000"}, "1700000000"},
      {"types.point", {"[1.5,-2]"}, "[1.5,-2.0]"},
      {"types.person",
       {"{\"name\":\"ann\",\"age\":null,\"tags\":[\"x\"]}"},
       "{\"name\":\"ann\",\"age\":null,\"tags\":[\"x\"]}"},
      {"types.person", {"[\"bob\",42,[]]"}, "{\"name\":\"bob\",\"age\":42,\"tags\":[]}"},
      {"types.nested", {"[{\"p\":[1,2],\"q\":null}]"}, "[{\"p\":[1.0,2.0],\"q\":null}]"},
      {"calc.add", {"2", "3"}, "5"},
      {"calc.centroid", {"[[0,0],[4,0],[4,4],[0,4]]"}, "[2.0,2.0]"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"call", c.procedure};
    args.insert(args.end(), c.arguments.begin(), c.arguments.end());
    tool_run r = tool(args);
    EXPECT_EQ(r.exit, 0) << c.procedure << ": " << r.err;
    EXPECT_EQ(r.line(), c.expected) << c.procedure << " " << c.arguments[0];
    EXPECT_EQ(r.err, "");
  }
}

TEST(tool_call, json_output_names_the_procedure_and_who_answered) {
  tool_run r = tool({"call", "calc.add", "2", "3", "--json"});
  ASSERT_EQ(r.exit, 0) << r.err;
  json j = parsed(r);
  EXPECT_EQ(j["procedure"], "calc.add");
  EXPECT_EQ(j["result"], 5);
  EXPECT_TRUE(j["instance"] == "calc-a" || j["instance"] == "calc-b") << j;
  EXPECT_TRUE(j["ms"].is_number());
  tool_run targeted = tool({"call", "calc.add", "1", "1", "--instance", "calc-b", "--json"});
  ASSERT_EQ(targeted.exit, 0) << targeted.err;
  EXPECT_EQ(parsed(targeted)["instance"], "calc-b");
}

struct bad_input {
  std::vector<std::string> args;
  int exit;
  std::string message;  // the one line on stderr
};

TEST(tool_call, each_bad_input_gets_one_clear_line_and_its_exit_code) {
  const std::vector<bad_input> cases = {
      {{"call", "calc.ad", "1", "2"},
       3,
       "redwire: service 'calc' has no procedure 'calc.ad' (did you mean 'calc.add'?)"},
      {{"call", "calc.centroid", "[[0,0],[1,\"a\"]]"},
       2,
       "redwire: argument 1 [1][1]: expected a number (f64), not a string"},
      {{"call", "types.person", "{\"name\":\"x\",\"age\":\"old\",\"tags\":[]}"},
       2,
       "redwire: argument 1 .age: expected an integer (i32), not a string"},
      {{"call", "types.person", "{\"name\":\"x\",\"tags\":[]}"},
       2,
       "redwire: argument 1: missing field 'age' of person"},
      {{"call", "types.u8", "300"},
       2,
       "redwire: argument 1: 300 is out of range for u8 (0 to 255)"},
      {{"call", "types.i8", "-129"},
       2,
       "redwire: argument 1: -129 is out of range for i8 (-128 to 127)"},
      {{"call", "types.i32", "1.5"},
       2,
       "redwire: argument 1: expected an integer (i32), not a number"},
      {{"call", "types.array", "[1,2]"},
       2,
       "redwire: argument 1: expected 3 elements (arr<i32, 3>), not 2"},
      {{"call", "calc.add", "x", "1"}, 2, "redwire: argument 1: 'x' is not JSON (expected i32)"},
      {{"call", "calc.add", "1"}, 2, "redwire: calc.add takes 2 arguments (i32, i32), not 1"},
      {{"call", "types.color", "purple"},
       2,
       "redwire: argument 1: \"purple\" is not an enumerator of enum<u8>{red=1, green=2, blue=3} "
       "(red, green, blue)"},
      {{"call", "types.sealed", "x"},
       2,
       "redwire: argument 1: type obj<shop.sealed/1> is a class with its own cereal serialize(): "
       "it does not describe itself, so it cannot be written as JSON"},
      {{"call", "nosuch.x"}, 3, "redwire: service 'nosuch' has no live instance"},
      {{"call", "calc.add", "1", "2", "--instance", "calc-z"},
       3,
       "redwire: service 'calc' has no live instance 'calc-z'"},
      {{"call", "calc.sleep", "1000", "--timeout", "100"},
       4,
       "redwire: calc.sleep: timeout: no reply within 100 ms"},
      {{"call", "calc.fail", "boom"}, 1, "redwire: calc.fail: remote_exception: boom"},
      {{"call", "calc.add", "1", "2", "--bogus"},
       2,
       "redwire: unknown option --bogus for 'redwire call' (see redwire call --help)"},
      {{"cal", "calc.add"},
       2,
       "redwire: unknown command 'cal' (did you mean 'call', 'tail'?); see redwire --help"},
  };
  for (const auto& c : cases) {
    tool_run r = tool(c.args);
    EXPECT_EQ(r.exit, c.exit) << c.args[1] << ": " << r.err;
    EXPECT_EQ(r.err, c.message + "\n") << c.args[1];
    EXPECT_EQ(r.out, "");
  }
}

TEST(tool_call, a_redis_that_cannot_be_reached_is_exit_code_5) {
  redwire::test::redis_server gone;
  const std::string url = gone.url();
  gone.kill();
  tool_run r = run_program(REDWIRE_TOOL, {"ls", "--url", url});
  EXPECT_EQ(r.exit, 5);
  EXPECT_TRUE(r.err.starts_with("redwire: cannot reach Redis: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // The URL from the environment, when --url is not given.
  tool_run from_env = run_program(REDWIRE_TOOL, {"call", "calc.add", "1", "2"},
                                  {"REDWIRE_REDIS_URL=" + shared().server.url()});
  EXPECT_EQ(from_env.exit, 0) << from_env.err;
  EXPECT_EQ(from_env.line(), "3");
}

TEST(tool_call, help_is_there_for_every_command) {
  tool_run all = run_program(REDWIRE_TOOL, {"--help"});
  EXPECT_EQ(all.exit, 0);
  for (const char* c :
       {"ls", "describe", "ping", "stats", "call", "watch", "tail", "dlq", "metrics"}) {
    EXPECT_NE(all.out.find(std::string("\n  ") + c + " "), std::string::npos) << c;
    tool_run one = run_program(REDWIRE_TOOL, {c, "--help"});
    EXPECT_EQ(one.exit, 0) << c;
    EXPECT_TRUE(one.out.starts_with(std::string("usage: redwire ") + c)) << one.out;
  }
  EXPECT_NE(all.out.find("exit codes:"), std::string::npos);
  EXPECT_EQ(run_program(REDWIRE_TOOL, {}).exit, 2);
}

}  // namespace
