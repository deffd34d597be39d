// se.kiosk.core: the uniffi-generated Kotlin (package uniffi.kiosk_ffi) and the Rust core
// (src/main/jniLibs/<abi>/libkiosk_ffi.so), both laid in by ./build-android.sh.
// Not run on the development machine (no Android SDK there); see ../README.md.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    // AGP 8.x with the Kotlin Android plugin (AGP 9 builds Kotlin in and refuses this plugin).
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

android {
    namespace = "se.kiosk.core"
    compileSdk = 35

    defaultConfig {
        minSdk = 26
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The generated bindings load libkiosk_ffi.so through JNA; the AAR form carries JNA's
    // libjnidispatch.so for the Android ABIs. `api`: public generated classes extend JNA types.
    api("net.java.dev.jna:jna:5.14.0@aar")
    // The suspend funs (enroll, sync, unlockStaff, …) resume through kotlinx-coroutines.
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
}
