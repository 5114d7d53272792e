//! The boundary between C and Rust: the only module that touches raw pointers. Every exported
//! function runs its body through [`call`], which catches panics and turns every failure into an
//! [`ifclone_result`] plus the thread's last error; arguments come in through the checked
//! accessors here ([`text`], [`handle`], [`Out`], …), which refuse NULL, invalid UTF-8 and
//! pointers that are not live handles of the expected type — before anything changes.
//!
//! Handles are boxes registered in [`LIVE`] by address and type while they live, so a freed
//! handle (or a handle of another type, or a pointer ifclone never made) is refused with
//! `IFCLONE_RESULT_INVALID_HANDLE` instead of being read — unless the allocator has meanwhile
//! given the address to a new handle of the same type, which is then what the call uses.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use crate::error::{ifclone_result, LastError};

/// A failure on its way to C: the class and what the last error will say.
pub(crate) type Fail = LastError;

pub(crate) type Res<T = ()> = Result<T, Fail>;

thread_local! {
    /// The last failure of this thread (see `ifclone_last_error_*`).
    pub(crate) static LAST: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// Runs one exported function's body: `OK`, or the failure's class with the last error set; a
/// panic is caught and is `IFCLONE_RESULT_PANIC`.
pub(crate) fn call(f: impl FnOnce() -> Res) -> ifclone_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => ifclone_result::Ok,
        Ok(Err(e)) => fail(e),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into());
            fail(LastError::simple(
                ifclone_result::Panic,
                format!("panic inside ifclone (a bug; the call did not finish): {msg}"),
            ))
        }
    }
}

/// [`call`] for a function that returns a value instead of a status: `none` on failure.
pub(crate) fn value<T>(none: T, f: impl FnOnce() -> Res<T>) -> T {
    let mut v = None;
    call(|| {
        v = Some(f()?);
        Ok(())
    });
    v.unwrap_or(none)
}

fn fail(e: LastError) -> ifclone_result {
    let class = e.class;
    LAST.with(|l| *l.borrow_mut() = Some(e));
    class
}

/// A C string argument: not NULL, NUL-terminated, UTF-8.
pub(crate) fn text<'a>(p: *const c_char, arg: &str) -> Res<&'a str> {
    if p.is_null() {
        return Err(null(arg));
    }
    // SAFETY: the C API's contract (ifclone.h): a non-NULL string argument points to a
    // NUL-terminated string that stays valid and unchanged for the duration of the call.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        LastError::simple(
            ifclone_result::InvalidUtf8,
            format!(
                "argument {arg} is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// An optional C string argument: NULL is `None`.
pub(crate) fn opt_text<'a>(p: *const c_char, arg: &str) -> Res<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        text(p, arg).map(Some)
    }
}

/// An array argument of `n` elements; NULL is fine when `n` is 0.
fn slice<'a, T>(p: *const T, n: usize, arg: &str) -> Res<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(null(arg));
    }
    // SAFETY: the contract (ifclone.h): a non-NULL array argument points to `n` initialised
    // elements (a MAC: 6 bytes) that stay valid and unchanged for the duration of the call.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// An array of `n` C strings, each checked as [`text`].
pub(crate) fn texts<'a>(p: *const *const c_char, n: usize, arg: &str) -> Res<Vec<&'a str>> {
    slice(p, n, arg)?
        .iter()
        .enumerate()
        .map(|(i, s)| text(*s, &format!("{arg}[{i}]")))
        .collect()
}

/// `n` bytes the caller passed (a MAC address); never NULL.
pub(crate) fn bytes<'a>(p: *const u8, n: usize, arg: &str) -> Res<&'a [u8]> {
    if p.is_null() {
        return Err(null(arg));
    }
    slice(p, n, arg)
}

pub(crate) fn null(arg: &str) -> LastError {
    LastError::simple(
        ifclone_result::NullArgument,
        format!("argument {arg} is NULL"),
    )
}

/// A type C holds through an opaque pointer.
pub(crate) trait Handle: 'static {
    /// Its name in the header, for messages.
    const NAME: &'static str;
}

/// Live handles: address → (type, whether the caller owns it and frees it, or it is borrowed
/// from another handle — an interface of a listing — and goes with that one).
static LIVE: Mutex<Option<HashMap<usize, (TypeId, bool)>>> = Mutex::new(None);

fn live<R>(f: impl FnOnce(&mut HashMap<usize, (TypeId, bool)>) -> R) -> R {
    let mut g = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    f(g.get_or_insert_with(HashMap::new))
}

/// Hands a new handle to C (the caller frees it with its `_free`).
pub(crate) fn give<T: Handle>(v: T) -> *mut T {
    let p = Box::into_raw(Box::new(v));
    live(|m| m.insert(p as usize, (TypeId::of::<T>(), true)));
    p
}

/// Registers a handle owned by another one (boxed inside it) so that C may pass it back.
pub(crate) fn lend<T: Handle>(v: &T) -> *const T {
    let p = v as *const T;
    live(|m| m.insert(p as usize, (TypeId::of::<T>(), false)));
    p
}

/// Forgets the borrowed handles `v` (its owner is being freed).
pub(crate) fn unlend<T: Handle>(v: &T) {
    let p = v as *const T as usize;
    live(|m| m.remove(&p));
}

fn check<T: Handle>(p: *const T, arg: &str) -> Res<()> {
    if p.is_null() {
        return Err(null(arg));
    }
    match live(|m| m.get(&(p as usize)).copied()) {
        Some((t, _)) if t == TypeId::of::<T>() => Ok(()),
        _ => Err(LastError::simple(
            ifclone_result::InvalidHandle,
            format!(
                "argument {arg} is not a live {} (freed already, or never made by ifclone)",
                T::NAME
            ),
        )),
    }
}

/// A handle argument, read-only.
pub(crate) fn handle<'a, T: Handle>(p: *const T, arg: &str) -> Res<&'a T> {
    check(p, arg)?;
    // SAFETY: `p` is in LIVE with T's type: it came from `give`/`lend` of a T and has not been
    // freed. The contract: a handle is used by one thread at a time.
    Ok(unsafe { &*p })
}

/// An optional handle argument: NULL is `None`.
pub(crate) fn opt_handle<'a, T: Handle>(p: *const T, arg: &str) -> Res<Option<&'a T>> {
    if p.is_null() {
        Ok(None)
    } else {
        handle(p, arg).map(Some)
    }
}

/// A handle argument the call changes.
pub(crate) fn handle_mut<'a, T: Handle>(p: *mut T, arg: &str) -> Res<&'a mut T> {
    check(p, arg)?;
    if live(|m| m.get(&(p as usize)).map(|e| e.1)) != Some(true) {
        return Err(borrowed::<T>(arg));
    }
    // SAFETY: as in `handle`; an owned handle (from `give`) is only reachable through this
    // pointer, which the caller passes to one call at a time.
    Ok(unsafe { &mut *p })
}

fn borrowed<T: Handle>(arg: &str) -> LastError {
    LastError::simple(
        ifclone_result::InvalidHandle,
        format!(
            "argument {arg} is a {} borrowed from another handle: it goes with that one",
            T::NAME
        ),
    )
}

/// An array of `n` handles, each checked as [`handle`].
pub(crate) fn handles<'a, T: Handle>(p: *const *const T, n: usize, arg: &str) -> Res<Vec<&'a T>> {
    slice(p, n, arg)?
        .iter()
        .enumerate()
        .map(|(i, h)| handle(*h, &format!("{arg}[{i}]")))
        .collect()
}

/// Frees an owned handle: NULL is ignored (like free(3)); a pointer that is not a live owned
/// handle of this type is left alone and is the thread's last error (`INVALID_HANDLE`).
pub(crate) fn free<T: Handle>(p: *mut T) {
    if p.is_null() {
        return;
    }
    call(|| {
        check(p as *const T, "handle")?;
        let owned = live(|m| match m.get(&(p as usize)) {
            Some((_, true)) => m.remove(&(p as usize)).is_some(),
            _ => false,
        });
        if !owned {
            return Err(borrowed::<T>("handle"));
        }
        // SAFETY: `p` came from `give` (Box::into_raw) and was live and owned; it is now out of
        // LIVE, so no later call can reach it.
        drop(unsafe { Box::from_raw(p) });
        Ok(())
    });
}

/// An out-parameter, checked (not NULL) before the call does anything and written only when it
/// succeeds.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    pub(crate) fn new(p: *mut T, arg: &str) -> Res<Out<T>> {
        if p.is_null() {
            return Err(null(arg));
        }
        Ok(Out(p))
    }

    /// An optional out-parameter: NULL means the caller does not want it.
    pub(crate) fn opt(p: *mut T) -> Option<Out<T>> {
        (!p.is_null()).then_some(Out(p))
    }

    pub(crate) fn write(self, v: T) {
        // SAFETY: the contract: an out-parameter points to writable storage for one T; it is
        // not NULL (checked in `new`). `write` does not read or drop the old contents.
        unsafe { self.0.write(v) }
    }
}

/// A caller's buffer of `cap` elements, written only on success.
pub(crate) struct OutBuf<T>(*mut T, usize);

impl<T: Copy> OutBuf<T> {
    pub(crate) fn new(p: *mut T, cap: usize, arg: &str) -> Res<OutBuf<T>> {
        if p.is_null() && cap > 0 {
            return Err(null(arg));
        }
        Ok(OutBuf(p, cap))
    }

    pub(crate) fn cap(&self) -> usize {
        self.1
    }

    /// Copies `v` in; the caller checked that it fits.
    pub(crate) fn write(self, v: &[T]) {
        assert!(v.len() <= self.1, "OutBuf::write beyond its capacity");
        if v.is_empty() {
            return;
        }
        // SAFETY: the contract: the buffer has room for `cap` elements; `v` fits (asserted).
        unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), self.0, v.len()) }
    }
}

/// A string C reads through a `const char *` that lives as long as the handle holding it.
/// Interior NULs cannot come from the kernel's names; such a string is cut at the first one.
pub(crate) fn cstring(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let n = e.nul_position();
        CString::new(&s[..n]).expect("cut at the first NUL")
    })
}

/// The `const char *` of an optional string (NULL for `None`).
pub(crate) fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Thing(u32);
    impl Handle for Thing {
        const NAME: &'static str = "thing";
    }
    struct Other;
    impl Handle for Other {
        const NAME: &'static str = "other";
    }

    fn last_class() -> Option<ifclone_result> {
        LAST.with(|l| l.borrow().as_ref().map(|e| e.class))
    }

    #[test]
    fn a_panic_is_caught_and_becomes_the_last_error() {
        let r = call(|| panic!("boom"));
        assert_eq!(r, ifclone_result::Panic);
        let msg = LAST.with(|l| l.borrow().as_ref().unwrap().message.clone());
        assert!(msg.contains("boom"), "{msg}");
    }

    #[test]
    fn freed_borrowed_and_foreign_handles_are_refused() {
        let p = give(Thing(7));
        assert_eq!(handle(p as *const Thing, "t").unwrap().0, 7);
        assert!(handle(p as *const Thing as *const Other, "t").is_err());
        free(p);
        let e = handle(p as *const Thing, "t").err().unwrap();
        assert_eq!(e.class, ifclone_result::InvalidHandle);
        // A second free is refused and reported, not a double free.
        free(p);
        assert_eq!(last_class(), Some(ifclone_result::InvalidHandle));

        let owner = Box::new(Thing(1));
        let b = lend(&*owner);
        assert!(handle(b, "b").is_ok());
        assert!(handle_mut(b as *mut Thing, "b").is_err());
        free(b as *mut Thing);
        assert_eq!(last_class(), Some(ifclone_result::InvalidHandle));
        unlend(&*owner);
        assert!(handle(b, "b").is_err());
    }

    #[test]
    fn null_and_bad_utf8_are_refused() {
        assert_eq!(
            text(std::ptr::null(), "name").err().unwrap().class,
            ifclone_result::NullArgument
        );
        let bad = b"a\xffb\0";
        let e = text(bad.as_ptr() as *const c_char, "name").err().unwrap();
        assert_eq!(e.class, ifclone_result::InvalidUtf8);
        assert!(e.message.contains("offset 1"), "{}", e.message);
    }
}
