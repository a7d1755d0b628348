#!/usr/bin/env bash
# Sets up everything Allpa needs on a fresh Debian/Ubuntu machine; safe to run again.
#   scripts/setup.sh            system packages (PostgreSQL + PostGIS), .venv, Python deps, web assets
#   scripts/setup.sh --test     also headless Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need_pkgs=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_pkgs+=(postgresql-15)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need_pkgs+=(postgresql-15-postgis-3)
if [ "$WITH_TEST" = "1" ]; then
  command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
  fc-list 2>/dev/null | grep -qi dejavu || need_pkgs+=(fonts-dejavu-core)
  /usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || need_pkgs+=(python3-qgis)  # PyQGIS OAPIF test
fi
command -v npm >/dev/null 2>&1 || need_pkgs+=(npm)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "== apt-get install ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.allpa-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "== installing Python dependencies"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev,bench]"
  touch "$stamp"
fi

if [ -x scripts/vendor_assets.sh ]; then
  scripts/vendor_assets.sh
fi
echo "== setup done"
