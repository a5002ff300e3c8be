#!/usr/bin/env bash
# Runs the ratio benchmarks RUNS times (default 5), each in a process of its own, and prints
# every ratio's median and range over the runs:
#   floor_bench          redwire against the hiredis floors (bench/floors.hpp)
#   call_bench tls       TLS against plaintext on one server
# Each run alternates redwire and its baseline within itself; the runs follow one another.
#   bash scripts/bench-floors.sh [RUNS] [BUILD_DIR]      (BUILD_DIR default: build)
set -euo pipefail
runs="${1:-5}"
build="${2:-build}"
for b in floor_bench call_bench; do
  [ -x "$build/bench/$b" ] || { echo "no $build/bench/$b: build the target $b first" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for i in $(seq 1 "$runs"); do
  echo "run $i of $runs" >&2
  # floor_bench closes with "<case>  <counter>  <median>x ..."; one repetition: the median is it
  "$build/bench/floor_bench" --benchmark_counters_tabular=false 2>/dev/null |
    awk '$2 ~ /^x_/ && $3 ~ /x$/ { sub(/x$/, "", $3); print $1 "  " $2, $3 }' >> "$work/ratios"
  # call_bench reports counters as name=value
  "$build/bench/call_bench" --benchmark_filter=tls --benchmark_counters_tabular=false 2>/dev/null |
    awk '/^redis\/tls/ { split($1, n, "/"); for (f = 2; f <= NF; ++f)
           if ($f ~ /^(ratio|ping_ratio)=/) { split($f, kv, "="); print "tls/" n[3] "  " kv[1], kv[2] } }' \
      >> "$work/ratios"
done

echo
printf '%-66s %7s %16s %5s\n' "ratio over $runs runs" median range runs
sort "$work/ratios" | awk '
  { key = $1 "  " $2; v[key, ++n[key]] = $3 }
  END {
    for (k in n) {
      m = n[k]
      for (i = 1; i <= m; ++i) a[i] = v[k, i]
      for (i = 2; i <= m; ++i) { x = a[i]; j = i - 1; while (j > 0 && a[j] > x) { a[j + 1] = a[j]; --j } a[j + 1] = x }
      med = m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
      printf "%-66s %6.2fx  %6.2f – %5.2fx %5d\n", k, med, a[1], a[m], m
    }
  }' | sort
