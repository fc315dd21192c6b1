#!/usr/bin/env bash
# Installs the bronze Python package into .venv in editable mode: `pip install -e .` (scikit-build-
# core, no build isolation, building into the same build/ tree as scripts/build.sh) the first time
# and whenever pyproject.toml or python/CMakeLists.txt change; otherwise the extension was just
# rebuilt by scripts/build.sh and only its install step runs again (`cmake --install` of the
# "python" component: exactly what pip would do, in a second). Run after scripts/build.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=build

log=$(mktemp -t bronze-python.XXXXXX)
trap 'rm -f "$log"' EXIT
stamp=.venv/.bronze-package.sha256
want=$(cat pyproject.toml python/CMakeLists.txt | sha256sum | cut -d' ' -f1)
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
if [[ ! -f $stamp || $(<"$stamp") != "$want" || ! -d $site/bronze ]]; then
  echo "python: pip install -e . (builds the extension into $build_dir/)"
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check --no-build-isolation \
       --no-deps -e . >"$log" 2>&1; then
    echo "python: pip install -e . failed; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
  echo "$want" >"$stamp"
else
  cmake --install "$build_dir" --component python --prefix "$site" >"$log" 2>&1 || {
    cat "$log" >&2
    exit 1
  }
fi
# The `bronze` command line next to the venv's python (pip put it there; this refreshes it).
if [[ -x $build_dir/tools/bronze ]] && ! cmp -s "$build_dir/tools/bronze" .venv/bin/bronze; then
  install -m 755 "$build_dir/tools/bronze" .venv/bin/bronze
fi
echo "python: bronze package ok"
