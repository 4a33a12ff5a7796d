#!/bin/bash
# The ABI guard of armorclaw/eventbus.h, with libabigail (Debian abigail-tools); see docs/abi.md.
#   abi/abi_check.sh baseline          regenerates abi/baseline/eventbus-1.0.abi from the released 1.0
#                                      header kept beside it (run once per release, and commit the result)
#   abi/abi_check.sh check [HEADER]    compares HEADER (default: the current header) with the baseline:
#                                      exit 0 when a 1.0 host and plugin still work with it, 1 otherwise
# A type is read from the debug information of a small shared object built from abi/baseline/abi_types.c
# with the header included.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
baseline_header="$here/baseline/eventbus-1.0.h"
baseline_abi="$here/baseline/eventbus-1.0.abi"
suppressions="$here/baseline/appended.abignore"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The shared object describing HEADER's types, at $work/$2.so.
build_types() {
  cc -g -O0 -shared -fPIC -std=c99 -include "$1" -o "$work/$2.so" "$here/baseline/abi_types.c"
}

case "${1:-}" in
  baseline)
    build_types "$baseline_header" baseline
    abidw --no-corpus-path --no-comp-dir-path --short-locs "$work/baseline.so" > "$baseline_abi"
    echo "wrote $baseline_abi"
    ;;
  check)
    header="${2:-$here/include/armorclaw/eventbus.h}"
    build_types "$header" current
    status=0
    # Pass 1: anything but members appended to the growing structs is reported (a removed or changed
    # function or type, a struct that shrank or lost a member).
    abidiff --no-default-suppression --suppressions "$suppressions" "$baseline_abi" "$work/current.so" \
      > "$work/pass1.txt" || status=$?
    # Pass 2: every member the baseline had is where it was, with the type it had. abidiff lists such
    # changes under "there are data member changes" (or as deletions), whatever was appended beside them.
    leaf_status=0
    abidiff --no-default-suppression --leaf-changes-only "$baseline_abi" "$work/current.so" \
      > "$work/pass2.txt" || leaf_status=$?
    echo "abidiff exit status: $status (with the appended-member suppression), $leaf_status (leaf changes)"
    if [ "$status" -ne 0 ]; then
      cat "$work/pass1.txt"
      echo "INCOMPATIBLE: $header breaks the ABI of the baseline"
      exit 1
    fi
    if grep -E -q "data member change|data member deletion|offset changed" "$work/pass2.txt"; then
      cat "$work/pass2.txt"
      echo "INCOMPATIBLE: $header changes a member of the baseline"
      exit 1
    fi
    cat "$work/pass2.txt"
    echo "compatible: $header only appends to the baseline"
    ;;
  *)
    echo "usage: $0 baseline | check [HEADER]" >&2
    exit 2
    ;;
esac
