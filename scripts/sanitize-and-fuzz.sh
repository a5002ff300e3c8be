#!/usr/bin/env bash
# The sanitizer and fuzzing part of the test command (scripts/test.sh runs it after the main
# suite; docs/reliability.md says what each part shows). With clang:
#   build-asan  core_tests, memory_tests, call_tests, inventa_tests under AddressSanitizer +
#               UBSan (any UB aborts), and the wire and Inventa fuzzers (libFuzzer) for
#               REDWIRE_FUZZ_SECONDS (20) seconds each
#   build-tsan  memory_tests, call_tests' concurrency tests, async_tests (tokens, coroutines,
#               cancellation, deadlines, retries), core_tests' pools and inventa_tests under
#               ThreadSanitizer
# Usage: bash scripts/sanitize-and-fuzz.sh   (REDWIRE_JOBS, REDWIRE_FUZZ_SECONDS)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${REDWIRE_JOBS:-$(nproc)}"
cxx="${REDWIRE_SANITIZER_CXX:-clang++}"
common=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
        -DCMAKE_CXX_COMPILER="$cxx"
        -DREDWIRE_BUILD_EXAMPLES=OFF -DREDWIRE_BUILD_BENCH=OFF)
step() { echo "== redwire: $* ($(date +%T))"; }

step "ASan+UBSan build: core_tests memory_tests call_tests inventa_tests wire_fuzzer inventa_fuzzer"
cmake -S "$here" -B "$here/build-asan" "${common[@]}" -DREDWIRE_SANITIZE=address \
      -DREDWIRE_BUILD_FUZZERS=ON -DREDWIRE_FUZZ_SECONDS="${REDWIRE_FUZZ_SECONDS:-20}" >/dev/null
cmake --build "$here/build-asan" -j "$jobs" \
      --target core_tests memory_tests call_tests test_replica make_corpus wire_fuzzer \
               inventa_tests inventa_node inventa_fuzzer
step "ASan+UBSan run, then the fuzzer"
(cd "$here/build-asan" &&
 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
 ctest --output-on-failure -j "$jobs" --timeout 900 \
       -R '^(core_tests|memory_tests|call_tests|inventa_tests|fuzz_seeds|wire_fuzzer|inventa_fuzzer)$')

step "TSan build: core_tests memory_tests call_tests async_tests inventa_tests"
cmake -S "$here" -B "$here/build-tsan" "${common[@]}" -DREDWIRE_SANITIZE=thread >/dev/null
cmake --build "$here/build-tsan" -j "$jobs" --target core_tests memory_tests call_tests async_tests \
      test_replica inventa_tests inventa_node
# Some kernels map memory where TSan does not expect it ("unexpected memory mapping", with
# vm.mmap_rnd_bits > 28): then run without address-space randomization.
run=()
if ! out="$("$here/build-tsan/tests/memory_tests" --gtest_filter=-* 2>&1)"; then
  if grep -q "unexpected memory mapping" <<<"$out" && command -v setarch >/dev/null; then
    run=(setarch "$(uname -m)" -R)
    step "TSan needs setarch -R on this kernel"
  else
    echo "$out"
    exit 1
  fi
fi
concurrent='*shared_client*:*async*:*replica*:*same_key*:*stop_finishes*:*inside_a_handler*'
concurrent+=':*nested*:*targeted*:*secured_calls*:*hostile*:*inbox*:*late_reply*:*futures_outlive*'
concurrent+=':*starved*'
# Over TLS they run under ASan; TSan leaves them out: libssl is not instrumented, so TSan
# cannot see the ordering its locks give.
concurrent+='-*/redis_tls'
pools='block_recycler*:async_call_pool*:frame_buffer*:worker_pool*:key_order*:completion_batch*'
step "TSan run: core_tests ($pools), memory_tests, call_tests ($concurrent)"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$here/tests/tsan.supp"
"${run[@]}" "$here/build-tsan/tests/core_tests" --gtest_brief=1 --gtest_filter="$pools"
"${run[@]}" "$here/build-tsan/tests/memory_tests" --gtest_brief=1
"${run[@]}" "$here/build-tsan/tests/call_tests" --gtest_brief=1 --gtest_filter="$concurrent"
# Tokens, coroutines, cancellation, deadlines, retries and their hooks (issue 17); the clock-skew
# test preloads libfaketime into a replica, which TSan's own interceptors do not share a process
# with.
async='*async_tokens*:*orchestrated_async*:*coroutine_handlers*:*cancellation*:*deadlines*'
async+=':*retries*:*hooked*-clock_skew*'
"${run[@]}" "$here/build-tsan/tests/async_tests" --gtest_brief=1 --gtest_filter="$async"
step "TSan run: inventa_tests"
"${run[@]}" "$here/build-tsan/tests/inventa_tests" --gtest_brief=1
step "sanitizers and fuzzer: clean"
