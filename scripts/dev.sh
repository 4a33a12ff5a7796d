#!/usr/bin/env bash
# One entry point for building, testing and trying armorclaw-eventbus on Debian 12.
#
#   scripts/dev.sh demo   install what is missing, build, and serve the demo feed on ws://localhost:8444/events
#   scripts/dev.sh test   install what is missing, build every preset, and run every test (fuzzers included)
#   scripts/dev.sh deps   only install what is missing (Debian packages, the npm packages of tests/clients)
#   scripts/dev.sh build [PRESET]   configure and build one CMake preset (default: default)
set -euo pipefail
cd "$(dirname "$0")/.."

# Every Debian package the build, the tests and the demo need. The last line is for the Debian package
# (cmake/Packaging.cmake, tests/package): CPack's dependency computation runs dpkg-shlibdeps (dpkg-dev)
# on the files `file` says are ELF, help2man writes the host's man page, lintian checks the result.
packages=(
  cmake ninja-build g++ pkg-config
  libboost1.81-dev libabsl-dev libtomlplusplus-dev libssl-dev libre2-dev zlib1g-dev openssl
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3 python3-websockets
  prometheus  # promtool, which checks the /metrics exposition and the alert rules of operations.md
  abigail-tools  # abidw/abidiff: the abi.abidiff check of the header against its 1.0 baseline (docs/abi.md)
  golang-go golang-github-gorilla-websocket-dev  # the gorilla client of clients.go_gorilla_compression
  nodejs chromium
  dpkg-dev file help2man lintian
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
  local missing=()
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "dev.sh: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  # npm ships inside Debian's nodejs on this machine kind; Debian's own split package is npm.
  command -v npm >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
  if [ -f tests/clients/package-lock.json ] && [ ! -d tests/clients/node_modules ]; then
    npm ci --prefix tests/clients --no-audit --no-fund
  fi
}

build() {
  local preset="${1:-default}"
  cmake --preset "$preset"
  cmake --build --preset "$preset"
}

case "${1:-}" in
  deps)
    deps
    ;;
  build)
    deps
    build "${2:-default}"
    ;;
  demo)
    deps
    build default
    exec build/default/bin/armorclaw-eventbus-host --set websocket_addr=0.0.0.0:8444 --demo
    ;;
  test)
    deps
    for preset in default asan-ubsan tsan fuzz; do
      echo "=== $preset: build"
      build "$preset"
      echo "=== $preset: test"
      ctest --preset "$preset" -j2
    done
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
