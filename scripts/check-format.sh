#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what .clang-format (clang-format 14) makes of it.
# Usage: bash scripts/check-format.sh        (to mend: bash scripts/check-format.sh --fix)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
files=()
while IFS= read -r f; do files+=("$f"); done < <(git ls-files '*.hpp' '*.cpp' 2>/dev/null ||
  find include transports tools examples bench tests -name '*.[hc]pp')
if [ "${1:-}" = --fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! out="$(clang-format --dry-run -Werror "${files[@]}" 2>&1)"; then
  grep -E '^[^ ].*(warning|error):' <<<"$out" | cut -d: -f1 | sort -u |
    sed 's/^/redwire: not formatted: /'
  echo "redwire: mend with 'bash scripts/check-format.sh --fix' (clang-format 14)"
  exit 1
fi
