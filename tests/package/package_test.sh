#!/bin/bash
# package.deb: the Debian package, built, linted, installed, used and removed, as docs/operations.md
# ("Installing the Debian package") describes it. That section is the specification this test reads:
# its table of installed paths, and its table of the lintian findings accepted with their reasons.
#
# Usage: package_test.sh BUILD_DIR SOURCE_DIR CPACK PYTHON
#
# It installs the package system-wide (dpkg -i), so it needs root; CI runs it as root on a throwaway
# machine. Whatever happens after the install, the EXIT trap removes the package again (only SIGKILL,
# which cannot be trapped, could leave it installed: `dpkg --purge armorclaw-eventbus`).
set -euo pipefail

build_dir=$1
source_dir=$2
cpack=$3
python=$4
package=armorclaw-eventbus
doc=$source_dir/docs/operations.md
section='## Installing the Debian package'

fail() {
  echo "FAIL package.deb: $*" >&2
  exit 1
}
step() { echo "== ${SECONDS}s: $*"; }

[ "$(id -u)" -eq 0 ] || fail "needs root: it installs $package system-wide with dpkg -i and removes it again
(CI runs as root on a throwaway machine). Run ctest as root, or leave this test out: ctest -LE package"
for tool in lintian dpkg-shlibdeps pkg-config cc; do
  command -v "$tool" >/dev/null || fail "$tool not found: scripts/dev.sh deps installs it"
done
[ -x "$python" ] || fail "$python not found: apt-get install -y python3 python3-websockets"
status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
[ -z "$status" ] || [ "$status" = not-installed ] ||
  fail "$package is already on this machine ($status); this test installs and removes it, so remove it first: dpkg --purge $package"

work=$(mktemp -d)
installing=no
cleanup() {
  if [ "$installing" = yes ]; then
    dpkg --purge "$package" >/dev/null 2>&1 || echo "package.deb: could not remove $package: run dpkg --purge $package" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The section of the docs this test holds the package to, and the /usr/... paths its layout table names.
awk -v heading="$section" '$0 == heading { inside = 1; next } inside && /^## / { exit } inside' "$doc" >"$work/section"
[ -s "$work/section" ] || fail "no section \"$section\" in $doc"
sed -n 's/^| `\(\/usr\/[^`]*\)`.*/\1/p' "$work/section" >"$work/documented"
[ -s "$work/documented" ] || fail "the section \"$section\" of $doc has no table of installed /usr/ paths"
# Accepted lintian findings: rows "| W | `tag` | reason |".
sed -n 's/^| \([EWIP]\) | `\([a-z0-9+.-]*\)` |.*/\1 \2/p' "$work/section" | sort -u >"$work/accepted"

step "cpack -G DEB"
"$cpack" -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/cpack" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
debs=("$work"/cpack/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "cpack made ${#debs[@]} .deb files: ${debs[*]}"
deb=${debs[0]}
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build_dir/CMakeCache.txt")
[ "$(dpkg-deb -f "$deb" Package)" = "$package" ] || fail "the package is not named $package"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version $(dpkg-deb -f "$deb" Version), project version $version"
depends=$(dpkg-deb -f "$deb" Depends)
case "$depends" in
  *libc6*libssl3*) ;;
  *) fail "Depends was not computed from the binaries (dpkg-shlibdeps): \"$depends\"" ;;
esac
echo "$(basename "$deb"), $(stat -c %s "$deb") bytes; Depends: $depends"

step "lintian"
lintian_status=0
lintian --pedantic --display-info --display-experimental "$deb" >"$work/lintian" 2>&1 || lintian_status=$?
cat "$work/lintian"
sed -n "s/^\([EWIPX]\): $package: \([^ ]*\).*/\1 \2/p" "$work/lintian" | sort -u >"$work/found"
if [ "$lintian_status" -ne 0 ] && ! grep -q '^E ' "$work/found"; then
  fail "lintian failed (status $lintian_status) without reporting an error tag"
fi
unexpected=$(comm -23 "$work/found" "$work/accepted")
[ -z "$unexpected" ] || fail "lintian findings not accepted in $doc (\"$section\"):
$unexpected"
stale=$(comm -13 "$work/found" "$work/accepted")
[ -z "$stale" ] || fail "$doc lists lintian findings that lintian no longer reports; remove them:
$stale"

step "dpkg -i"
installing=yes
dpkg -i "$deb" >"$work/dpkg-install.log" 2>&1 || { cat "$work/dpkg-install.log" >&2; fail "dpkg -i failed"; }
dpkg -L "$package" | grep -v '^/\.$' >"$work/installed"

step "the installed files are where $doc says"
while read -r path; do
  [ -e "$path" ] || fail "$path, named in $doc, is not installed"
done <"$work/documented"
while read -r path; do
  [ -d "$path" ] && continue
  documented=no
  while read -r named; do
    case "$path" in "$named" | "${named%/}"/*) documented=yes ;; esac
  done <"$work/documented"
  [ "$documented" = yes ] || fail "$path is installed but $doc does not name it (or a directory holding it)"
done <"$work/installed"
plugindir=$(pkg-config --variable=plugindir "$package")
[ "$plugindir" = /usr/lib/armorclaw/plugins ] || fail "pkg-config --variable=plugindir $package says \"$plugindir\""
[ "$(pkg-config --modversion "$package")" = "$version" ] || fail "pkg-config --modversion $package is not $version"
# The header is where the .pc file says, and compiles as the C99 it promises.
printf '#include <armorclaw/eventbus.h>\nint main(void) { return ACEB_ABI_VERSION_MAJOR > 0 ? 0 : 1; }\n' >"$work/probe.c"
# shellcheck disable=SC2046  # pkg-config prints separate words
cc -std=c99 -pedantic-errors -Wall -Werror $(pkg-config --cflags "$package") -c "$work/probe.c" -o "$work/probe.o" ||
  fail "a C99 program cannot include <armorclaw/eventbus.h> with pkg-config --cflags $package"

step "the installed host serves events with the installed plugin and example config"
"$python" "$source_dir/tests/package/installed_host_test.py" /usr/bin/armorclaw-eventbus-host \
  /usr/share/doc/$package/examples/config.toml "$plugindir/armorclaw-eventbus.so" ||
  fail "the installed host did not serve the events (see above)"

step "dpkg -r"
dpkg -r "$package" >"$work/dpkg-remove.log" 2>&1 || { cat "$work/dpkg-remove.log" >&2; fail "dpkg -r failed"; }
installing=no
status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
[ -z "$status" ] || [ "$status" = not-installed ] || fail "after dpkg -r the package is $status"
# What remains of the paths it installed can only be directories that are not its own: holding other
# files, or belonging to another package too.
while read -r path; do
  [ -e "$path" ] || [ -L "$path" ] || continue
  if [ -d "$path" ] && { [ -n "$(ls -A "$path")" ] || dpkg-query -S "$path" >/dev/null 2>&1; }; then continue; fi
  fail "dpkg -r left $path behind"
done <"$work/installed"
step "PASS: built, linted, installed ($(wc -l <"$work/installed") paths), used and removed"
