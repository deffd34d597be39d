#!/usr/bin/env bash
# Builds the Kiosk core for Android and lays it into this Gradle library module:
#   - libkiosk_ffi.so for arm64-v8a, armeabi-v7a and x86_64 (cargo-ndk, profile small-release)
#     into src/main/jniLibs/<abi>/
#   - the generated Kotlin bindings from mobile-bindings/generated/kotlin into src/main/java/
# Both are build outputs (see .gitignore): the committed source of the bindings stays in
# mobile-bindings/generated/, which a test keeps identical to what the library generates.
#
# Needs: cargo-ndk (cargo install cargo-ndk --locked), an Android NDK (r28 or newer, which
# aligns libraries for 16 KB pages) named by ANDROID_NDK_HOME, and the Rust targets
# aarch64-linux-android, armv7-linux-androideabi and x86_64-linux-android.
# Then: (cd mobile-bindings/android && gradle assembleRelease)  ->  build/outputs/aar/
#
# The library leaves out the core's HTTPS client by default: shells sync through their own
# RelayTransport (OkHttp). KIOSK_FFI_FEATURES="--features http-transport" puts it in (1.6 MiB).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

missing=()
if ! command -v cargo >/dev/null 2>&1; then
  missing+=("cargo (a Rust toolchain: https://rustup.rs)")
elif ! cargo ndk --version >/dev/null 2>&1; then
  missing+=("cargo-ndk (install it with: cargo install cargo-ndk --locked)")
fi
if [ -z "${ANDROID_NDK_HOME:-}" ]; then
  missing+=("ANDROID_NDK_HOME (set it to an installed Android NDK, e.g. \$ANDROID_HOME/ndk/<version>)")
elif [ ! -d "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" ]; then
  missing+=("an Android NDK at ANDROID_NDK_HOME=$ANDROID_NDK_HOME (no toolchains/llvm/prebuilt there)")
fi
if command -v rustup >/dev/null 2>&1; then
  installed="$(rustup target list --installed)"
  for target in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
    if ! grep -qx "$target" <<<"$installed"; then
      missing+=("the Rust target $target (rustup target add $target)")
    fi
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-android.sh: cannot build the Android library; missing:" >&2
  for item in "${missing[@]}"; do
    echo "  - $item" >&2
  done
  exit 1
fi

cd "$root"
# shellcheck disable=SC2086
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o mobile-bindings/android/src/main/jniLibs build --profile small-release -p kiosk-ffi --locked ${KIOSK_FFI_FEATURES:-}

# The generated Kotlin, copied fresh so a stale copy can never be packaged.
rm -rf "$here/src/main/java/uniffi"
mkdir -p "$here/src/main/java"
cp -R "$root/mobile-bindings/generated/kotlin/uniffi" "$here/src/main/java/"

echo "Android library laid out in $here:"
find "$here/src/main/jniLibs" -name '*.so' | sed "s|$here/|  |"
echo "  src/main/java/uniffi/kiosk_ffi/kiosk_ffi.kt"
echo "next: (cd mobile-bindings/android && gradle assembleRelease)"
