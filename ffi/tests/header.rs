//! `include/ifclone.h` is what cbindgen makes of the sources now: CI fails when someone changed
//! the API without regenerating it. `IFCLONE_BLESS=1 cargo test -p ifclone-ffi --test header`
//! rewrites it (review the diff: it is the C API).

use std::path::Path;

#[test]
fn the_committed_header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut now = Vec::new();
    cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen parses ffi/src")
        .write(&mut now);
    let path = dir.join("include/ifclone.h");
    if std::env::var_os("IFCLONE_BLESS").is_some() {
        std::fs::write(&path, &now).expect("write ifclone.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == now,
        "ffi/include/ifclone.h is not what cbindgen makes of ffi/src now: run \
         IFCLONE_BLESS=1 cargo test -p ifclone-ffi --test header and commit the header"
    );
}
