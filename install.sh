#!/usr/bin/env bash
# install.sh: build gohunt and install its Jupyter kernelspec ("gohunt", display name "Go (hunt)").
#
#   ./install.sh                 build bin/gohunt, install the kernelspec for this user
#   ./install.sh --sys-prefix    install into the active Python environment (the project .venv
#                                when .venv/bin is first on PATH, as the Makefile arranges)
#   ./install.sh --prefix DIR    install into DIR/share/jupyter/kernels/gohunt
#   ./install.sh --no-build      reuse an existing bin/gohunt (make kernelspec does: make build built it)
#
# The kernelspec's argv points at the absolute path of bin/gohunt in this checkout.
# Afterwards `jupyter kernelspec list` shows gohunt.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode=(--user)
build=1
while [[ $# -gt 0 ]]; do
	case "$1" in
	--user) mode=(--user) ;;
	--sys-prefix) mode=(--sys-prefix) ;;
	--prefix) mode=(--prefix "$2"); shift ;;
	--no-build) build=0 ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

bin="$root/bin/gohunt"
if [[ $build == 1 ]]; then
	echo "install.sh: building $bin (a first build compiles DuckDB's C++ library and the yaegi interpreter: about 8 minutes on 2 cores; later ones take seconds)"
	(cd "$root" && go build -o "$bin" ./cmd/gohunt)
fi
[[ -x "$bin" ]] || { echo "install.sh: $bin missing (build it or drop --no-build)" >&2; exit 1; }

spec="$(mktemp -d)/gohunt"
trap 'rm -rf "$(dirname "$spec")"' EXIT
mkdir -p "$spec"
# The binary path goes into JSON: escape backslashes and quotes.
esc=$(printf '%s' "$bin" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/[&|]/\\&/g')
sed "s|@GOHUNT@|$esc|" "$root/kernelspec/kernel.json.in" >"$spec/kernel.json"
cp "$root/kernelspec/logo-32x32.png" "$root/kernelspec/logo-64x64.png" "$root/kernelspec/logo-svg.svg" "$spec/"

if command -v jupyter >/dev/null 2>&1; then
	jupyter kernelspec install "${mode[@]}" --name gohunt --replace "$spec" >/dev/null
	echo "install.sh: kernelspec gohunt installed (${mode[*]}) for $(command -v jupyter)"
	jupyter kernelspec list | grep -E '^\s+gohunt\s' || { echo "install.sh: gohunt missing from jupyter kernelspec list" >&2; exit 1; }
elif [[ ${mode[0]} == --user ]]; then
	# No Jupyter yet: put the spec where Jupyter looks for user kernels.
	data="${JUPYTER_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/jupyter}"
	mkdir -p "$data/kernels"
	rm -rf "$data/kernels/gohunt"
	cp -r "$spec" "$data/kernels/gohunt"
	echo "install.sh: kernelspec gohunt copied to $data/kernels/gohunt (jupyter not on PATH)"
else
	echo "install.sh: ${mode[*]} needs jupyter on PATH (activate the environment, or run make kernelspec)" >&2
	exit 1
fi
