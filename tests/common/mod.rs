//! Shared helpers for the integration tests that run against the real kernel (as root).
//!
//! - Unique names: every stack is `ifct-<pid>-<n>-<tag>`, every interface a test has to create
//!   in the host stack is `ifct<pid>x<n>` (≤ 15 bytes), so parallel tests and parallel runs never
//!   collide, and a leftover check can find anything a crashed run left behind.
//! - Cleanup on failure: [`StackGuard`] removes its stack in `Drop` (through the library, with
//!   `ip netns del` as the fallback); [`HostIfGuard`] destroys a host interface in `Drop`.
//! - Independent observation: what the library did is checked with the OS's own tools, never
//!   with the library itself. On Linux that is `ip -d -j link` ([`ip_links`], [`ip_link`]); the
//!   neutral [`observe`] / [`observe_all`] / [`os_stacks`] / [`snapshot`] wrap it, so test files
//!   that only use those compile everywhere. Linux-only details (`linkinfo.info_data`) are read
//!   from [`Obs::raw`] inside `#[cfg(target_os = "linux")]` blocks. On FreeBSD it is `ifconfig -a`
//!   with the index from `netstat -i -n` (ifconfig prints none), both run inside the jail with
//!   `jexec` (FreeBSD 13's ifconfig has no `-j`): `ifconfig_in` and `netstat_in`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use ifclone::{Error, Stack};

pub mod child;
pub mod moves;
use serde_json::Value;

/// Every stack the tests create starts with this.
pub const STACK_PREFIX: &str = "ifct-";
/// The loopback interface every stack has.
#[cfg(target_os = "linux")]
pub const LOOPBACK: &str = "lo";
/// The loopback interface every stack has.
#[cfg(not(target_os = "linux"))]
pub const LOOPBACK: &str = "lo0";

/// Every interface the tests create in the host stack starts with this.
pub const HOST_IF_PREFIX: &str = "ifct";

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn next() -> u32 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// A fresh stack name: `ifct-<pid>-<n>-<tag>`.
pub fn unique_stack_name(tag: &str) -> String {
    let tag: String = tag.chars().take(24).collect();
    format!("{STACK_PREFIX}{}-{}-{tag}", std::process::id(), next())
}

/// A fresh interface name for the host stack: `ifct<pid>x<n>`, at most 15 bytes.
pub fn unique_host_ifname() -> String {
    let n = format!("{HOST_IF_PREFIX}{}x{}", std::process::id(), next());
    assert!(n.len() <= 15, "{n} is too long for an interface name");
    n
}

/// Whether we may run the kernel tests at all. They need root; without it they fail loudly
/// rather than pass vacuously.
pub fn require_root() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "the kernel integration tests must run as root"
    );
}

// ---------------------------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------------------------

/// A test stack that is removed when the guard drops, even when the test panics.
pub struct StackGuard {
    stack: Option<Stack>,
    name: String,
}

impl StackGuard {
    /// Creates a fresh stack `ifct-<pid>-<n>-<tag>`; panics (after cleaning up) if that fails.
    pub fn new(tag: &str) -> StackGuard {
        require_root();
        let name = unique_stack_name(tag);
        match catch_unwind(|| Stack::create(&name)) {
            Ok(Ok(stack)) => StackGuard {
                stack: Some(stack),
                name,
            },
            Ok(Err(e)) => {
                os_remove_stack(&name);
                panic!("Stack::create({name}) failed: {e}");
            }
            Err(p) => {
                os_remove_stack(&name);
                std::panic::resume_unwind(p);
            }
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn stack(&self) -> &Stack {
        self.stack.as_ref().expect("stack already removed")
    }

    /// Removes the stack now through the library and returns what `Stack::remove` said. The
    /// guard still makes sure it is gone (OS fallback) when it drops.
    pub fn remove(&mut self) -> ifclone::Result<ifclone::RemoveReport> {
        let s = self.stack.take().expect("stack already removed");
        s.remove()
    }

    /// The stack was removed by other means (another handle, `ip netns del`): drop only checks
    /// that it is gone.
    pub fn forget(&mut self) {
        self.stack = None;
    }
}

impl std::ops::Deref for StackGuard {
    type Target = Stack;
    fn deref(&self) -> &Stack {
        self.stack()
    }
}

impl Drop for StackGuard {
    fn drop(&mut self) {
        if let Some(s) = self.stack.take() {
            // A backend panic here must not abort the test binary (a panic while unwinding).
            match catch_unwind(AssertUnwindSafe(|| s.remove())) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => eprintln!("StackGuard: Stack::remove({}) failed: {e}", self.name),
                Err(_) => eprintln!("StackGuard: Stack::remove({}) panicked", self.name),
            }
        }
        if os_stacks().iter().any(|n| n == &self.name) {
            os_remove_stack(&self.name);
        }
    }
}

/// An interface in the host stack, destroyed when the guard drops. Prefer creating everything
/// inside test stacks; use this only where a test must touch the host.
pub struct HostIfGuard {
    pub name: String,
}

impl HostIfGuard {
    pub fn new(name: impl Into<String>) -> HostIfGuard {
        HostIfGuard { name: name.into() }
    }
}

impl Drop for HostIfGuard {
    fn drop(&mut self) {
        assert!(
            self.name != LOOPBACK && !self.name.starts_with("eth"),
            "refusing to destroy host interface {}",
            self.name
        );
        if observe("host", &self.name).is_none() {
            return;
        }
        let r = catch_unwind(AssertUnwindSafe(|| {
            Stack::host().and_then(|h| h.destroy(&self.name))
        }));
        if !matches!(r, Ok(Ok(()))) || observe("host", &self.name).is_some() {
            os_destroy_host_if(&self.name);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Assertions on errors
// ---------------------------------------------------------------------------------------------

/// The variant name of an error, for messages.
pub fn variant(e: &Error) -> &'static str {
    match e {
        Error::NotFound(_) => "NotFound",
        Error::Exists(_) => "Exists",
        Error::InvalidName(_) => "InvalidName",
        Error::InvalidArgument(_) => "InvalidArgument",
        Error::Unsupported(_) => "Unsupported",
        Error::PermissionDenied(_) => "PermissionDenied",
        Error::Busy(_) => "Busy",
        Error::Kernel(_) => "Kernel",
        Error::Corrupt(_) => "Corrupt",
        Error::NotReturned(_) => "NotReturned",
        // Error is non_exhaustive: a variant added later is named here when a test needs it.
        _ => "a variant the tests do not know",
    }
}

/// Asserts `r` is an error of the variant `want` (by name) and returns it.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(r: ifclone::Result<T>, want: &str, what: &str) -> Error {
    match r {
        Ok(v) => panic!("{what}: expected Error::{want}, got Ok({v:?})"),
        Err(e) => {
            assert_eq!(variant(&e), want, "{what}: expected Error::{want}, got {e}");
            e
        }
    }
}

/// Asserts the error's message names every one of `parts` (operation, object, stack, …).
#[track_caller]
pub fn assert_msg_has(e: &Error, parts: &[&str]) {
    let s = e.to_string();
    for p in parts {
        assert!(s.contains(p), "error message {s:?} does not contain {p:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Neutral observation
// ---------------------------------------------------------------------------------------------

/// One interface as the OS's own tool reports it.
#[derive(Clone, Debug)]
pub struct Obs {
    pub index: u32,
    pub name: String,
    pub mtu: u32,
    /// Lower-case `aa:bb:cc:dd:ee:ff`.
    pub mac: Option<String>,
    /// Administratively up.
    pub up: bool,
    pub alias: Option<String>,
    /// The OS's kind string (Linux `info_kind`: `veth`, `tun`, `bridge`, …).
    pub kind: Option<String>,
    /// The tool's full record (Linux: one element of `ip -d -j link`).
    pub raw: Value,
}

/// All interfaces of a stack (`"host"` for the host's own), from the OS's tool.
pub fn observe_all(stack: &str) -> Vec<Obs> {
    os_observe_all(stack)
}

/// One interface of a stack, from the OS's tool.
pub fn observe(stack: &str, ifname: &str) -> Option<Obs> {
    observe_all(stack).into_iter().find(|o| o.name == ifname)
}

/// Interface names of a stack, from the OS's tool.
pub fn os_names(stack: &str) -> Vec<String> {
    observe_all(stack).into_iter().map(|o| o.name).collect()
}

/// A comparable picture of a stack's interfaces (by name), without what changes on its own
/// (timers, counters).
pub fn snapshot(stack: &str) -> BTreeMap<String, Value> {
    observe_all(stack)
        .into_iter()
        .map(|o| (o.name.clone(), normalize(o.raw)))
        .collect()
}

fn normalize(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| !k.ends_with("_timer") && k != "stats" && k != "stats64");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// Names an auto-named cloner could pick (`epair3a`, `vlan0`, `tap1`, `veth0`, …), and this
/// process's own host interface names. (Another process's `ifct<pid>x<n>` is another test's,
/// e.g. under a runner that runs test processes in parallel.)
pub fn looks_auto_named(n: &str) -> bool {
    const PREFIXES: [&str; 12] = [
        "epair", "veth", "vlan", "tap", "tun", "bridge", "macvlan", "macvtap", "vxlan", "dummy",
        "bond", "lagg",
    ];
    PREFIXES.iter().any(|p| n.starts_with(p))
        || n.starts_with(&format!("{HOST_IF_PREFIX}{}x", std::process::id()))
}

/// Asserts a stack looks the same as before. `private` stacks (a test's own) must be exactly
/// equal. For the host, interfaces other activity on the machine may have added or removed
/// are tolerated (with a note on stderr) unless they are `eth0`/`lo`, one of `ours`, or carry a
/// name a cloner would pick.
#[track_caller]
pub fn assert_same_links(
    stack: &str,
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
    private: bool,
    ours: &[&str],
    what: &str,
) {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    for n in names {
        let (b, a) = (before.get(n), after.get(n));
        if b == a {
            continue;
        }
        let strict = private
            || n == "eth0"
            || n == LOOPBACK
            || ours.contains(&n.as_str())
            || (b.is_none() && looks_auto_named(n));
        if strict {
            panic!(
                "{what}: interface {n} in stack {stack} changed\n before: {}\n after:  {}",
                b.map(|v| v.to_string())
                    .unwrap_or_else(|| "<absent>".into()),
                a.map(|v| v.to_string())
                    .unwrap_or_else(|| "<absent>".into()),
            );
        }
        eprintln!("{what}: note: {n} in {stack} changed meanwhile (not ours; ignored)");
    }
}

/// The named stacks as the OS's own tool lists them (Linux: `ip netns list`).
pub fn os_stacks() -> Vec<String> {
    os_list_stacks()
}

/// What a crashed or leaky run left behind: stacks starting with `ifct-` and host interfaces
/// starting with `ifct`. CI runs the same check as a shell snippet after the suite.
pub fn leftovers() -> Vec<String> {
    let mut v: Vec<String> = os_stacks()
        .into_iter()
        .filter(|n| n.starts_with(STACK_PREFIX))
        .map(|n| format!("stack {n}"))
        .collect();
    v.extend(
        os_names("host")
            .into_iter()
            .filter(|n| n.starts_with(HOST_IF_PREFIX))
            .map(|n| format!("host interface {n}")),
    );
    v
}

// ---------------------------------------------------------------------------------------------
// Linux: iproute2
// ---------------------------------------------------------------------------------------------

/// Runs `ip` with `args` and returns its output (never panics on a non-zero status).
#[cfg(target_os = "linux")]
pub fn ip(args: &[&str]) -> Output {
    Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ip {args:?}: {e}"))
}

/// Runs `ip` with `args` and says whether it succeeded.
#[cfg(target_os = "linux")]
pub fn ip_ok(args: &[&str]) -> bool {
    ip(args).status.success()
}

/// `ip [-n STACK] -d -j link`, parsed. `"host"` means the host stack (no `-n`).
#[cfg(target_os = "linux")]
pub fn ip_links(stack_name: &str) -> Vec<Value> {
    let mut args = vec![];
    if stack_name != "host" {
        args.extend(["-n", stack_name]);
    }
    args.extend(["-d", "-j", "link", "show"]);
    let out = ip(&args);
    assert!(
        out.status.success(),
        "ip {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        return vec![];
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(v)) => v,
        other => panic!("ip {args:?}: unexpected output {other:?}"),
    }
}

/// One element of [`ip_links`] by interface name.
#[cfg(target_os = "linux")]
pub fn ip_link(stack: &str, ifname: &str) -> Option<Value> {
    ip_links(stack)
        .into_iter()
        .find(|v| v["ifname"].as_str() == Some(ifname))
}

/// `linkinfo.info_data` of an `ip -d -j` record (Null when absent).
#[cfg(target_os = "linux")]
pub fn info_data(v: &Value) -> &Value {
    &v["linkinfo"]["info_data"]
}

/// `ip [-n STACK] -j addr show dev IFNAME` as `addr/prefix` strings.
#[cfg(target_os = "linux")]
pub fn ip_addrs(stack: &str, ifname: &str) -> Vec<String> {
    let mut args = vec![];
    if stack != "host" {
        args.extend(["-n", stack]);
    }
    args.extend(["-j", "addr", "show", "dev", ifname]);
    let out = ip(&args);
    assert!(out.status.success(), "ip {args:?} failed");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Array(vec![]));
    let mut r = vec![];
    for l in v.as_array().into_iter().flatten() {
        for a in l["addr_info"].as_array().into_iter().flatten() {
            if let (Some(ip), Some(p)) = (a["local"].as_str(), a["prefixlen"].as_u64()) {
                r.push(format!("{ip}/{p}"));
            }
        }
    }
    r
}

#[cfg(target_os = "linux")]
fn os_observe_all(stack: &str) -> Vec<Obs> {
    ip_links(stack)
        .into_iter()
        .map(|v| Obs {
            index: v["ifindex"].as_u64().unwrap_or(0) as u32,
            name: v["ifname"].as_str().unwrap_or("").to_string(),
            mtu: v["mtu"].as_u64().unwrap_or(0) as u32,
            mac: v["address"].as_str().map(str::to_ascii_lowercase),
            up: v["flags"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x == "UP")),
            alias: v["ifalias"].as_str().map(str::to_string),
            kind: v["linkinfo"]["info_kind"].as_str().map(str::to_string),
            raw: v,
        })
        .collect()
}

#[cfg(target_os = "linux")]
fn os_list_stacks() -> Vec<String> {
    // `ip netns list` reads /run/netns; `ip -j netns list` prints nothing when it is empty.
    let out = ip(&["-j", "netns", "list"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Array(vec![]));
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str().map(str::to_string))
        .collect()
}

/// Removes a test stack with the OS's own tool (Linux: `ip netns del`).
#[cfg(target_os = "linux")]
pub fn os_remove_stack(name: &str) {
    assert!(name.starts_with(STACK_PREFIX), "refusing to remove {name}");
    let _ = ip(&["netns", "del", name]);
}

#[cfg(target_os = "linux")]
fn os_destroy_host_if(name: &str) {
    let _ = ip(&["link", "del", "dev", name]);
}

/// Runs a command inside a stack (Linux: `ip netns exec`).
#[cfg(target_os = "linux")]
pub fn exec_in(stack: &str, cmd: &[&str]) -> Output {
    let mut args = vec!["netns", "exec", stack];
    args.extend_from_slice(cmd);
    ip(&args)
}

// ---------------------------------------------------------------------------------------------
// FreeBSD: ifconfig, netstat, jls, jail, jexec (run by the FreeBSD runner, .cirrus.yml)
// ---------------------------------------------------------------------------------------------

#[cfg(not(target_os = "linux"))]
fn tool(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd} {args:?}: {e}"))
}

/// Runs the base-system tool `cmd` with `args` in `stack` (`"host"`: the host's own, plain
/// `cmd`; otherwise `jexec STACK cmd ARGS`). Never panics on a non-zero status.
#[cfg(not(target_os = "linux"))]
fn tool_in(stack: &str, cmd: &str, args: &[&str]) -> Output {
    if stack == "host" {
        return tool(cmd, args);
    }
    let mut a = vec![stack, cmd];
    a.extend_from_slice(args);
    tool("jexec", &a)
}

/// `ifconfig ARGS` inside `stack` (`"host"`: plain `ifconfig`). Inside a jail it is
/// `jexec STACK ifconfig ARGS`: FreeBSD 13's ifconfig has no `-j JAIL`, and this works on 13 and
/// 14 alike. Every ifconfig the harness runs goes through here.
#[cfg(not(target_os = "linux"))]
pub fn ifconfig_in(stack: &str, args: &[&str]) -> Output {
    tool_in(stack, "ifconfig", args)
}

/// `netstat ARGS` inside `stack` (`"host"`: plain `netstat`; otherwise `jexec STACK netstat`).
/// Every netstat the harness runs goes through here.
#[cfg(not(target_os = "linux"))]
pub fn netstat_in(stack: &str, args: &[&str]) -> Output {
    tool_in(stack, "netstat", args)
}

/// `ifconfig -a` in `stack`, parsed into one record per interface (`raw` holds ifconfig's lines),
/// with the index from netstat's link-level rows ([`link_indexes`]): FreeBSD's ifconfig prints
/// no index. Read again (a few times) when the two tools disagree about which interfaces exist,
/// which only happens when something changed between the two reads.
#[cfg(not(target_os = "linux"))]
fn os_observe_all(stack: &str) -> Vec<Obs> {
    let mut tries = 0;
    loop {
        let out = ifconfig_in(stack, &["-a"]);
        assert!(
            out.status.success(),
            "ifconfig -a in {stack} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v = parse_ifconfig(&String::from_utf8_lossy(&out.stdout));
        let idx = link_indexes(stack);
        let missing: Vec<String> = v
            .iter()
            .filter(|o| !idx.contains_key(&o.name))
            .map(|o| o.name.clone())
            .collect();
        if missing.is_empty() {
            for o in &mut v {
                o.index = idx[&o.name];
            }
            return v;
        }
        tries += 1;
        assert!(
            tries < 5,
            "netstat -i -n in {stack} shows no <Link#N> row for {missing:?}: {idx:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Interface name → index in `stack`, from `netstat -i -n`: the link-level row of each interface
/// has `<Link#N>` in its Network column. Read as libxo JSON (full names); the text form is the
/// fallback (with `-W`, so names are not cut to 5 characters; a `*` marks a down interface).
#[cfg(not(target_os = "linux"))]
pub fn link_indexes(stack: &str) -> BTreeMap<String, u32> {
    let out = netstat_in(stack, &["--libxo", "json", "-i", "-n"]);
    if out.status.success() {
        if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout) {
            let m = parse_netstat_json(&v);
            if !m.is_empty() {
                return m;
            }
        }
    }
    let out = netstat_in(stack, &["-i", "-n", "-W"]);
    assert!(
        out.status.success(),
        "netstat -i -n -W in {stack} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_netstat_text(&String::from_utf8_lossy(&out.stdout))
}

/// `N` of `<Link#N>`.
fn link_number(network: &str) -> Option<u32> {
    network
        .trim()
        .strip_prefix("<Link#")?
        .strip_suffix('>')?
        .parse()
        .ok()
}

/// Every object with a `name` and a `network` of `<Link#N>`, wherever libxo put it
/// (`{"statistics": {"interface": [...]}}`).
fn parse_netstat_json(v: &Value) -> BTreeMap<String, u32> {
    fn walk(v: &Value, m: &mut BTreeMap<String, u32>) {
        match v {
            Value::Object(o) => {
                if let (Some(Value::String(name)), Some(Value::String(net))) =
                    (o.get("name"), o.get("network"))
                {
                    if let Some(i) = link_number(net) {
                        m.insert(name.clone(), i);
                    }
                }
                o.values().for_each(|x| walk(x, m));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, m)),
            _ => {}
        }
    }
    let mut m = BTreeMap::new();
    walk(v, &mut m);
    m
}

/// `netstat -i -n -W` text: `Name Mtu Network Address …`, the Network of a link-level row being
/// `<Link#N>`; netstat appends `*` to the name of an interface that is down.
fn parse_netstat_text(text: &str) -> BTreeMap<String, u32> {
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 3 || w[0] == "Name" {
            continue;
        }
        if let Some(i) = link_number(w[2]) {
            m.insert(w[0].strip_suffix('*').unwrap_or(w[0]).to_string(), i);
        }
    }
    m
}

/// Parses `ifconfig -a` text (FreeBSD 13/14 format). The index is left 0 (ifconfig does not
/// print it); [`os_observe_all`] fills it in.
fn parse_ifconfig(text: &str) -> Vec<Obs> {
    let mut v: Vec<Obs> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(['\t', ' ']) && line.contains(": flags=") {
            let name = line.split(':').next().unwrap_or("").to_string();
            let flags = line
                .split('<')
                .nth(1)
                .and_then(|r| r.split('>').next())
                .unwrap_or("");
            let mtu = line
                .split_whitespace()
                .skip_while(|w| *w != "mtu")
                .nth(1)
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            v.push(Obs {
                index: 0,
                name,
                mtu,
                mac: None,
                up: flags.split(',').any(|f| f == "UP"),
                alias: None,
                kind: None,
                raw: Value::Array(vec![Value::String(line.trim().to_string())]),
            });
            continue;
        }
        let Some(o) = v.last_mut() else { continue };
        let t = line.trim();
        if let Some(m) = t.strip_prefix("ether ") {
            o.mac = Some(m.trim().to_ascii_lowercase());
        } else if let Some(d) = t.strip_prefix("description: ") {
            o.alias = Some(d.to_string());
        } else if let Some(g) = t.strip_prefix("groups: ") {
            o.kind = g
                .split_whitespace()
                .find(|g| *g != "all")
                .map(str::to_string);
        }
        if let Value::Array(a) = &mut o.raw {
            a.push(Value::String(t.to_string()));
        }
    }
    v
}

#[cfg(not(target_os = "linux"))]
fn os_list_stacks() -> Vec<String> {
    let out = tool("jls", &["name"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Removes a test stack with the OS's own tool (FreeBSD: `jail -r`).
#[cfg(not(target_os = "linux"))]
pub fn os_remove_stack(name: &str) {
    assert!(name.starts_with(STACK_PREFIX), "refusing to remove {name}");
    let _ = tool("jail", &["-r", name]);
}

#[cfg(not(target_os = "linux"))]
fn os_destroy_host_if(name: &str) {
    let _ = ifconfig_in("host", &[name, "destroy"]);
}

/// Runs a command inside a stack (FreeBSD: `jexec`).
#[cfg(not(target_os = "linux"))]
pub fn exec_in(stack: &str, cmd: &[&str]) -> Output {
    let mut args = vec![stack];
    args.extend_from_slice(cmd);
    tool("jexec", &args)
}

/// The addresses of an interface as `addr/prefix` (FreeBSD: from `ifconfig IF` in the stack,
/// the netmask converted to a prefix length, an IPv6 `%scope` dropped).
#[cfg(not(target_os = "linux"))]
pub fn ip_addrs(stack: &str, ifname: &str) -> Vec<String> {
    let out = ifconfig_in(stack, &[ifname]);
    assert!(
        out.status.success(),
        "ifconfig {ifname} in {stack} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_ifconfig_addrs(&String::from_utf8_lossy(&out.stdout))
}

/// The `inet`/`inet6` lines of `ifconfig IF` as `addr/prefix`.
fn parse_ifconfig_addrs(text: &str) -> Vec<String> {
    let mut r = vec![];
    for l in text.lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.as_slice() {
            ["inet", a, "netmask", m, ..] => {
                let bits = u32::from_str_radix(m.trim_start_matches("0x"), 16)
                    .map(|m| m.count_ones())
                    .unwrap_or(32);
                r.push(format!("{a}/{bits}"));
            }
            ["inet6", a, "prefixlen", p, ..] => {
                r.push(format!("{}/{p}", a.split('%').next().unwrap_or(a)))
            }
            _ => {}
        }
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Neutral OS actions on stacks (the OS's own tools, never the library)
// ---------------------------------------------------------------------------------------------

/// Destroys interface `ifname` inside `stack` (`"host"`: the host's own) and says whether the
/// tool succeeded (Linux: `ip -n STACK link del dev IF`; FreeBSD: `jexec STACK ifconfig IF
/// destroy`, see [`ifconfig_in`]). Either way a veth/epair takes its peer with it.
pub fn os_destroy_in(stack: &str, ifname: &str) -> bool {
    #[cfg(target_os = "linux")]
    {
        let mut args = vec![];
        if stack != "host" {
            args.extend(["-n", stack]);
        }
        args.extend(["link", "del", "dev", ifname]);
        ip_ok(&args)
    }
    #[cfg(not(target_os = "linux"))]
    {
        ifconfig_in(stack, &[ifname, "destroy"]).status.success()
    }
}

/// Creates a tap named `ifname` inside `stack` and says whether the tool succeeded (Linux:
/// `ip -n STACK tuntap add IF mode tap`; FreeBSD: `jexec STACK ifconfig tap create name IF`).
pub fn os_add_tap_in(stack: &str, ifname: &str) -> bool {
    #[cfg(target_os = "linux")]
    {
        let mut args = vec![];
        if stack != "host" {
            args.extend(["-n", stack]);
        }
        args.extend(["tuntap", "add", ifname, "mode", "tap"]);
        ip_ok(&args)
    }
    #[cfg(not(target_os = "linux"))]
    {
        ifconfig_in(stack, &["tap", "create", "name", ifname])
            .status
            .success()
    }
}

/// Creates a named test stack with the OS's own tool and says whether it succeeded (Linux:
/// `ip netns add`; FreeBSD: `jail -c name=N path=/ vnet persist`, a stack as ifclone makes one).
pub fn os_add_stack(name: &str) -> bool {
    assert!(name.starts_with(STACK_PREFIX), "refusing to create {name}");
    #[cfg(target_os = "linux")]
    {
        ip_ok(&["netns", "add", name])
    }
    #[cfg(not(target_os = "linux"))]
    {
        let n = format!("name={name}");
        tool("jail", &["-c", &n, "path=/", "vnet", "persist"])
            .status
            .success()
    }
}

/// Like [`os_remove_stack`], but says whether the tool succeeded.
pub fn os_remove_stack_ok(name: &str) -> bool {
    assert!(name.starts_with(STACK_PREFIX), "refusing to remove {name}");
    #[cfg(target_os = "linux")]
    {
        ip_ok(&["netns", "del", name])
    }
    #[cfg(not(target_os = "linux"))]
    {
        tool("jail", &["-r", name]).status.success()
    }
}

/// A command that runs `program` inside `stack`, to be spawned by the caller (Linux:
/// `ip netns exec STACK PROGRAM`; FreeBSD: `jexec STACK PROGRAM`). Unlike [`exec_in`] it is not
/// run here, so the caller can set its environment and wait for it as it likes.
pub fn command_in(stack: &str, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    #[cfg(target_os = "linux")]
    {
        let mut c = std::process::Command::new("ip");
        c.args(["netns", "exec", stack]).arg(program);
        c
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut c = std::process::Command::new("jexec");
        c.arg(stack).arg(program);
        c
    }
}

/// Creates the epair `a`/`b` in `stack` (both ends there); panics with the stack and the error.
pub fn epair(stack: &Stack, a: &str, b: &str) {
    let name = |x: &str| ifclone::IfName::new(x).unwrap();
    let req = ifclone::CreateRequest::new(ifclone::KindSpec::Epair {
        peer_name: Some(name(b)),
    })
    .named(name(a));
    stack
        .create_interface(&req)
        .unwrap_or_else(|e| panic!("create epair {a}/{b} in {}: {e}", stack.name()));
}
