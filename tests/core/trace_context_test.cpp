// W3C traceparent text: what is read as one, what is not, and the span a handler run gets from
// it (trace.hpp).
#include <redwire/trace.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace {

using redwire::detail::handler_span;
using redwire::detail::parse_traceparent;

bool valid(std::string_view text) {
  std::string_view trace, parent, flags;
  return parse_traceparent(text, trace, parent, flags);
}

TEST(trace_context, traceparents_are_read_as_w3c_says) {
  std::string_view trace, parent, flags;
  ASSERT_TRUE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", trace,
                                parent, flags));
  EXPECT_EQ(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parent, "00f067aa0ba902b7");
  EXPECT_EQ(flags, "01");
  EXPECT_FALSE(valid("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  // upper case
  EXPECT_FALSE(valid("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));  // zero trace
  EXPECT_FALSE(valid("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));  // zero span
  EXPECT_FALSE(valid("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));  // version ff
  EXPECT_FALSE(valid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"));
  EXPECT_FALSE(valid("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid(""));
  // A later version is read by its first four fields.
  EXPECT_TRUE(valid("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later"));
}

TEST(trace_context, a_handler_span_is_a_child_of_what_it_was_called_with) {
  handler_span s("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  EXPECT_EQ(s.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(s.parent_span_id(), "00f067aa0ba902b7");
  EXPECT_EQ(s.flags(), "00");  // not sampled: kept as it came
  EXPECT_EQ(s.span_id().size(), 16u);
  EXPECT_NE(s.span_id(), "00f067aa0ba902b7");
  EXPECT_NE(handler_span("").span_id(), handler_span("").span_id());
  // Nothing, or an older sender's 16-hex trace id: a new trace (the old id kept in it).
  handler_span fresh("");
  EXPECT_EQ(fresh.trace_id().size(), 32u);
  EXPECT_EQ(fresh.parent_span_id(), "");
  EXPECT_EQ(fresh.flags(), "01");
  handler_span legacy("0123456789abcdef");
  EXPECT_EQ(legacy.trace_id().substr(16), "0123456789abcdef");
}

TEST(trace_context, a_new_trace_is_a_valid_traceparent) {
  redwire::detail::trace_id_buffer buffer;
  const std::string_view text = redwire::detail::new_trace_id(buffer);
  EXPECT_TRUE(valid(text)) << text;
  EXPECT_TRUE(text.ends_with("-01"));
}

}  // namespace
