#!/usr/bin/env bash
# Installs what bronze needs on a Debian 12 machine: the packages in scripts/debian-packages.txt
# and in any further list files given as arguments (scripts/bench.sh adds the benchmark peers of
# scripts/bench-packages.txt) (only the missing ones; no apt-get at all when none is missing) and the Python venv in .venv
# with requirements-dev.txt (pip runs only when that file changed since the last install).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=$(mktemp -t bronze-setup.XXXXXX)
trap 'rm -f "$log"' EXIT
fail() {
  echo "setup: $1 failed; its output:" >&2
  cat "$log" >&2
  exit 1
}

# ---- Debian packages ------------------------------------------------------------------------
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' scripts/debian-packages.txt "$@")
# One dpkg-query for all of them: lines "name status" for the packages dpkg knows.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null \
              | awk '$NF == "installed" { print $1 }' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: debian packages ok"
else
  echo "setup: installing debian packages: ${missing[*]}"
  sudo=()
  if ((EUID != 0)); then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-o DPkg::Lock::Timeout=600 -q)
  "${sudo[@]}" apt-get "${apt_opts[@]}" update >"$log" 2>&1 || fail "apt-get update"
  "${sudo[@]}" apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" \
    >"$log" 2>&1 || fail "apt-get install"
  echo "setup: debian packages ok"
fi

# ---- Python venv ----------------------------------------------------------------------------
# Debian's interpreter, not whatever python3 is first on PATH (pyenv): the extension module is
# built against Debian's python3-dev headers.
if ! .venv/bin/python -c '' >/dev/null 2>&1; then
  rm -rf .venv
  /usr/bin/python3 -m venv .venv >"$log" 2>&1 || fail "creating .venv"
fi
stamp=.venv/.bronze-requirements.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt \
    >"$log" 2>&1 || fail "pip install -r requirements-dev.txt"
  echo "$want" >"$stamp"
fi
echo "setup: venv ok"
