// tests/support/construction_error.hpp — what a transport says when it cannot be made.
//
//   std::string what = redwire::test::construction_error<redwire::redis::transport>(url);
//   EXPECT_TRUE(redwire::test::mentions(what, "certificate not trusted")) << what;
#pragma once

#include <gtest/gtest.h>

#include <redwire/transport.hpp>

#include <string>

namespace redwire::test {

/// The message of the transport_error that constructing a Transport from `url` throws; a test
/// failure (and "") when it throws none.
template <class Transport>
std::string construction_error(const std::string& url) {
  try {
    Transport bus{url};
  } catch (const redwire::transport_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no transport_error for " << url;
  return {};
}

inline bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace redwire::test
