//! Child processes for crash and multi-process tests: a test binary runs itself again, as a
//! child that executes one named scenario and exits (or is killed).
//!
//! Every test file that uses this has one `#[test] fn child()` that calls [`child_entry`]: in a
//! normal run it returns at once; in a child (the environment variable [`ROLE`] is set) it runs
//! the scenario the parent named and exits the process with its status, so nothing else of the
//! test binary runs in the child.
//!
//! ```ignore
//! #[test]
//! fn child() {
//!     common::child::child_entry(|scenario, args| match scenario {
//!         "move" => { /* ... */ Ok(()) }
//!         _ => Err(format!("unknown scenario {scenario}")),
//!     });
//! }
//! ```
//!
//! A child may be told to SIGKILL itself at the N-th step boundary of the library
//! ([`ifclone::vmove::testing::set_step_hook`]): `spawn(..., kill_at: Some(N))`.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable that makes a test binary a child: the scenario's name.
pub const ROLE: &str = "IFCLONE_TEST_CHILD";
/// The scenario's arguments, separated by `\x1f`.
pub const ARGS: &str = "IFCLONE_TEST_CHILD_ARGS";
/// Kill the child at this step boundary (1-based).
pub const KILL_AT: &str = "IFCLONE_TEST_KILL_AT";

/// The exit status a child uses when its scenario returned an error.
pub const SCENARIO_FAILED: i32 = 3;

/// In a child: runs the named scenario and exits. In a normal test run: returns.
pub fn child_entry(run: impl FnOnce(&str, &[String]) -> Result<(), String>) {
    let Ok(scenario) = std::env::var(ROLE) else {
        return;
    };
    let args: Vec<String> = std::env::var(ARGS)
        .map(|a| {
            if a.is_empty() {
                Vec::new()
            } else {
                a.split('\x1f').map(str::to_string).collect()
            }
        })
        .unwrap_or_default();
    if let Some(n) = std::env::var(KILL_AT)
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        static SEEN: AtomicUsize = AtomicUsize::new(0);
        ifclone::vmove::testing::set_step_hook(move |_label| {
            if SEEN.fetch_add(1, Ordering::SeqCst) + 1 == n {
                // SIGKILL cannot be caught: nothing of this process runs after it, as in a crash.
                nix::sys::signal::kill(nix::unistd::getpid(), nix::sys::signal::Signal::SIGKILL)
                    .ok();
            }
        });
    }
    let code = match run(&scenario, &args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("child scenario {scenario} failed: {e}");
            SCENARIO_FAILED
        }
    };
    std::process::exit(code);
}

/// Starts this test binary again as a child running `scenario` with `args`.
pub fn spawn(scenario: &str, args: &[&str], kill_at: Option<usize>) -> Child {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut c = Command::new(exe);
    c.args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(ROLE, scenario)
        .env(ARGS, args.join("\x1f"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match kill_at {
        Some(n) => c.env(KILL_AT, n.to_string()),
        None => c.env_remove(KILL_AT),
    };
    c.spawn().expect("spawn the test binary as a child")
}

/// How a child ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// It ran its scenario to the end.
    Completed,
    /// It killed itself (or was killed) with SIGKILL.
    Killed,
    /// Its scenario failed, or it died otherwise: the status and what it printed.
    Failed(String),
}

/// Waits for a child and says how it ended.
pub fn wait(c: Child) -> Ended {
    use std::os::unix::process::ExitStatusExt;
    let out = c.wait_with_output().expect("wait for the child");
    let st: ExitStatus = out.status;
    if st.success() {
        Ended::Completed
    } else if st.signal() == Some(libc::SIGKILL) {
        Ended::Killed
    } else {
        Ended::Failed(format!(
            "{st}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Runs a child to its end and says how it ended.
pub fn run(scenario: &str, args: &[&str], kill_at: Option<usize>) -> Ended {
    wait(spawn(scenario, args, kill_at))
}
