//! Runs uniffi's binding generator at exactly the uniffi version the workspace builds with,
//! so generated Kotlin, Swift and Python always match the scaffolding in `kiosk-ffi`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
