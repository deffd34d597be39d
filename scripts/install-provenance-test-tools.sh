#!/usr/bin/env bash
# Installs what the provenance bundle's test checks bundles with, if it is missing: OpenSSL
# 3 (Debian's openssl, for `openssl pkeyutl -rawin`) and Python 3's `cryptography` package
# (Debian's python3-cryptography). The test runs only the commands docs/provenance.md gives.
set -euo pipefail

# shellcheck source=apt-install.sh
. "$(dirname "$0")/apt-install.sh"

if ! openssl version 2>/dev/null | grep -q '^OpenSSL 3'; then
  echo "installing OpenSSL 3 (Debian's openssl)"
  apt_install openssl
fi
command -v python3 >/dev/null || apt_install python3
if ! python3 -c 'import cryptography' 2>/dev/null; then
  echo "installing Python's cryptography package (Debian's python3-cryptography)"
  apt_install python3-cryptography
fi
