#!/usr/bin/env bash
# The table of docs/security.md's "Conformance suite" section lists exactly the cases of conformance_tests,
# so that neither can change without the other.
# Usage: case_list_matches_docs.sh CONFORMANCE_TESTS_BINARY DOCS_SECURITY_MD
set -euo pipefail
suite_binary=$1
doc=$2

# "Suite." lines, then "  Case" lines; parameterized names would carry a comment, cut at the first blank.
in_suite=$("$suite_binary" --gtest_list_tests | awk '/^[^ ]/ {suite = $1; next} {print suite $1}' | sort)
# Rows "| `Suite.Case` | ..." between "## Conformance suite" and the next "## " heading.
in_docs=$(awk '/^## / {inside = ($0 == "## Conformance suite")} inside' "$doc" |
          sed -n 's/^| `\([A-Za-z0-9_]*\.[A-Za-z0-9_]*\)` |.*/\1/p' | sort)

if [[ -z $in_suite || -z $in_docs ]]; then
  echo "no cases found (suite: ${#in_suite} bytes, docs: ${#in_docs} bytes)"
  exit 1
fi
if ! diff <(echo "$in_suite") <(echo "$in_docs"); then
  echo "docs/security.md (Conformance suite) and conformance_tests differ: < only in the suite, > only in the docs"
  exit 1
fi
echo "$(echo "$in_suite" | wc -l) cases, listed alike"
