#!/usr/bin/env bash
# Builds the kiosk-ffi library and generates its Kotlin, Swift and Python bindings with the
# workspace's pinned uniffi-bindgen. The generated code is committed in
# mobile-bindings/generated/; a test (tests/tests/foreign_bindings.rs) regenerates it into a
# temporary folder and fails if the committed copy differs, so it cannot go stale silently.
#
#   mobile-bindings/scripts/generate.sh              # refresh mobile-bindings/generated/
#   mobile-bindings/scripts/generate.sh --out DIR    # generate into DIR instead
#   mobile-bindings/scripts/generate.sh --library F  # from an already built library F
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/mobile-bindings/generated"
library=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --library) library="$2"; shift 2 ;;
    *) echo "unknown argument: $1 (use --out DIR or --library FILE)" >&2; exit 2 ;;
  esac
done
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --locked -q -p uniffi-bindgen
if [ -z "$library" ]; then
  cargo build --locked -q -p kiosk-ffi
  case "$(uname -s)" in
    Darwin) library="$target/debug/libkiosk_ffi.dylib" ;;
    *) library="$target/debug/libkiosk_ffi.so" ;;
  esac
fi
for language in kotlin swift python; do
  rm -rf "${out:?}/$language"
  mkdir -p "$out/$language"
  # Library mode reads the exported interface from the built library itself.
  "$target/debug/uniffi-bindgen" generate --no-format -l "$language" -o "$out/$language" \
    "$library" >/dev/null
done
echo "bindings generated in $out"
