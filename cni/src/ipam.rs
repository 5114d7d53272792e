//! IPAM by delegation, as CNI specifies it: the configured IPAM plugin (`ipam.type`, found in
//! CNI_PATH) is executed with the same environment and configuration; its ADD result's
//! addresses and routes are then applied inside the container's stack.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rscni_plugin::error::Error;
use rscni_plugin::types::{Args, CNIResult, NetConf};

/// The IPAM plugin's binary in CNI_PATH.
pub fn find(args: &Args, ty: &str) -> Result<PathBuf, Error> {
    if ty.is_empty() || ty.contains('/') {
        return Err(Error::InvalidNetworkConfig(format!(
            "ipam type '{ty}' is not a plugin name"
        )));
    }
    args.path()
        .iter()
        .map(|d| d.join(ty))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::InvalidNetworkConfig(format!(
                "IPAM plugin '{ty}' not found in CNI_PATH ({})",
                args.path()
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(":")
            ))
        })
}

/// Runs the IPAM plugin for `command` with `conf` on stdin. ADD gives its result. A plugin that
/// does not know the configuration's version (code 1) is asked which it knows, and run again in
/// the newest of those with the same result layout.
pub fn exec(
    bin: &Path,
    command: &str,
    args: &Args,
    conf: &NetConf,
) -> Result<Option<CNIResult>, Error> {
    match run(bin, command, args, conf) {
        Err(Error::Custom(1, _, _)) => {
            let mut conf = conf.clone();
            conf.cni_version = version_for(bin, &conf.cni_version)?;
            run(bin, command, args, &conf)
        }
        r => r,
    }
}

fn run(bin: &Path, command: &str, args: &Args, conf: &NetConf) -> Result<Option<CNIResult>, Error> {
    let mut c = Command::new(bin);
    c.env("CNI_COMMAND", command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(id) = args.container_id() {
        c.env("CNI_CONTAINERID", id.as_ref() as &str);
    }
    if let Some(n) = args.netns() {
        c.env("CNI_NETNS", n);
    }
    if let Some(i) = args.ifname() {
        c.env("CNI_IFNAME", i.as_ref() as &str);
    }
    if let Some(a) = args.args() {
        c.env("CNI_ARGS", a);
    }
    let path: Vec<String> = args
        .path()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    c.env("CNI_PATH", path.join(":"));
    let input = serde_json::to_vec(conf).map_err(|e| Error::FailedToDecode(e.to_string()))?;
    let mut child = c
        .spawn()
        .map_err(|e| Error::IOFailure(format!("run IPAM plugin {}: {e}", bin.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(&input)
            .map_err(|e| Error::IOFailure(format!("IPAM plugin {}: {e}", bin.display())))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::IOFailure(format!("IPAM plugin {}: {e}", bin.display())))?;
    if !out.status.success() {
        // The plugin's own error object, passed on with its code.
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let code = v.get("code").and_then(|c| c.as_u64()).unwrap_or(999) as u32;
        let msg = v
            .get("msg")
            .and_then(|m| m.as_str())
            .unwrap_or("IPAM plugin failed");
        let details = v
            .get("details")
            .and_then(|d| d.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&out.stderr).trim().to_string());
        return Err(Error::Custom(
            code,
            format!("IPAM plugin {}: {msg}", bin.display()),
            details,
        ));
    }
    if command != "ADD" {
        return Ok(None);
    }
    serde_json::from_slice(&out.stdout).map(Some).map_err(|e| {
        Error::FailedToDecode(format!("the result of IPAM plugin {}: {e}", bin.display()))
    })
}

/// The version the IPAM plugin gets the configuration in: the network's own when the plugin
/// supports it, else the newest it supports with the same result layout (1.0.0 and later:
/// host-local of containernetworking-plugins 1.1 knows no 1.1.0). Asked with VERSION.
fn version_for(bin: &Path, want: &str) -> Result<String, Error> {
    let out = Command::new(bin)
        .env("CNI_COMMAND", "VERSION")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .and_then(|mut c| {
            if let Some(mut i) = c.stdin.take() {
                let _ = i.write_all(format!("{{\"cniVersion\":\"{want}\"}}").as_bytes());
            }
            c.wait_with_output()
        })
        .map_err(|e| Error::IOFailure(format!("run IPAM plugin {}: {e}", bin.display())))?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let have: Vec<&str> = v
        .get("supportedVersions")
        .and_then(|s| s.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    if have.is_empty() || have.contains(&want) {
        return Ok(want.to_string());
    }
    let num = |s: &str| -> Vec<u32> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let floor = if num(want) >= num("1.0.0") {
        num("1.0.0")
    } else {
        num(want)
    };
    have.iter()
        .filter(|h| num(h) >= floor && num(h) <= num(want))
        .max_by_key(|h| num(h))
        .map(|h| h.to_string())
        .ok_or_else(|| {
            Error::IncompatibleVersion(format!(
                "IPAM plugin {} supports {} but not {want}",
                bin.display(),
                have.join(", ")
            ))
        })
}
