//! The shared library's soname: `libifclone.so.0` for every 0.y.z release (ffi/install.sh
//! installs the file as `libifclone.so.<version>` with the soname and development links beside
//! it). A change that breaks the C ABI bumps the soname's number.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "freebsd" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libifclone.so.{SONAME_MAJOR}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The ABI number in the soname (`libifclone.so.N`); ffi/install.sh reads it from here.
const SONAME_MAJOR: u32 = 0;
