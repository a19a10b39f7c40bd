#!/usr/bin/env bash
# Installs what Pantau needs on a Debian/Ubuntu machine, skipping what is already there:
# system packages (PostgreSQL + PostGIS, GDAL tools, Chromium, poppler), the Python
# environment (.venv) and the pinned web assets (static/vendor). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root (or sudo) to run: $*"; return 1; fi
}

missing_debs=()
want_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing_debs+=("$1"); }

pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

install_system_packages() {
    if ! command -v apt-get >/dev/null; then
        log "not a Debian/Ubuntu machine: install PostgreSQL with PostGIS yourself or set DATABASE_URL"
        return 0
    fi
    local apt_updated=0
    apt_install() {
        [ "$#" -gt 0 ] || return 0
        if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
        log "installing Debian packages: $*"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    }
    # The server first: its major version names the PostGIS package.
    if [ -z "${DATABASE_URL:-}" ] && [ -z "$(pg_major)" ]; then
        missing_debs=(); want_deb postgresql; want_deb postgresql-contrib; apt_install "${missing_debs[@]}"
    fi
    missing_debs=()
    local major; major="$(pg_major)"
    if [ -z "${DATABASE_URL:-}" ] && [ -n "$major" ]; then
        want_deb "postgresql-${major}-postgis-3"; want_deb "postgresql-${major}-postgis-3-scripts"
    fi
    want_deb postgresql-client
    want_deb gdal-bin        # ogrinfo/ogr2ogr: a real OGC API client in the tests
    want_deb wrk             # HTTP load generator for bench/
    want_deb poppler-utils   # pdftotext/pdftoppm: reading reports back
    want_deb chromium        # browser tests and offline-HTML checks
    want_deb chromium-driver
    want_deb fonts-dejavu-core
    want_deb nodejs
    want_deb npm
    # Node and npm may come from elsewhere (e.g. nvm): accept them when present.
    if command -v node >/dev/null && command -v npm >/dev/null; then
        local keep=(); for p in "${missing_debs[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || keep+=("$p"); done
        missing_debs=("${keep[@]}")
    fi
    apt_install "${missing_debs[@]}"
}

install_python_env() {
    local stamp=.venv/.pantau-installed want
    want="$(cat pyproject.toml | sha256sum | cut -c1-16)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
    log "creating the Python environment (.venv)"
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    echo "$want" > "$stamp"
}

install_web_assets() {
    [ -f package.json ] || return 0
    local stamp=static/vendor/.installed want
    want="$(cat package.json package-lock.json scripts/vendor_assets.py 2>/dev/null | sha256sum | cut -c1-16)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
    log "installing pinned web assets from the npm registry"
    npm ci --no-audit --no-fund --silent
    .venv/bin/python scripts/vendor_assets.py
    echo "$want" > "$stamp"
}

install_system_packages
install_python_env
install_web_assets
log "ready"
