//! The one place that chooses an OS backend. Everything it exports is described by the contract
//! in [`crate::backend`]; each backend lives in `backends/<os>/` and provides `System` (the
//! [`Backend`](crate::backend::Backend) implementation) and `SysStack` (its stack handle).

cfg_if::cfg_if! {
    if #[cfg(target_os = "linux")] {
        #[path = "../backends/linux/mod.rs"]
        mod imp;
    } else if #[cfg(target_os = "freebsd")] {
        #[path = "../backends/freebsd/mod.rs"]
        mod imp;
    } else {
        compile_error!("ifclone supports Linux and FreeBSD");
    }
}

pub use imp::{state_dir, SysStack, System};
