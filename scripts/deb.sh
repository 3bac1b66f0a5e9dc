#!/usr/bin/env bash
# make deb: the Debian packages, built by dpkg-buildpackage from a clean copy
# of the tracked files (the packages land beside the copy, in OUT, and the
# working tree's own build directories are neither used nor touched), then
# checked by lintian: an error or a warning fails the build.
#   scripts/deb.sh [OUT]     (default build-deb)
set -eu
cd "$(dirname "$0")/.."
out=${1:-build-deb}
rm -rf "$out"
mkdir -p "$out/src"
out=$(cd "$out" && pwd)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$out/src"
else
	tar --exclude=./build --exclude=./build-san --exclude=./build-clang -cf - . | tar -xf - -C "$out/src"
fi
echo "thermopad: dpkg-buildpackage in $out/src"
if ! (cd "$out/src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	echo "thermopad: the package build failed (log: $out/build.log)" >&2
	exit 1
fi
cd "$out"
ls -1 ./*.deb
if ! command -v lintian >/dev/null; then
	echo "thermopad: packages in $out; lintian is not installed, so they are not checked (make deps installs it)"
	exit 0
fi
set -o pipefail
lintian --fail-on error,warning --info ./*.changes | tee lintian.log
echo "thermopad: packages in $out, lintian clean of errors and warnings"
