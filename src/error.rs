//! One error type for every backend.
//!
//! Each error says what was attempted (`op`), on what (`object`), in which stack, and what the
//! kernel said: the errno name and, on Linux, the netlink extended-ack text.

use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What failed and where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The operation: `create`, `destroy`, `set mtu`, `move`, …
    pub op: &'static str,
    /// The interface, stack or kind the operation was about.
    pub object: String,
    /// The stack it happened in, when one is involved.
    pub stack: Option<String>,
    /// The kernel's errno, when the kernel refused.
    pub errno: Option<i32>,
    /// The kernel's own message (netlink extended ack, jail errmsg) or ifclone's explanation.
    pub detail: Option<String>,
}

impl Context {
    pub fn new(op: &'static str, object: impl Into<String>) -> Context {
        Context {
            op,
            object: object.into(),
            ..Context::default()
        }
    }

    pub fn stack(mut self, stack: impl Into<String>) -> Context {
        self.stack = Some(stack.into());
        self
    }

    pub fn errno(mut self, errno: i32) -> Context {
        self.errno = Some(errno);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Context {
        self.detail = Some(detail.into());
        self
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op, self.object)?;
        if let Some(s) = &self.stack {
            write!(f, " in stack {s}")?;
        }
        if let Some(e) = self.errno {
            match errno_name(e) {
                "E?" => write!(f, ": errno {e} ({})", strerror(e))?,
                name => write!(f, ": {name} ({})", strerror(e))?,
            }
        }
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

/// The single error enum. The variant is the class; the context says the rest.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    #[error("not found: {0}")]
    NotFound(Box<Context>),
    #[error("already exists: {0}")]
    Exists(Box<Context>),
    #[error("invalid name: {0}")]
    InvalidName(Box<Context>),
    #[error("invalid argument: {0}")]
    InvalidArgument(Box<Context>),
    #[error("unsupported: {0}")]
    Unsupported(Box<Context>),
    #[error("permission denied: {0}")]
    PermissionDenied(Box<Context>),
    #[error("busy: {0}")]
    Busy(Box<Context>),
    #[error("kernel error: {0}")]
    Kernel(Box<Context>),
    /// State ifclone keeps on disk (the ledger of loans, the intents of moves) is damaged or
    /// unreadable. The object is the file; nothing was changed.
    #[error("damaged state: {0}")]
    Corrupt(Box<Context>),
    /// Removing a stack: some loans could not go home, so the stack was left in place (with
    /// those loans in it) and nothing was destroyed.
    #[error("{0}")]
    NotReturned(Box<NotReturned>),
}

/// What [`Error::NotReturned`] reports: each loan that could not go home, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotReturned {
    pub ctx: Context,
    /// Loans that did go home before the failure: (interface, home stack).
    pub returned: Vec<(String, String)>,
    /// Loans still in the stack: (interface, why it could not go home).
    pub stranded: Vec<(String, String)>,
}

impl fmt::Display for NotReturned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} loan(s) could not go home, so the stack was kept",
            self.ctx,
            self.stranded.len()
        )?;
        for (n, why) in &self.stranded {
            write!(f, "\n  {n}: {why}")?;
        }
        Ok(())
    }
}

impl Error {
    /// Classifies a kernel errno into a variant.
    pub fn from_errno(errno: i32, ctx: Context) -> Error {
        let ctx = Box::new(ctx.errno(errno));
        match errno {
            libc::ENOENT | libc::ENODEV | libc::ENXIO | libc::ESRCH => Error::NotFound(ctx),
            libc::EEXIST | libc::EADDRINUSE => Error::Exists(ctx),
            libc::EINVAL
            | libc::ERANGE
            | libc::E2BIG
            | libc::ENAMETOOLONG
            | libc::EDOM
            | libc::EOVERFLOW
            | libc::EMSGSIZE
            | libc::EPROTONOSUPPORT => Error::InvalidArgument(ctx),
            libc::EOPNOTSUPP
            | libc::ENOSYS
            | libc::EAFNOSUPPORT
            | libc::ENOPROTOOPT
            | libc::EPFNOSUPPORT => Error::Unsupported(ctx),
            libc::EPERM | libc::EACCES => Error::PermissionDenied(ctx),
            libc::EBUSY => Error::Busy(ctx),
            _ => Error::Kernel(ctx),
        }
    }

    /// `Unsupported` for a kind this OS cannot create.
    pub fn unsupported(
        op: &'static str,
        object: impl Into<String>,
        detail: impl Into<String>,
    ) -> Error {
        Error::Unsupported(Box::new(Context::new(op, object).detail(detail)))
    }

    pub fn not_found(op: &'static str, object: impl Into<String>) -> Error {
        Error::NotFound(Box::new(Context::new(op, object)))
    }

    pub fn invalid(
        op: &'static str,
        object: impl Into<String>,
        detail: impl Into<String>,
    ) -> Error {
        Error::InvalidArgument(Box::new(Context::new(op, object).detail(detail)))
    }

    pub fn context(&self) -> &Context {
        match self {
            Error::NotFound(c)
            | Error::Exists(c)
            | Error::InvalidName(c)
            | Error::InvalidArgument(c)
            | Error::Unsupported(c)
            | Error::PermissionDenied(c)
            | Error::Busy(c)
            | Error::Kernel(c)
            | Error::Corrupt(c) => c,
            Error::NotReturned(n) => &n.ctx,
        }
    }

    fn context_mut(&mut self) -> &mut Context {
        match self {
            Error::NotFound(c)
            | Error::Exists(c)
            | Error::InvalidName(c)
            | Error::InvalidArgument(c)
            | Error::Unsupported(c)
            | Error::PermissionDenied(c)
            | Error::Busy(c)
            | Error::Kernel(c)
            | Error::Corrupt(c) => c,
            Error::NotReturned(n) => &mut n.ctx,
        }
    }

    /// The kernel's errno, if the kernel refused.
    pub fn errno(&self) -> Option<i32> {
        self.context().errno
    }

    /// Sets the stack if none is set yet.
    pub fn in_stack(mut self, stack: &str) -> Error {
        let c = self.context_mut();
        if c.stack.is_none() {
            c.stack = Some(stack.to_string());
        }
        self
    }

    /// Replaces operation and object (used when a lower-level call fails inside a larger one).
    pub fn during(mut self, op: &'static str, object: &str) -> Error {
        let c = self.context_mut();
        if c.op.is_empty() {
            c.op = op;
            c.object = object.to_string();
        }
        self
    }

    /// Adds a detail sentence after what is already there.
    pub fn with_detail(mut self, d: impl fmt::Display) -> Error {
        let c = self.context_mut();
        c.detail = Some(match c.detail.take() {
            Some(old) => format!("{old}; {d}"),
            None => d.to_string(),
        });
        self
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }
    pub fn is_exists(&self) -> bool {
        matches!(self, Error::Exists(_))
    }
}

/// The OS's own text for an errno (`No such device`), as strerror(3) gives it, without the
/// `(os error N)` suffix the standard library adds.
pub fn strerror(e: i32) -> String {
    let s = std::io::Error::from_raw_os_error(e).to_string();
    match s.rsplit_once(" (os error ") {
        Some((text, _)) => text.to_string(),
        None => s,
    }
}

/// The symbolic name of an errno (`EEXIST`), as the kernel documentation spells it.
pub fn errno_name(e: i32) -> &'static str {
    macro_rules! names {
        ($($n:ident),*) => {
            $(if e == libc::$n { return stringify!($n); })*
        };
    }
    names!(
        EPERM,
        ENOENT,
        ESRCH,
        EINTR,
        EIO,
        ENXIO,
        E2BIG,
        EBADF,
        ECHILD,
        EAGAIN,
        ENOMEM,
        EACCES,
        EFAULT,
        EBUSY,
        EEXIST,
        EXDEV,
        ENODEV,
        ENOTDIR,
        EISDIR,
        EINVAL,
        ENFILE,
        EMFILE,
        ENOTTY,
        ENOSPC,
        ERANGE,
        ENAMETOOLONG,
        ENOSYS,
        ENOTEMPTY,
        ENOMSG,
        EPROTONOSUPPORT,
        EOPNOTSUPP,
        EAFNOSUPPORT,
        EADDRINUSE,
        EADDRNOTAVAIL,
        ENETDOWN,
        ENOBUFS,
        ETIMEDOUT,
        ENOTSUP,
        ENOPROTOOPT,
        EPFNOSUPPORT,
        EINPROGRESS,
        EMSGSIZE,
        EDOM,
        EOVERFLOW,
        ENOTSOCK,
        ENOTCONN,
        ECONNREFUSED,
        ENETUNREACH,
        EPIPE,
        ELOOP,
        EROFS,
        ESPIPE,
        ENOEXEC,
        EDEADLK,
        ENOLCK,
        ENOTBLK,
        ETXTBSY,
        EFBIG,
        EMLINK,
        EALREADY,
        EDESTADDRREQ,
        EPROTOTYPE,
        ENETRESET,
        ECONNABORTED,
        ECONNRESET,
        EISCONN,
        ESHUTDOWN,
        EHOSTUNREACH,
        EHOSTDOWN,
        ESTALE,
        EDQUOT,
        ECANCELED
    );
    #[cfg(target_os = "linux")]
    names!(ENODATA);
    "E?"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_has_everything() {
        let e = Error::from_errno(
            libc::EEXIST,
            Context::new("create", "vlan5")
                .stack("s1")
                .detail("File exists"),
        );
        assert!(e.is_exists());
        let s = e.to_string();
        assert!(s.contains("create vlan5 in stack s1"), "{s}");
        assert!(s.contains("EEXIST"), "{s}");
    }

    #[test]
    fn errno_is_named_with_the_os_text() {
        let e = Error::from_errno(libc::ENODEV, Context::new("destroy", "x0").stack("s1"));
        let s = e.to_string();
        assert!(
            s.contains(&format!("ENODEV ({})", strerror(libc::ENODEV))),
            "{s}"
        );
        #[cfg(target_os = "linux")]
        assert!(s.contains("ENODEV (No such device)"), "{s}");
        assert!(!s.contains("uncategorized"), "{s}");
        assert!(!s.contains("os error"), "{s}");
        let e = Error::from_errno(libc::EOPNOTSUPP, Context::new("create", "vlan0"));
        assert!(
            e.to_string()
                .contains("EOPNOTSUPP (Operation not supported)"),
            "{e}"
        );
        // An errno without a symbolic name in the table still says what the OS calls it.
        let e = Error::from_errno(4000, Context::new("x", "y"));
        assert!(e.to_string().contains("errno 4000 ("), "{e}");
        #[cfg(target_os = "linux")]
        assert_eq!(strerror(libc::ERANGE), "Numerical result out of range");
    }

    #[test]
    fn errno_classes() {
        let variant = |e: &Error| format!("{e:?}").split('(').next().unwrap().to_string();
        for (errno, want) in [
            (libc::ENODEV, "NotFound"),
            (libc::EBUSY, "Busy"),
            (libc::EPERM, "PermissionDenied"),
            (libc::EOPNOTSUPP, "Unsupported"),
            (libc::EIO, "Kernel"),
            (libc::ERANGE, "InvalidArgument"),
            (libc::EINVAL, "InvalidArgument"),
            (libc::ENOENT, "NotFound"),
            (libc::EEXIST, "Exists"),
            (libc::ENOPROTOOPT, "Unsupported"),
        ] {
            let e = Error::from_errno(errno, Context::new("x", "y"));
            assert_eq!(variant(&e), want, "{}", errno_name(errno));
        }
    }
}
