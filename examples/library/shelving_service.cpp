// shelving_service — takes lent books off the shelf and puts returned ones back, where they
// become available again.
//   shelving_service redis://127.0.0.1:6379
#include <cstdio>
#include <string>

#include <redwire/redis.hpp>
#include <redwire/redwire.hpp>

#include "../common/example_support.hpp"
#include "library_api.hpp"

namespace {

// Done once per request, however often the task is delivered.
constexpr const char* shelve_script = R"lua(
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', 3600) then return 'seen' end
if ARGV[1] == 'reshelve' then
  redis.call('HINCRBY', KEYS[1], 'on_shelf', 1)
  redis.call('HINCRBY', KEYS[1], 'available', 1)
else
  redis.call('HINCRBY', KEYS[1], 'on_shelf', -1)
end
return 'done'
)lua";

}  // namespace

int main(int argc, char** argv) {
  const sigset_t stop_signals = example::block_stop_signals();
  const std::string url = example::redis_url(argc, argv);
  redwire::redis::transport bus{url};
  redwire::redis::transport state{url};
  redwire::service svc{bus, "shelving"};
  svc.consume(library::shelving, "shelving", [&](const library::shelving_task& t) {
    const std::string result =
        state
            .eval(shelve_script, {library::book_key(t.isbn), library::shelved_key(t.request_id)},
                  {t.action})
            .str;
    std::printf("shelving: %s %s -> %s (trace %s)\n", t.action.c_str(), t.isbn.c_str(),
                result.c_str(), std::string(redwire::current_call()->trace_id).c_str());
    std::fflush(stdout);
  });
  svc.start();
  std::printf("shelving: waiting for tasks\n");
  std::fflush(stdout);
  example::wait_for_stop_signal(stop_signals);
  svc.stop();
}
