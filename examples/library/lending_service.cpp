// lending_service — decides loans and returns. Run several: they share the work as consumers
// of one group. Each needs its own stable consumer name:
//   lending_service redis://127.0.0.1:6379 --name lending-1
#include <cstdio>
#include <cstring>
#include <string>

#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include "../common/example_support.hpp"
#include "library_api.hpp"

namespace {

// One script, so that checking and recording a loan cannot interleave with another instance
// handling a request for the same book. A request seen before returns its first outcome.
constexpr const char* borrow_script = R"lua(
local done = redis.call('GET', KEYS[3])
if done then return done end
local outcome
local available = tonumber(redis.call('HGET', KEYS[1], 'available') or '-1')
if available < 0 then outcome = 'refused: no such book'
elseif redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then outcome = 'refused: already borrowed'
elseif redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then outcome = 'refused: loan limit reached'
elseif available == 0 then outcome = 'refused: no copy available'
else
  redis.call('HINCRBY', KEYS[1], 'available', -1)
  redis.call('SADD', KEYS[2], ARGV[1])
  outcome = 'ok: lent'
end
redis.call('SET', KEYS[3], outcome, 'EX', 3600)
return outcome
)lua";

constexpr const char* return_script = R"lua(
local done = redis.call('GET', KEYS[2])
if done then return done end
local outcome
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then outcome = 'ok: returned'
else outcome = 'refused: not borrowed by this user' end
redis.call('SET', KEYS[2], outcome, 'EX', 3600)
return outcome
)lua";

}  // namespace

int main(int argc, char** argv) {
  const sigset_t stop_signals = example::block_stop_signals();
  const std::string url = example::redis_url(argc, argv);
  std::string name = "lending-1";
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--name") == 0) name = argv[i + 1];

  redwire::redis::transport bus{url};
  redwire::redis::transport state{url};  // the raw connection for the Lua scripts
  redwire::client cli{bus};
  redwire::service svc{bus, "lending", {.instance_id = name}};

  const std::string limit = std::to_string(library::loan_limit);
  svc.consume(
      library::requests, "lending",
      [&](const library::request& r) {
        const std::string book = library::book_key(r.isbn), loans = library::loans_key(r.user),
                          outcome_key = library::outcome_key(r.id);
        std::string outcome;
        if (r.action == "borrow")
          outcome = state.eval(borrow_script, {book, loans, outcome_key}, {r.isbn, limit}).str;
        else if (r.action == "return")
          outcome = state.eval(return_script, {loans, outcome_key}, {r.isbn}).str;
        else
          outcome = "refused: unknown action " + r.action;
        if (outcome.starts_with("ok"))
          cli.append(
              library::shelving,
              library::shelving_task{r.id, r.isbn, r.action == "borrow" ? "fetch" : "reshelve"});
        std::printf("%s: %s %s %s -> %s (trace %s)\n", name.c_str(), r.user.c_str(),
                    r.action.c_str(), r.isbn.c_str(), outcome.c_str(),
                    std::string(redwire::current_call()->trace_id).c_str());
        std::fflush(stdout);
      },
      {.consumer = name, .batch_size = 4, .claim_idle = std::chrono::seconds(5)});

  svc.start();
  std::printf("%s: lending, waiting for requests\n", name.c_str());
  std::fflush(stdout);
  example::wait_for_stop_signal(stop_signals);
  svc.stop();
  for (const redwire::operation_stats& s : svc.metrics())
    std::printf("%s: %s handled %llu (failures %llu), p50 %lld us, p99 %lld us\n", name.c_str(),
                s.name.c_str(), static_cast<unsigned long long>(s.calls),
                static_cast<unsigned long long>(s.failures),
                static_cast<long long>(s.p50.count() / 1000),
                static_cast<long long>(s.p99.count() / 1000));
}
