# Sourced by .ci/demo and .ci/test: check for Python 3.11+, install missing Debian packages as
# root, and make the virtual environment both use, .venv at the top of the checkout (a stock
# Debian or Ubuntu Python refuses `pip install` outside one). NAAS_VENV puts it elsewhere.
# After `ensure_venv`, $VENV is its path and $VENV/bin/python its interpreter.

VENV=${NAAS_VENV:-.venv}

require_python() {
  if ! command -v python3 >/dev/null 2>&1; then
    echo "Error: NAAS needs Python 3.11 or later, and there is no python3 here" >&2
    exit 1
  fi
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Error: NAAS needs Python 3.11 or later; python3 here is $(python3 --version 2>&1)" >&2
    exit 1
  fi
}

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: $*"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "Cannot install $* here (that needs root and apt-get): install them with your package manager." >&2
    return 1
  fi
}

ensure_venv() {
  require_python
  if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv || { echo "Error: python3 cannot make a virtual environment (python3-venv)" >&2; exit 1; }
      python3 -m venv "$VENV"
    fi
  fi
  # A venv made by an older python3 that has since been replaced.
  if ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Error: $VENV holds $("$VENV/bin/python" --version 2>&1); remove it to make it anew with $(python3 --version 2>&1)" >&2
    exit 1
  fi
}
