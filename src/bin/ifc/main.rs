//! `ifc`: an ifconfig-like command line over ifclone, with FreeBSD `ifconfig` syntax on both
//! Linux and FreeBSD.
//!
//! - [`opts`] (with [`create`], [`values`]): argv → [`opts::Cmd`], a pure function,
//!   unit-tested in `tests/` (`cargo test --bin ifc`). Bad input is refused here, before anything
//!   is opened.
//! - [`keywords`]: the create/set keywords as one table, read by the parsers and by [`help`].
//! - [`render`]: ifconfig-style output, pure; [`monitor`]: `ifc monitor`'s event lines, pure.
//! - [`run`]: executing a `Cmd`, the only part that talks to the kernel.
//!
//! Exit status: 0 all done, 1 something not done, 2 usage error.

use std::io::Write;
use std::process::ExitCode;

mod create;
mod help;
mod keywords;
mod monitor;
mod opts;
mod render;
mod run;
#[cfg(test)]
mod tests;
mod values;

use opts::{parse_os, Usage};
use run::{run, Failure};

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    // Nothing written to stderr may panic either: a failed write there is dropped.
    let mut err = std::io::stderr();
    match parse_os(&argv) {
        Err(Usage(msg)) => {
            let _ = writeln!(err, "ifc: {}\nifc -h for the syntax", one_line(&msg));
            ExitCode::from(2)
        }
        Ok(cmd) => {
            let mut out = std::io::stdout().lock();
            let done = run(cmd, &mut out).and_then(|()| out.flush().map_err(Failure::Output));
            match done {
                Ok(()) => ExitCode::SUCCESS,
                // The reader went away (`ifc -a | head -1`): it wanted no more, nothing to say.
                Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    ExitCode::from(1)
                }
                Err(Failure::Output(e)) => {
                    let _ = writeln!(err, "ifc: cannot write the output: {e}");
                    ExitCode::from(1)
                }
                Err(Failure::Lib(e)) => {
                    let _ = writeln!(err, "ifc: {}", one_line(&e.to_string()));
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// `msg` on one line whatever the words were: a newline or other control character that came
/// from an argument is shown escaped.
fn one_line(msg: &str) -> String {
    msg.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}
