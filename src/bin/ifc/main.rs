//! `ifc`: an ifconfig-like command line over ifclone, with FreeBSD `ifconfig` syntax on both
//! Linux and FreeBSD.
//!
//! The argument parsing ([`opts`]) is a pure function from argv to a [`opts::Cmd`]; it is
//! unit-tested (`cargo test --bin ifc`). Running a `Cmd` ([`run`]) is the only part that talks to
//! the kernel.

use std::process::ExitCode;

mod create;
mod help;
mod keywords;
mod opts;
mod render;
mod run;
#[cfg(test)]
mod tests;
mod values;

use opts::{parse_os, Usage};
use run::run;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match parse_os(&argv) {
        Err(Usage(msg)) => {
            eprintln!("ifc: {}", one_line(&msg));
            eprintln!("ifc -h for the syntax");
            ExitCode::from(2)
        }
        Ok(cmd) => match run(cmd) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ifc: {}", one_line(&e.to_string()));
                ExitCode::from(1)
            }
        },
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
