#!/usr/bin/env bash
# Runs the test binaries again and again beside busy loops, as on a loaded CI machine, and says
# which tests failed in which runs (a flake is a test that fails in some runs, not all).
#
# Usage: bash scripts/stress-tests.sh [-n RUNS] [-l LOOPS] [-b BUILD_DIR] [BINARY...]
#   -n RUNS       rounds over the binaries (REDWIRE_STRESS_RUNS, default 5)
#   -l LOOPS      busy loops beside them, each a shell spinning on a core (REDWIRE_STRESS_LOOPS,
#                 default 4: twice as many runnable threads as cores on a 2-core machine)
#   -b BUILD_DIR  where the binaries were built (REDWIRE_BUILD_DIR, default build/)
#   BINARY...     names in BUILD_DIR/tests (default: every *_tests there), e.g. call_tests
# Extra arguments for the binaries: REDWIRE_STRESS_GTEST_ARGS (e.g. --gtest_filter=redis_*).
# Each binary gets REDWIRE_STRESS_TIMEOUT seconds (900, as under ctest); one that takes longer
# counts as a failure of the binary. The whole output of each failed run is kept in
# REDWIRE_STRESS_LOGS (default BUILD_DIR/stress-logs). Exits 1 if any run of any binary failed.
# The binaries must be built first: cmake --build BUILD_DIR (see scripts/test.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${REDWIRE_STRESS_RUNS:-5}"
loops="${REDWIRE_STRESS_LOOPS:-4}"
build="${REDWIRE_BUILD_DIR:-$here/build}"
limit="${REDWIRE_STRESS_TIMEOUT:-900}"
while getopts "n:l:b:h" opt; do
  case "$opt" in
    n) runs="$OPTARG" ;;
    l) loops="$OPTARG" ;;
    b) build="$OPTARG" ;;
    *) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

binaries=("$@")
if [ ${#binaries[@]} -eq 0 ]; then
  for b in "$build"/tests/*_tests; do [ -x "$b" ] && binaries+=("$(basename "$b")"); done
fi
if [ ${#binaries[@]} -eq 0 ]; then
  echo "redwire stress: no test binaries in $build/tests (build them first)" >&2
  exit 2
fi
for b in "${binaries[@]}"; do
  [ -x "$build/tests/$b" ] || { echo "redwire stress: no $build/tests/$b" >&2; exit 2; }
done
read -r -a gtest_args <<<"${REDWIRE_STRESS_GTEST_ARGS:-}"

work="$(mktemp -d -t redwire-stress.XXXXXX)"
logs="${REDWIRE_STRESS_LOGS:-$build/stress-logs}"
mkdir -p "$logs"
spinners=()
stop_spinners() {
  for pid in "${spinners[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${spinners[@]}"; do wait "$pid" 2>/dev/null || true; done
  spinners=()
}
trap 'stop_spinners; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
for ((i = 0; i < loops; i++)); do
  (while :; do :; done) &
  spinners+=("$!")
done

echo "== redwire stress: ${binaries[*]}; $runs runs beside $loops busy loop(s) on $(nproc) cores"
start=$(date +%s)
clean_in_a_row=0 longest_clean=0
for ((run = 1; run <= runs; run++)); do
  run_failed=0
  for b in "${binaries[@]}"; do
    log="$work/$b.$run.log"
    t0=$(date +%s)
    rc=0
    (cd "$build/tests" && timeout "$limit" "./$b" --gtest_brief=1 "${gtest_args[@]}") \
      >"$log" 2>&1 || rc=$?
    took=$(($(date +%s) - t0))
    if [ "$rc" -eq 0 ]; then
      printf '   run %d  %-16s passed  %4d s\n' "$run" "$b" "$took"
      continue
    fi
    run_failed=1
    # "[  FAILED  ] suite.test (12 ms)", "[  FAILED  ] suite.test/redis, where ...": the names
    failed="$(sed -n 's/^\[  FAILED  \] \([^ ,]*\).*$/\1/p' "$log" | grep '\.' | sort -u || true)"
    if [ "$rc" -eq 124 ]; then
      failed="${failed:+$failed$'\n'}$b:timed-out-after-${limit}s"
    elif [ -z "$failed" ]; then
      failed="$b:exited-with-$rc"
    fi
    printf '   run %d  %-16s FAILED  %4d s: %s\n' "$run" "$b" "$took" "$(echo $failed)"
    while IFS= read -r t; do echo "$run $b $t" >>"$work/failures"; done <<<"$failed"
    kept="$logs/$b.$(date +%Y%m%d-%H%M%S).run$run.log"
    cp "$log" "$kept"
    echo "   (its whole output: $kept; the failures:)"
    grep -B2 -A12 -E 'Failure$|FAILED|what\(\)|terminate' "$log" | head -60 | sed 's/^/     | /'
  done
  if [ "$run_failed" -eq 0 ]; then
    clean_in_a_row=$((clean_in_a_row + 1))
    [ "$clean_in_a_row" -gt "$longest_clean" ] && longest_clean=$clean_in_a_row
  else
    clean_in_a_row=0
  fi
done
stop_spinners

echo "== redwire stress: $runs runs in $(($(date +%s) - start)) s; longest clean streak $longest_clean"
if [ ! -s "$work/failures" ]; then
  echo "== every test passed in every run"
  exit 0
fi
echo "== tests that failed (runs out of $runs):"
awk '{ n[$2 " " $3]++ } END { for (t in n) printf "   %-90s %d of %d\n", t, n[t], '"$runs"' }' \
  "$work/failures" | sort
exit 1
