# Shared by scripts/start and scripts/test (sourced, not run): make .venv with a
# Python 3.11+ and install Coffer into it, skipping the install when pyproject.toml
# and the requested extras are unchanged since the last successful one.

VENV_DIR="${COFFER_VENV:-.venv}"

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    # $1: the extras to install ("" or "dev"). An install with extras also satisfies a
    # later request for none, so start and test do not undo each other's install.
    local extras="$1" spec="." stamp="$VENV_DIR/.coffer-install-stamp" hash python
    [ -n "$extras" ] && spec=".[$extras]"
    if [ ! -x "$VENV_DIR/bin/python" ]; then
        if ! python="$(find_python)"; then
            echo "Coffer needs Python 3.11 or newer; none was found on PATH." >&2
            echo "Install it (Debian/Ubuntu: apt install python3 python3-venv) or set PYTHON=/path/to/python3.11." >&2
            exit 1
        fi
        echo "Creating $VENV_DIR with $("$python" --version 2>&1)..."
        if ! "$python" -m venv "$VENV_DIR"; then
            echo "Could not create a virtual environment (Debian/Ubuntu: apt install python3-venv)." >&2
            exit 1
        fi
    fi
    hash="$(sha256sum < pyproject.toml | cut -d' ' -f1)"
    if [ -f "$stamp" ]; then
        local done_hash done_extras
        read -r done_hash done_extras < "$stamp" || true
        if [ "$done_hash" = "$hash" ] && { [ -z "$extras" ] || [ "$done_extras" = "$extras" ]; }; then
            return 0
        fi
    fi
    echo "Installing Coffer ($spec) into $VENV_DIR; this takes a minute the first time..."
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --editable "$spec"
    echo "$hash ${extras:--}" > "$stamp"
}
