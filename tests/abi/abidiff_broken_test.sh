#!/bin/bash
# abi.abidiff_refuses_broken_headers: the ABI guard (abi/abi_check.sh) must fail for a header that breaks
# the 1.0 ABI while appending like 1.1 does. Two deliberately broken copies of the current header are made
# here: one changes the signature of a released function (start gains a parameter), one swaps two released
# members (publish and stats). For each, the check must exit 1, abidiff must have reported an ABI change
# (bit 4, ABIDIFF_ABI_CHANGE, of its exit status), and the report must name the member.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
header="$top/abi/include/armorclaw/eventbus.h"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Replaces text $2 by $3 in the header, into $work/$1.h; fails if the text is not there.
break_header() {
  python3 - "$header" "$work/$1.h" "$2" "$3" <<'PY'
import sys
source, target, old, new = sys.argv[1:]
text = open(source).read()
if old not in text:
    sys.exit(f"the header no longer holds {old!r}: update this test")
open(target, "w").write(text.replace(old, new, 1))
PY
}

publish='  aceb_status (*publish)(aceb_plugin* plugin, const char* event_json, size_t size, aceb_buffer* error);'
stats='  aceb_status (*stats)(aceb_plugin* plugin, aceb_buffer* out);'
break_header signature '(*start)(aceb_plugin* plugin, aceb_buffer* error);' \
  '(*start)(aceb_plugin* plugin, uint32_t flags, aceb_buffer* error);'
break_header reordered "$publish" "@@"
python3 - "$work/reordered.h" "$publish" "$stats" <<'PY'
import sys
path, publish, stats = sys.argv[1:]
text = open(path).read()
if stats not in text:
    sys.exit("the header no longer holds stats: update this test")
open(path, "w").write(text.replace(stats, publish, 1).replace("@@", stats, 1))
PY

failures=0
expect_refused() {
  local name=$1 member=$2 report status=0
  report=$("$top/abi/abi_check.sh" check "$work/$name.h") || status=$?
  local leaf
  leaf=$(sed -n 's/^abidiff exit status: [0-9]* (with the appended-member suppression), \([0-9]*\) (leaf changes)$/\1/p' <<<"$report")
  if [ "$status" -ne 1 ]; then
    echo "FAIL $name: the check exited $status, not 1"; failures=$((failures + 1)); echo "$report"; return
  fi
  if [ -z "$leaf" ] || [ $((leaf & 4)) -eq 0 ]; then
    echo "FAIL $name: abidiff's exit status ($leaf) lacks ABIDIFF_ABI_CHANGE (4)"; failures=$((failures + 1)); return
  fi
  if ! grep -q -- "$member" <<<"$report"; then
    echo "FAIL $name: the report does not name $member"; failures=$((failures + 1)); echo "$report"; return
  fi
  echo "ok $name: refused, abidiff status $leaf, names $member"
}

expect_refused signature "aceb_api::start"
expect_refused reordered "publish' offset changed"
exit "$failures"
