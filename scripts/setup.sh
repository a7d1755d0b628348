#!/usr/bin/env bash
# Sets up everything Allpa needs on a fresh Debian/Ubuntu machine; safe to run again.
#   scripts/setup.sh            system packages, .venv, Python deps, web assets
#   scripts/setup.sh --test     also headless Chromium (and what Playwright needs) for the tests
# Needs root or sudo for apt-get (only when a package is missing). Prints one line per step;
# the full output of apt, pip and npm goes to var/setup.log (its tail is shown on failure).
# PostgreSQL + PostGIS come in the version the distribution ships, WITHOUT the system cluster
# Debian would create on port 5432: Allpa runs its own private cluster (`allpa db up`).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

mkdir -p var
LOG=var/setup.log
: >"$LOG"
export DEBIAN_FRONTEND=noninteractive

say() { printf 'setup: %s\n' "$*"; }

# step LABEL CMD...: runs CMD with its output in the log; one line on success, the log's tail
# on failure. (errexit is off inside CMD: functions run by it check each command themselves.)
step() {
  local label=$1; shift
  local t0=$SECONDS
  printf '\n### %s: %s\n' "$label" "$*" >>"$LOG"
  if "$@" >>"$LOG" 2>&1; then
    say "$label ($((SECONDS - t0)) s)"
  else
    say "FAILED: $label. Last lines of $LOG:"
    tail -n 25 "$LOG" | sed 's/^/  | /'
    exit 1
  fi
}

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else NO_ROOT=1; fi
fi

# --- system packages ------------------------------------------------------------------------
# A PostgreSQL major version with both the server and PostGIS installed, if any.
pg_with_postgis() {
  local v
  for v in $(ls /usr/lib/postgresql 2>/dev/null | sort -rn); do
    if [ -x "/usr/lib/postgresql/$v/bin/initdb" ] \
       && [ -f "/usr/share/postgresql/$v/extension/postgis.control" ]; then
      echo "$v"; return 0
    fi
  done
  return 1
}

python_ok() {  # python3 >= 3.11 with the venv module's ensurepip
  command -v python3 >/dev/null 2>&1 \
    && python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

missing=()
python_ok || missing+=(python3 python3-venv)
pg_with_postgis >/dev/null || missing+=(postgresql)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "$WITH_TEST" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
  # Playwright's bundled Node driver links against libatomic.
  ls /usr/lib/*/libatomic.so.1 /lib/*/libatomic.so.1 >/dev/null 2>&1 || missing+=(libatomic1)
  # QGIS's own Python bindings: the test that reads the OGC API with a real QGIS client.
  /usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || missing+=(python3-qgis)
fi

apt_install() {
  "${SUDO[@]}" apt-get install -y --no-install-recommends -o Dpkg::Use-Pty=0 "$@"
}

# PostgreSQL's Debian packages create and enable a "main" cluster on port 5432 on first install.
# Allpa never uses it, so switch that off for the duration of our install (an existing system
# cluster is left exactly as it is).
install_postgresql() {
  local v
  v=$(apt-cache depends postgresql 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^postgresql-[0-9]+$/ { sub("postgresql-", "", $2); print $2; exit }')
  [ -n "$v" ] || { echo "cannot tell which PostgreSQL version this distribution ships"; return 1; }
  local before
  before=$(ls -d /etc/postgresql/*/*/ 2>/dev/null | wc -l)
  apt_install postgresql-common || return 1
  local conf=/etc/postgresql-common/createcluster.conf dropin=""
  if grep -qE "^\s*include_dir\s*=?\s*'/etc/postgresql-common/createcluster.d'" "$conf"; then
    dropin=/etc/postgresql-common/createcluster.d/allpa-no-main-cluster.conf
    "${SUDO[@]}" mkdir -p "$(dirname "$dropin")" || return 1
    echo "create_main_cluster = false" | "${SUDO[@]}" tee "$dropin" >/dev/null || return 1
    trap '"${SUDO[@]}" rm -f '"$dropin" EXIT
  else
    "${SUDO[@]}" pg_conftool "$conf" set create_main_cluster false || return 1
  fi
  apt_install "postgresql-$v" "postgresql-$v-postgis-3" || return 1
  if [ -n "$dropin" ]; then "${SUDO[@]}" rm -f "$dropin"; trap - EXIT; fi
  if [ "$(ls -d /etc/postgresql/*/*/ 2>/dev/null | wc -l)" != "$before" ]; then
    echo "the PostgreSQL packages created a system cluster after all: see pg_lsclusters"; return 1
  fi
  echo "installed PostgreSQL $v + PostGIS 3, no system cluster created"
}

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${NO_ROOT:-0}" = 1 ]; then
    say "missing system packages (${missing[*]}): run as root or install sudo"; exit 1
  fi
  say "installing system packages: ${missing[*]}"
  if [ "${#SUDO[@]}" -gt 0 ]; then sudo -v || { say "sudo is needed for apt-get"; exit 1; }; fi
  step "apt-get update" "${SUDO[@]}" apt-get update
  other=()
  for p in "${missing[@]}"; do [ "$p" = postgresql ] || other+=("$p"); done
  if [ "${#other[@]}" -gt 0 ]; then
    step "apt-get install ${other[*]}" apt_install "${other[@]}"
  fi
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    step "apt-get install PostgreSQL + PostGIS of this distribution (no system cluster)" \
      install_postgresql
  fi
fi
python_ok || { say "python3 >= 3.11 with venv is required; found: $(python3 --version 2>&1)"; exit 1; }
pg_with_postgis >/dev/null || { say "PostgreSQL with PostGIS is still missing (see $LOG)"; exit 1; }
say "system packages: PostgreSQL $(pg_with_postgis) + PostGIS, $(python3 --version), npm $(npm --version)$([ "$WITH_TEST" = 1 ] && echo ", $(chromium --version 2>/dev/null | awk "NR == 1 { print \$1, \$2 }")")"

# --- Python virtual environment -------------------------------------------------------------
# A .venv left half-made (e.g. by a run before python3-venv was installed) has no working pip:
# remove it and start again.
if [ -e .venv ] && ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  say "removing a broken .venv (no working python/pip)"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  step "create .venv" python3 -m venv .venv
fi
stamp=.venv/.allpa-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ ! -x .venv/bin/allpa ]; then
  step "pip install --upgrade pip" .venv/bin/python -m pip install --upgrade pip
  step "pip install -e .[dev,bench] (Python dependencies)" \
    .venv/bin/python -m pip install -e ".[dev,bench]"
  touch "$stamp"
fi

# --- web assets -----------------------------------------------------------------------------
step "web assets (Leaflet from npm into api/static/vendor)" scripts/vendor_assets.sh
# What pip does for installed packages, for the project's own (editable) modules: without it a
# process that may not write bytecode (PYTHONDONTWRITEBYTECODE) compiles them on every start.
step "byte-compile geo, layers, api" .venv/bin/python -m compileall -q -j 0 geo layers api
say "done"
