#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet, in one apt
# command (as root), and says which; nothing when all are there.
#
#   bash ci/apt-need.sh PACKAGE...
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "ci/apt-need.sh: installing ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
  --no-install-recommends "${missing[@]}"
