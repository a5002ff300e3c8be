// redwire/client_view.hpp — a client with options bound, as client::with() returns it:
//
//   cli.with({.timeout = 50ms, .key = "user-42"}).call(calc::add, 2, 3);
#pragma once

#include <utility>

#include "client_options.hpp"
#include "detail/call_api.hpp"

namespace redwire {

class client;

/// A client with options bound, as returned by client::with(). Cheap; do not keep it past the
/// client it came from.
class client_view : public detail::call_api<client_view> {
 public:
  client_view(client& owner, call_options options) : owner_(&owner), options_(std::move(options)) {}

 private:
  friend class detail::call_api<client_view>;
  const client& caller() const { return *owner_; }
  const call_options& options() const { return options_; }

  client* owner_;
  call_options options_;
};

}  // namespace redwire
