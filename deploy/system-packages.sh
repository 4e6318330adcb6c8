#!/bin/sh
# The Debian packages NAAS needs at run time, installed with apt-get where missing. The one list:
# the Dockerfile runs this script, a plain machine runs it once as root, and the test command runs
# it before the suite. Safe to run again: it installs only what is not installed yet.
#
# Usage: sh deploy/system-packages.sh [--check] [--clean]
#   --check  install nothing; list what is missing and exit 1 if anything is
#   --clean  afterwards remove apt's package lists (container images keep no cache)
#
# Why each package (docs/deployment.md, "System packages"):
#   libpango-1.0-0, libpangoft2-1.0-0  WeasyPrint lays out and renders certificates with Pango
#   libharfbuzz-subset0                 HarfBuzz's font subsetter: without it WeasyPrint subsets
#                                       fonts with fontTools and a certificate takes about a
#                                       second to render instead of a tenth (docs/performance.md)
#   fonts-dejavu-core                   a default font for fontconfig; the certificate's own fonts
#                                       ship inside the package (naas/certificates/assets/fonts)
set -eu

PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"

check_only=0
clean=0
for argument in "$@"; do
  case "$argument" in
    --check) check_only=1 ;;
    --clean) clean=1 ;;
    *) echo "Error: unknown option $argument (use --check or --clean)" >&2; exit 2 ;;
  esac
done

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=""
for package in $PACKAGES; do
  installed "$package" || missing="$missing $package"
done
missing="${missing# }"

if [ -z "$missing" ]; then
  echo "System packages: all present ($PACKAGES)"
  exit 0
fi
if [ "$check_only" = 1 ]; then
  echo "System packages missing: $missing" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "Error: not root, so cannot install: $missing (run this script as root)" >&2
  exit 1
fi

echo "Installing system packages: $missing"
apt-get update -qq
# $missing is a list of words on purpose: one argument per package.
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
if [ "$clean" = 1 ]; then
  rm -rf /var/lib/apt/lists/*
fi
echo "System packages: installed $missing"
