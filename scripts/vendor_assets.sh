#!/usr/bin/env bash
# Installs the browser map's JavaScript/CSS from npm into api/static/vendor/ (gitignored).
# Pages and standalone HTML maps use ONLY these local copies: never a CDN at run time.
# Idempotent: returns at once when the pinned versions are already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
LEAFLET=1.9.4
VECTORGRID=1.3.0
DEST=api/static/vendor
STAMP="$DEST/.versions"
WANT="leaflet@$LEAFLET leaflet.vectorgrid@$VECTORGRID"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
   && [ -f "$DEST/leaflet/leaflet.js" ] && [ -f "$DEST/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "npm is required (apt-get install npm)" >&2; exit 1; }
echo "== web assets: npm install $WANT"
PREFIX=var/npm
mkdir -p "$PREFIX"
npm install --prefix "$PREFIX" --no-audit --no-fund --no-save --loglevel=error \
  "leaflet@$LEAFLET" "leaflet.vectorgrid@$VECTORGRID" >/dev/null
NM="$PREFIX/node_modules"
rm -rf "$DEST/leaflet" "$DEST/leaflet.vectorgrid"
mkdir -p "$DEST/leaflet" "$DEST/leaflet.vectorgrid"
cp "$NM/leaflet/dist/leaflet.js" "$NM/leaflet/dist/leaflet.css" "$NM/leaflet/LICENSE" "$DEST/leaflet/"
cp -r "$NM/leaflet/dist/images" "$DEST/leaflet/"
cp "$NM/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js" "$DEST/leaflet.vectorgrid/"
cp "$NM/leaflet.vectorgrid/LICENSE" "$DEST/leaflet.vectorgrid/" 2>/dev/null || true
echo "$WANT" > "$STAMP"
echo "== web assets in $DEST"
