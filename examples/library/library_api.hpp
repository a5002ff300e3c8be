// library_api.hpp — what the lending service, the shelving service and the `library` tool
// share: the streams between them and the Redis keys of the library's state.
//
// The flow (after "Redis Microservices for Dummies", chapter on the library lending sample):
//   library borrow alice 978-0   -> stream library.requests   -> lending service (group "lending",
//                                   several instances share it)  checks and records the loan in
//                                   one Lua script, writes the outcome, appends a task to
//                                -> stream library.shelving    -> shelving service (group
//                                   "shelving") takes the book off the shelf, or puts a returned
//                                   one back and makes it available again, also in one Lua script.
// Both handlers are idempotent (keyed by the request id): delivery is at least once.
#pragma once

#include <redwire/redwire.hpp>

#include <string>

namespace library {

struct request {
  std::string id;  ///< made by the tool; the outcome is stored under it
  std::string user;
  std::string isbn;
  std::string action;  ///< "borrow" or "return"
};

struct shelving_task {
  std::string request_id;
  std::string isbn;
  std::string action;  ///< "fetch" (take it off the shelf) or "reshelve"
};

inline constexpr redwire::stream<"library.requests", request> requests{};
inline constexpr redwire::stream<"library.shelving", shelving_task> shelving{};

/// At most this many books per user.
inline constexpr int loan_limit = 3;

inline std::string book_key(const std::string& isbn) {
  return "library:book:" + isbn;
}
inline std::string loans_key(const std::string& user) {
  return "library:loans:" + user;
}
inline std::string outcome_key(const std::string& request_id) {
  return "library:outcome:" + request_id;
}
inline std::string shelved_key(const std::string& request_id) {
  return "library:shelved:" + request_id;
}

}  // namespace library
