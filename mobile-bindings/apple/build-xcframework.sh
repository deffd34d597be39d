#!/usr/bin/env bash
# Builds the Kiosk core for Apple platforms and lays out this Swift package:
#   - KioskFFI.xcframework: libkiosk_ffi.a (profile small-release) for iOS devices
#     (aarch64-apple-ios), the iOS simulator (aarch64-apple-ios-sim + x86_64-apple-ios, one
#     lipo'd library) and Apple-silicon Macs (aarch64-apple-darwin), each with the generated
#     C header and module map (module kiosk_ffiFFI)
#   - Sources/KioskCore/kiosk_ffi.swift: the generated Swift bindings
# Both are build outputs (see .gitignore): the committed source of the bindings stays in
# mobile-bindings/generated/, which a test keeps identical to what the library generates.
#
# Needs macOS with Xcode (xcodebuild, lipo) and the four Rust targets (rustup target add …).
# Then: swift build / swift test in this folder, or add the package to an Xcode project.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ "$(uname -s)" != "Darwin" ]; then
  echo "build-xcframework.sh: building the XCFramework needs macOS with Xcode; this machine runs $(uname -s)." >&2
  echo "  (The Swift bindings themselves are generated anywhere: mobile-bindings/generated/swift/.)" >&2
  exit 1
fi
if ! command -v xcodebuild >/dev/null 2>&1 || ! xcodebuild -version >/dev/null 2>&1; then
  echo "build-xcframework.sh: xcodebuild is missing or not set up: install Xcode, then run" >&2
  echo "  sudo xcode-select --switch /Applications/Xcode.app/Contents/Developer" >&2
  exit 1
fi
if ! command -v lipo >/dev/null 2>&1; then
  echo "build-xcframework.sh: lipo is missing (it comes with Xcode's command line tools)." >&2
  exit 1
fi
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin)
installed="$(rustup target list --installed)"
missing=()
for target in "${targets[@]}"; do
  grep -qx "$target" <<<"$installed" || missing+=("$target")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-xcframework.sh: missing Rust targets: ${missing[*]}" >&2
  echo "  rustup target add ${missing[*]}" >&2
  exit 1
fi

profile=small-release
target_dir="${CARGO_TARGET_DIR:-$root/target}"
# The same minimum versions as Package.swift, so the objects match what links them.
export IPHONEOS_DEPLOYMENT_TARGET=15.0
export MACOSX_DEPLOYMENT_TARGET=12.0

cd "$root"
for target in "${targets[@]}"; do
  # The library leaves out the core's HTTPS client by default: shells sync through their own
  # RelayTransport (URLSession). KIOSK_FFI_FEATURES="--features http-transport" puts it in.
  # shellcheck disable=SC2086
  cargo build --locked --profile "$profile" -p kiosk-ffi --target "$target" ${KIOSK_FFI_FEATURES:-}
done

work="$root/mobile-bindings/build/apple"
rm -rf "$work"
mkdir -p "$work/ios-simulator" "$work/headers"
lipo -create \
  "$target_dir/aarch64-apple-ios-sim/$profile/libkiosk_ffi.a" \
  "$target_dir/x86_64-apple-ios/$profile/libkiosk_ffi.a" \
  -output "$work/ios-simulator/libkiosk_ffi.a"

# One header folder per library: the C header and the module map, named as clang expects.
cp "$root/mobile-bindings/generated/swift/kiosk_ffiFFI.h" "$work/headers/"
cp "$root/mobile-bindings/generated/swift/kiosk_ffiFFI.modulemap" "$work/headers/module.modulemap"

rm -rf "$here/KioskFFI.xcframework"
xcodebuild -create-xcframework \
  -library "$target_dir/aarch64-apple-ios/$profile/libkiosk_ffi.a" -headers "$work/headers" \
  -library "$work/ios-simulator/libkiosk_ffi.a" -headers "$work/headers" \
  -library "$target_dir/aarch64-apple-darwin/$profile/libkiosk_ffi.a" -headers "$work/headers" \
  -output "$here/KioskFFI.xcframework"

mkdir -p "$here/Sources/KioskCore"
cp "$root/mobile-bindings/generated/swift/kiosk_ffi.swift" "$here/Sources/KioskCore/kiosk_ffi.swift"

echo "built $here/KioskFFI.xcframework and Sources/KioskCore/kiosk_ffi.swift"
echo "next: (cd mobile-bindings/apple && swift test)   # the scenario needs a relay: see ../README.md"
