#!/usr/bin/env bash
# Builds the mobile library as the packaging scripts do (`small-release`, kiosk-ffi with its
# default features) and prints its size and the ratio to the 5 MiB budget. A benchmark, not
# a test: it measures and prints; it fails only if the build does.
#
#   scripts/mobile-library-size.sh                               # the default build
#   scripts/mobile-library-size.sh --features http-transport     # with the core's HTTPS client
#
# Several minutes on a 2-core machine from cold.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
budget=$((5 * 1024 * 1024))
cargo build --locked -q --profile small-release -p kiosk-ffi "$@"
case "$(uname -s)" in
  Darwin) library="$target/small-release/libkiosk_ffi.dylib" ;;
  *) library="$target/small-release/libkiosk_ffi.so" ;;
esac
bytes=$(wc -c <"$library")
awk -v bytes="$bytes" -v budget="$budget" -v features="${*:-default features}" 'BEGIN {
  printf "mobile library (cdylib, small-release, %s): %d bytes = %.2f MiB\n", features, bytes, bytes / 1048576
  printf "ratio to the 5 MiB budget: %.3f (%s)\n", bytes / budget, bytes < budget ? "within" : "OVER"
}'
