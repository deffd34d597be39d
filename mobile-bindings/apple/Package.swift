// swift-tools-version: 5.9
// KioskCore: the Kiosk core for iOS and macOS shells. The binary target is the Rust library
// (KioskFFI.xcframework, module kiosk_ffiFFI) and KioskCore is the uniffi-generated Swift over
// it; ./build-xcframework.sh builds the one and copies the other in (neither is committed).
// Not built on the development machine, which has no Swift toolchain; see ../README.md.
import PackageDescription

let package = Package(
    name: "KioskCore",
    platforms: [
        .iOS(.v15),
        .macOS(.v12),
    ],
    products: [
        .library(name: "KioskCore", targets: ["KioskCore"]),
    ],
    targets: [
        .binaryTarget(
            name: "kiosk_ffiFFI",
            path: "KioskFFI.xcframework"
        ),
        .target(
            name: "KioskCore",
            dependencies: ["kiosk_ffiFFI"],
            path: "Sources/KioskCore"
        ),
        .testTarget(
            name: "KioskCoreTests",
            dependencies: ["KioskCore"],
            path: "Tests/KioskCoreTests"
        ),
    ]
)
