#!/usr/bin/env bash
# Bootstrap a fresh clone: a virtual environment on Python 3.13+, the package with its
# dev extras, and the pinned npm tools (solc, ganache). Re-running is cheap: each step
# runs again only when its inputs (pyproject.toml, package-lock.json) changed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'bootstrap: %s\n' "$*" >&2; }

is_new_enough() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' 2>/dev/null
}

find_python() {
    local candidates=()
    [[ -n "${GOVCHAIN_PYTHON:-}" ]] && candidates+=("$GOVCHAIN_PYTHON")
    local name
    for name in python3.14 python3.13; do
        command -v "$name" >/dev/null 2>&1 && candidates+=("$(command -v "$name")")
    done
    if command -v pyenv >/dev/null 2>&1; then
        local version
        for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[3-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -rV); do
            local found
            found="$(PYENV_VERSION="$version" pyenv which python3 2>/dev/null || true)"
            [[ -n "$found" ]] && candidates+=("$found")
        done
    fi
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    local dir
    for dir in $(ls -d "$root"/versions/3.1[3-9]* "$root"/versions/3.[2-9][0-9]* 2>/dev/null | sort -rV); do
        candidates+=("$dir/bin/python3")
    done
    command -v python3 >/dev/null 2>&1 && candidates+=("$(command -v python3)")
    local candidate
    for candidate in "${candidates[@]}"; do
        if [[ -x "$candidate" ]] && is_new_enough "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

stamp_ok() { [[ -f "$1" ]] && [[ "$(cat "$1")" == "$2" ]]; }

# --- Python -------------------------------------------------------------------------
if [[ ! -x .venv/bin/python ]] || ! is_new_enough .venv/bin/python; then
    if ! python="$(find_python)"; then
        say "No Python 3.13 or newer found (looked at GOVCHAIN_PYTHON, python3.13/3.14 on PATH,"
        say "pyenv and ~/.pyenv/versions). Install one, e.g. 'pyenv install 3.13', or set"
        say "GOVCHAIN_PYTHON=/path/to/python3.13."
        exit 1
    fi
    say "creating .venv with $python ($("$python" --version))"
    rm -rf .venv
    "$python" -m venv .venv
fi

py_inputs="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if ! stamp_ok .venv/.govchain-installed "$py_inputs"; then
    say "installing govchain and its dev tools into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[dev]"
    echo "$py_inputs" > .venv/.govchain-installed
fi

# --- Node tools ---------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "Node.js and npm are needed for the Solidity compiler and Ganache; install Node 20+."
    exit 1
fi
node_inputs="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if ! stamp_ok node_modules/.govchain-installed "$node_inputs"; then
    say "installing the pinned npm tools (solc, ganache)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    echo "$node_inputs" > node_modules/.govchain-installed
fi
# --- Browser for page tests ----------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian's chromium for the browser tests"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        say "chromium is missing; browser tests will fail. Install it: apt-get install chromium"
    fi
fi
# --- PostgreSQL for the database tests (the tests start their own server) -------------
has_postgres() {
    command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1 && return 0
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
if ! has_postgres; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian's postgresql for the PostgreSQL tests"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        say "PostgreSQL is missing; its tests will fail. Install it: apt-get install postgresql"
    fi
fi
say "ready"
