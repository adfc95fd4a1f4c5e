#!/usr/bin/env bash
# Bootstrap the ACA-Py agents: a separate virtual environment `.venv-agents` with
# acapy-agent 1.7 (askar storage on SQLite included) and its `bbs` extra (BBS+ for the
# BürgerID's selective disclosure: ursa-bbs-signatures, a wheel with a prebuilt library). It is separate from `.venv` because
# ACA-Py pins dependencies (pydantic, aiohttp, ...) that clash with govchain's.
# Uses the same Python 3.13 interpreter as `.venv`. Re-running is cheap: pip runs again
# only when the pinned requirement below changes.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'bootstrap-agents: %s\n' "$*" >&2; }

ACAPY_REQUIREMENT="acapy-agent[bbs]==1.7.*"
VENV=.venv-agents

is_new_enough() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' 2>/dev/null
}

# The interpreter behind .venv (created by scripts/bootstrap.sh); GOVCHAIN_PYTHON wins.
find_python() {
    local candidate
    if [[ -n "${GOVCHAIN_PYTHON:-}" ]]; then
        candidate="$GOVCHAIN_PYTHON"
    elif [[ -f .venv/pyvenv.cfg ]]; then
        candidate="$(sed -n 's/^executable *= *//p' .venv/pyvenv.cfg)"
        [[ -x "$candidate" ]] || candidate="$(sed -n 's/^home *= *//p' .venv/pyvenv.cfg)/python3"
    else
        say "No .venv found; run scripts/bootstrap.sh first (or set GOVCHAIN_PYTHON)."
        return 1
    fi
    if [[ -x "$candidate" ]] && is_new_enough "$candidate"; then
        echo "$candidate"
        return 0
    fi
    say "$candidate is not Python 3.13 or newer; set GOVCHAIN_PYTHON=/path/to/python3.13."
    return 1
}

stamp_ok() { [[ -f "$1" ]] && [[ "$(cat "$1")" == "$2" ]]; }

if [[ ! -x "$VENV/bin/python" ]] || ! is_new_enough "$VENV/bin/python"; then
    python="$(find_python)"
    say "creating $VENV with $python ($("$python" --version))"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
fi

inputs="$(printf '%s\n' "$ACAPY_REQUIREMENT" "$(sha256sum "$0" | cut -d' ' -f1)" | sha256sum | cut -d' ' -f1)"
if ! stamp_ok "$VENV/.govchain-installed" "$inputs"; then
    say "installing $ACAPY_REQUIREMENT into $VENV (takes a minute or two)"
    started=$SECONDS
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "$ACAPY_REQUIREMENT"
    "$VENV/bin/aca-py" --version >/dev/null
    # BBS+ loads its native library through ctypes only when used: try it once here
    "$VENV/bin/python" -c 'from ursa_bbs_signatures import BlsKeyPair; BlsKeyPair.generate_g2()'
    echo "$inputs" > "$VENV/.govchain-installed"
    say "installed in $((SECONDS - started)) s; $(du -sh "$VENV" | cut -f1) on disk"
fi
say "ready: $VENV/bin/aca-py $("$VENV/bin/aca-py" --version 2>/dev/null | tail -1)"
