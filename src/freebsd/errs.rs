//! Pure error construction: every kernel refusal becomes `Error::from_errno` with the
//! operation, the object, the stack and (for jails) the kernel's own errmsg text.

use crate::error::{Context, Error};

/// An errno from an ioctl or jail call, classified.
pub fn kerr(op: &'static str, object: &str, stack: &str, errno: i32) -> Error {
    Error::from_errno(errno, Context::new(op, object).stack(stack))
}

/// Like [`kerr`], with the kernel's or ifclone's explanation.
pub fn kerr_detail(
    op: &'static str,
    object: &str,
    stack: &str,
    errno: i32,
    detail: Option<String>,
) -> Error {
    let mut c = Context::new(op, object).stack(stack);
    if let Some(d) = detail {
        c = c.detail(d);
    }
    Error::from_errno(errno, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_complete() {
        let e = kerr_detail(
            "create stack",
            "web",
            "host",
            libc::EEXIST,
            Some("jail 3 already exists".into()),
        );
        assert!(e.is_exists());
        let c = e.context();
        assert_eq!(c.op, "create stack");
        assert_eq!(c.object, "web");
        assert_eq!(c.stack.as_deref(), Some("host"));
        assert_eq!(c.errno, Some(libc::EEXIST));
        let s = e.to_string();
        assert!(
            s.contains("EEXIST") && s.contains("jail 3 already exists"),
            "{s}"
        );
        assert!(kerr("destroy", "vlan0", "j1", libc::ENXIO).is_not_found());
    }
}
