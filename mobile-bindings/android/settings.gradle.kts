// The Kiosk core as an Android library module (AAR): the generated Kotlin bindings plus
// libkiosk_ffi.so for each ABI. Run ./build-android.sh first; it builds the native library
// and copies the generated Kotlin in (neither is committed here). Not run on the
// development machine, which has no Android SDK or NDK.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "kiosk-core"
