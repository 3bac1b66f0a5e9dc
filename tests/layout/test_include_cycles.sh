#!/usr/bin/env bash
# No circle of files anywhere in the tree: a file and its header are one
# module (x.c with x.h), an #include "..." is an arrow from the including
# module to the included one, and the arrows must form no loop (tsort
# finds one if there is). The include path is the build's (Makefile's
# INCLUDES). Prints a TAP line per check; a loop is named file by file.
set -u
cd "${TP_TOP:-$(dirname "$0")/../..}" || exit 1
dirs=$(sed -n 's/^INCLUDES := //p' Makefile | tr ' ' '\n' | sed -n 's/^-I//p')
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
unresolved=0
while IFS= read -r file; do
	from=${file%.*}
	here=$(dirname "$file")
	while IFS= read -r inc; do
		target=
		for d in "$here" $dirs; do
			if [ -f "$d/$inc" ]; then
				target=$(realpath --relative-to=. "$d/$inc")
				break
			fi
		done
		if [ -z "$target" ]; then
			continue # a system or generated header
		fi
		to=${target%.*}
		[ "$to" != "$from" ] && echo "$from $to"
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(git ls-files '*.c' '*.h') | sort -u >"$edges"
n=$(wc -l <"$edges")
if out=$(tsort "$edges" 2>&1 >/dev/null) && [ -z "$out" ]; then
	echo "ok 1 - no circle of files among $n include arrows"
else
	echo "not ok 1 - a circle of files (a module includes, through others, itself):"
	echo "$out" | sed 's/^/#   /'
	exit 1
fi
