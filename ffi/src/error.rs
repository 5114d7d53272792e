//! Status codes and the thread's last error.

use std::ffi::{c_char, c_int, CString};

use ifclone::Error;

use crate::boundary::{cstring, ptr, Out, OutBuf, LAST};

/// What a call returned. `IFCLONE_RESULT_OK` is 0; every other value is a failure, and the
/// thread's last error (`ifclone_last_error_*`) says what failed and why. The classes from
/// `NOT_FOUND` on are those of the Rust library's `Error`; the ones before it are the C
/// boundary's own. New classes may be added: treat an unknown value as a failure.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ifclone_result {
    Ok = 0,
    /// A pointer argument that must not be NULL was NULL.
    NullArgument = 1,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 2,
    /// A handle argument is not a live handle of its type: freed already, borrowed where an
    /// owned one is needed, or never made by ifclone.
    InvalidHandle = 3,
    /// A caller's buffer is too small; nothing was written (the call's documentation says how to
    /// learn the size).
    BufferTooSmall = 4,
    /// A bug inside ifclone: the panic was caught at the boundary, the call did not finish.
    Panic = 5,
    /// No such interface, stack or kind.
    NotFound = 10,
    /// It exists already (a name, an address).
    Exists = 11,
    /// A name the kernel cannot take (length, characters).
    InvalidName = 12,
    /// An argument out of range or not making sense (refused before anything changed).
    InvalidArgument = 13,
    /// This OS or kernel cannot do it.
    Unsupported = 14,
    /// Not allowed (not root, no CAP_NET_ADMIN).
    PermissionDenied = 15,
    /// The kernel or another process holds it.
    Busy = 16,
    /// The kernel refused for another reason (see the errno).
    Kernel = 17,
    /// ifclone's state on disk (ledger, intents) is damaged; nothing was changed.
    Corrupt = 18,
    /// Removing a stack: some loans could not go home, so the stack was kept.
    NotReturned = 19,
    /// A failure of a class newer than this library's C API knows.
    Other = 99,
}

/// The last error of a thread.
#[derive(Clone, Debug)]
pub(crate) struct LastError {
    pub(crate) class: ifclone_result,
    /// The whole sentence (the Rust error's Display).
    pub(crate) message: String,
    pub(crate) c_message: CString,
    pub(crate) op: Option<CString>,
    pub(crate) object: Option<CString>,
    pub(crate) stack: Option<CString>,
    pub(crate) errno: i32,
    /// The kernel's own message or ifclone's explanation (the context's detail).
    pub(crate) detail: Option<CString>,
}

impl LastError {
    /// A failure of the boundary itself (no operation, object or kernel).
    pub(crate) fn simple(class: ifclone_result, message: String) -> LastError {
        LastError {
            class,
            c_message: cstring(&message),
            message,
            op: None,
            object: None,
            stack: None,
            errno: 0,
            detail: None,
        }
    }
}

impl From<Error> for LastError {
    fn from(e: Error) -> LastError {
        let class = match &e {
            Error::NotFound(_) => ifclone_result::NotFound,
            Error::Exists(_) => ifclone_result::Exists,
            Error::InvalidName(_) => ifclone_result::InvalidName,
            Error::InvalidArgument(_) => ifclone_result::InvalidArgument,
            Error::Unsupported(_) => ifclone_result::Unsupported,
            Error::PermissionDenied(_) => ifclone_result::PermissionDenied,
            Error::Busy(_) => ifclone_result::Busy,
            Error::Kernel(_) => ifclone_result::Kernel,
            Error::Corrupt(_) => ifclone_result::Corrupt,
            Error::NotReturned(_) => ifclone_result::NotReturned,
            _ => ifclone_result::Other,
        };
        let c = e.context();
        let message = e.to_string();
        LastError {
            class,
            c_message: cstring(&message),
            message,
            op: (!c.op.is_empty()).then(|| cstring(c.op)),
            object: (!c.object.is_empty()).then(|| cstring(&c.object)),
            stack: c.stack.as_deref().map(cstring),
            errno: c.errno.unwrap_or(0),
            detail: c.detail.as_deref().map(cstring),
        }
    }
}

fn with_last<T>(none: T, f: impl FnOnce(&LastError) -> T) -> T {
    LAST.with(|l| l.borrow().as_ref().map_or(none, f))
}

/// The class of this thread's last failure; `IFCLONE_RESULT_OK` when no call of this thread
/// failed yet. Like errno, it is kept until the next failure: a successful call leaves it.
/// None of the `ifclone_last_error_*` calls changes it.
#[no_mangle]
pub extern "C" fn ifclone_last_error_class() -> ifclone_result {
    with_last(ifclone_result::Ok, |e| e.class)
}

/// The last failure's whole message (what failed, on what, in which stack, and why: the
/// kernel's errno name and text, its own message). "" when there was none. The pointer stays
/// valid until this thread's next failing ifclone call; do not free it.
#[no_mangle]
pub extern "C" fn ifclone_last_error_message() -> *const c_char {
    with_last(c"".as_ptr(), |e| e.c_message.as_ptr())
}

/// The operation that failed (`create`, `move`, `remove stack`, …), or NULL (a failure of the
/// C boundary itself, or none). Valid as `ifclone_last_error_message`'s.
#[no_mangle]
pub extern "C" fn ifclone_last_error_op() -> *const c_char {
    with_last(std::ptr::null(), |e| ptr(&e.op))
}

/// The interface, stack or kind the failed operation was about, or NULL.
#[no_mangle]
pub extern "C" fn ifclone_last_error_object() -> *const c_char {
    with_last(std::ptr::null(), |e| ptr(&e.object))
}

/// The stack the failure happened in, or NULL.
#[no_mangle]
pub extern "C" fn ifclone_last_error_stack() -> *const c_char {
    with_last(std::ptr::null(), |e| ptr(&e.stack))
}

/// The kernel's own message (Linux netlink extended ack, FreeBSD jail errmsg) or ifclone's
/// explanation, or NULL.
#[no_mangle]
pub extern "C" fn ifclone_last_error_kernel_message() -> *const c_char {
    with_last(std::ptr::null(), |e| ptr(&e.detail))
}

/// The kernel's errno when the kernel refused, else 0.
#[no_mangle]
pub extern "C" fn ifclone_last_error_errno() -> c_int {
    with_last(0, |e| e.errno)
}

/// Copies the last failure's message into `buf` (`len` bytes, NUL included) and its length
/// without the NUL into `*out_n`. `IFCLONE_RESULT_BUFFER_TOO_SMALL` when it does not fit
/// (nothing written; `strlen(ifclone_last_error_message())` is the length). Either way the last
/// error stays what it was.
#[no_mangle]
pub extern "C" fn ifclone_last_error(
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> ifclone_result {
    let saved = LAST.with(|l| l.borrow().clone());
    let msg = saved
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    let r = crate::boundary::call(|| {
        let out_n = Out::new(out_n, "out_n")?;
        let out = OutBuf::new(buf as *mut u8, len, "buf")?;
        if msg.len() >= out.cap() {
            return Err(LastError::simple(
                ifclone_result::BufferTooSmall,
                String::new(),
            ));
        }
        let mut bytes = msg.clone().into_bytes();
        bytes.push(0);
        out.write(&bytes);
        out_n.write(msg.len());
        Ok(())
    });
    LAST.with(|l| *l.borrow_mut() = saved);
    r
}

/// The name of a result code (`"IFCLONE_RESULT_NOT_FOUND"`), or `"IFCLONE_RESULT_UNKNOWN"`. The
/// string is static.
#[no_mangle]
pub extern "C" fn ifclone_result_name(code: c_int) -> *const c_char {
    let s: &'static std::ffi::CStr = match code {
        0 => c"IFCLONE_RESULT_OK",
        1 => c"IFCLONE_RESULT_NULL_ARGUMENT",
        2 => c"IFCLONE_RESULT_INVALID_UTF8",
        3 => c"IFCLONE_RESULT_INVALID_HANDLE",
        4 => c"IFCLONE_RESULT_BUFFER_TOO_SMALL",
        5 => c"IFCLONE_RESULT_PANIC",
        10 => c"IFCLONE_RESULT_NOT_FOUND",
        11 => c"IFCLONE_RESULT_EXISTS",
        12 => c"IFCLONE_RESULT_INVALID_NAME",
        13 => c"IFCLONE_RESULT_INVALID_ARGUMENT",
        14 => c"IFCLONE_RESULT_UNSUPPORTED",
        15 => c"IFCLONE_RESULT_PERMISSION_DENIED",
        16 => c"IFCLONE_RESULT_BUSY",
        17 => c"IFCLONE_RESULT_KERNEL",
        18 => c"IFCLONE_RESULT_CORRUPT",
        19 => c"IFCLONE_RESULT_NOT_RETURNED",
        99 => c"IFCLONE_RESULT_OTHER",
        _ => c"IFCLONE_RESULT_UNKNOWN",
    };
    s.as_ptr()
}

/// The library's version (`"0.1.0"`). Static.
#[no_mangle]
pub extern "C" fn ifclone_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}
