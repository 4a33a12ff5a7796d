#!/bin/sh
# The plugin must export its entry symbol and nothing else (no Boost, Abseil or libstdc++ leaks).
set -eu
so="$1"
exported=$(nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }')
if [ "$exported" != "aceb_negotiate" ]; then
  echo "expected exactly aceb_negotiate to be exported by $so, got:" >&2
  echo "$exported" >&2
  exit 1
fi
echo "exports: $exported"
