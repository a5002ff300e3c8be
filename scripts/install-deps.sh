#!/usr/bin/env bash
# Installs, from Debian's packages, whatever redwire's build, tests and demo need and the
# machine lacks. Safe to run again: it installs nothing when everything is there.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libhiredis-dev libboost1.81-dev libcereal-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev  # the redwire tool only (tools/redwire); the library does not use it
  curl                # the tool's tests scrape its /metrics endpoint
  redis-server  # with --tls-port and --sentinel, used by the TLS and Sentinel tests
  faketime      # a service process 30 s ahead of or behind its callers (tests/async)
  clang libclang-rt-14-dev clang-format
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "redwire: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# A redis-server package starts a system-wide server; redwire's tests and demo start their
# own private ones and never use it.
