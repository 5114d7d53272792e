//! Benchmark: ifclone beside `ip -batch` doing the same work, on the same fresh state.
//!
//! ```text
//! cargo run --release --example bench [-- --n 1000 --list-n 10000 --only create,destroy,list,move]
//! ```
//!
//! Run as root on Linux. Every measured phase runs in a fresh child process: ifclone phases
//! re-execute this binary with a hidden `--phase` subcommand, `ip` phases run `ip -n NS -batch
//! FILE`. The parent takes the child's wall time around spawn → reap and its CPU time (user+sys)
//! and peak RSS from the `rusage` that `wait4` returns for that one child. A phase that fails
//! (or panics, while parts of the library are still `todo!()`) marks its row `n/a`; the run goes
//! on. Network namespaces are named `ifcbench-<pid>-<tag>` and removed at the end, also on
//! failure.

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    linux::main()
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("bench: compares against iproute2's `ip`, so it runs on Linux only");
    std::process::ExitCode::from(2)
}

#[cfg(target_os = "linux")]
mod linux {
    use std::cell::RefCell;
    use std::fmt::Write as _;
    use std::os::unix::process::ExitStatusExt;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::path::PathBuf;
    use std::process::{Command, ExitCode, ExitStatus, Stdio};
    use std::time::{Duration, Instant};

    use ifclone::vmove::{self, MoveOptions, Strategy};
    use ifclone::{CreateRequest, IfName, KindSpec, Stack};
    use nix::sys::resource::{getrusage, Usage, UsageWho};
    use nix::sys::time::TimeVal;

    const USAGE: &str = "\
usage: bench [--n N] [--list-n N] [--only create,destroy,list,move]
  --n N        interfaces per create/destroy/move phase (default 1000)
  --list-n N   interfaces in the listed stack (default 10000; made as N/2 veth pairs)
  --only LIST  phases to run (default all)
Run as root. Prints a markdown table: phase | tool | wall s | cpu s | peak MiB | ratio vs ip.";

    const PHASES: [&str; 4] = ["create", "destroy", "list", "move"];

    // -----------------------------------------------------------------------------------------
    // Measurement

    /// What one child cost.
    #[derive(Clone, Copy, Debug, Default)]
    struct Measure {
        wall: Duration,
        cpu: Duration,
        /// Peak resident set, KiB (Linux `ru_maxrss`).
        maxrss_kib: u64,
    }

    impl Measure {
        /// Two children run one after the other (ip's move there, then back).
        fn then(self, o: Measure) -> Measure {
            Measure {
                wall: self.wall + o.wall,
                cpu: self.cpu + o.cpu,
                maxrss_kib: self.maxrss_kib.max(o.maxrss_kib),
            }
        }
    }

    fn tv(t: TimeVal) -> Duration {
        Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
    }

    /// Waits for the measurer's only child and reads its resource usage: with exactly one
    /// child, `RUSAGE_CHILDREN` is that child's own usage.
    fn wait_usage(mut child: std::process::Child) -> std::io::Result<(ExitStatus, Usage)> {
        let status = child.wait()?;
        let ru = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(std::io::Error::from)?;
        Ok((status, ru))
    }

    /// Runs `cmd` to completion in a child and measures it (in the measurer process). The
    /// child's stderr goes where ours goes; an unsuccessful exit is an error.
    fn measure_direct(cmd: &mut Command) -> Result<Measure, String> {
        cmd.stdin(Stdio::null()).stdout(Stdio::null());
        let start = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| format!("spawn {:?}: {e}", cmd.get_program()))?;
        let (status, ru) = wait_usage(child).map_err(|e| format!("wait: {e}"))?;
        let wall = start.elapsed();
        if !status.success() {
            return Err(match (status.code(), status.signal()) {
                (Some(101), _) => "panicked".to_string(),
                (Some(c), _) => format!("exit {c}"),
                (_, Some(s)) => format!("signal {s}"),
                _ => "failed".to_string(),
            });
        }
        Ok(Measure {
            wall,
            cpu: tv(ru.user_time()) + tv(ru.system_time()),
            maxrss_kib: ru.max_rss() as u64,
        })
    }

    /// The hidden `--measure PROG ARGS…` mode: measure one child, print `wall_ns cpu_ns maxrss_kib`.
    ///
    /// Why a separate small process: Linux seeds a child's `ru_maxrss` with the high-water RSS of
    /// the address space it `exec`s from, and std spawns with vfork semantics (shared address
    /// space), so children of the long-lived parent would all report at least the parent's
    /// peak. The measurer is freshly exec'd and tiny, so the floor it adds is its own ≈2 MiB.
    fn measurer(args: &[String]) -> ExitCode {
        let Some((prog, rest)) = args.split_first() else {
            eprintln!("bench --measure: no program");
            return ExitCode::from(2);
        };
        match measure_direct(Command::new(prog).args(rest)) {
            Ok(m) => {
                println!(
                    "{} {} {}",
                    m.wall.as_nanos(),
                    m.cpu.as_nanos(),
                    m.maxrss_kib
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        }
    }

    /// Measures `cmd` through a fresh measurer process. Errors carry the last line the child (or
    /// the measurer) wrote to stderr.
    fn measure(cmd: &mut Command) -> Result<Measure, String> {
        let out = me()
            .arg("--measure")
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("spawn measurer: {e}"))?;
        let err = String::from_utf8_lossy(&out.stderr);
        let mut lines = err.lines().rev().filter(|l| !l.trim().is_empty());
        if !out.status.success() {
            let how = lines.next().unwrap_or("failed").trim().to_string();
            return Err(match lines.next() {
                Some(why) => format!("{how}: {}", why.trim().trim_start_matches("panic: ")),
                None => how,
            });
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Vec<u128> = text
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        match v[..] {
            [w, c, r] => Ok(Measure {
                wall: Duration::from_nanos(w as u64),
                cpu: Duration::from_nanos(c as u64),
                maxrss_kib: r as u64,
            }),
            _ => Err(format!("measurer said {text:?}")),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Namespaces and files, cleaned up on every path

    struct Env {
        pid: u32,
        dir: PathBuf,
        /// Every netns we made: (name, made by ifclone).
        stacks: RefCell<Vec<(String, bool)>>,
        counter: RefCell<u32>,
    }

    impl Env {
        fn new() -> std::io::Result<Env> {
            let pid = std::process::id();
            let dir = std::env::temp_dir().join(format!("ifcbench-{pid}"));
            std::fs::create_dir_all(&dir)?;
            Ok(Env {
                pid,
                dir,
                stacks: RefCell::new(Vec::new()),
                counter: RefCell::new(0),
            })
        }

        fn fresh_name(&self, tag: &str) -> String {
            let mut c = self.counter.borrow_mut();
            *c += 1;
            format!("ifcbench-{}-{tag}{}", self.pid, *c)
        }

        /// A fresh netns made by `ip netns add`.
        fn ip_netns(&self, tag: &str) -> Result<String, String> {
            let name = self.fresh_name(tag);
            run_quiet(Command::new("ip").args(["netns", "add", &name]))?;
            self.stacks.borrow_mut().push((name.clone(), false));
            Ok(name)
        }

        /// A fresh stack made by the library (in this process; it is not part of any timing).
        fn lib_stack(&self, tag: &str) -> Result<String, String> {
            let name = self.fresh_name(tag);
            let r = catch_unwind(|| Stack::create(&name).map(drop));
            match r {
                Ok(Ok(())) => {
                    self.stacks.borrow_mut().push((name.clone(), true));
                    Ok(name)
                }
                Ok(Err(e)) => Err(format!("Stack::create: {e}")),
                Err(p) => Err(format!("Stack::create panicked: {}", panic_text(&*p))),
            }
        }

        fn batch(&self, tag: &str, lines: impl Iterator<Item = String>) -> Result<PathBuf, String> {
            let path = self.dir.join(format!("{tag}.batch"));
            let mut text = String::new();
            for l in lines {
                text.push_str(&l);
                text.push('\n');
            }
            std::fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
            Ok(path)
        }

        /// Destroys everything in `ns` synchronously (one group delete), so the kernel's cleanup
        /// of a big namespace does not run under the next phase's measurement; then removes it.
        fn remove(&self, ns: &str) {
            let entry = {
                let mut s = self.stacks.borrow_mut();
                let Some(i) = s.iter().position(|(n, _)| n == ns) else {
                    return;
                };
                s.remove(i)
            };
            remove_ns(ns, entry.1);
        }
    }

    /// Empties and removes one namespace: through the library when it made it (so its ledger
    /// forgets the stack), else — or when that fails — with `ip netns del`.
    fn remove_ns(ns: &str, by_lib: bool) {
        drain(ns);
        let gone = by_lib
            && matches!(
                catch_unwind(|| Stack::open_name(ns).and_then(|s| s.remove())),
                Ok(Ok(_))
            );
        if !gone {
            let _ = run_quiet(Command::new("ip").args(["netns", "del", ns]));
        }
    }

    /// Removes what an earlier bench left behind when it was killed (Ctrl-C skips the cleanup):
    /// `ifcbench-<pid>-*` namespaces and temp dirs whose pid is no longer running.
    fn reap_stale() {
        let dead = |name: &str| -> bool {
            let Some(pid) = name
                .strip_prefix("ifcbench-")
                .and_then(|r| r.split('-').next())
                .and_then(|p| p.parse::<u32>().ok())
            else {
                return false;
            };
            // Gone, or a zombie nobody reaped yet.
            let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|st| {
                    !st.rsplit_once(") ")
                        .is_some_and(|(_, r)| r.starts_with('Z'))
                })
                .unwrap_or(false);
            pid != std::process::id() && !alive
        };
        if let Ok(rd) = std::fs::read_dir("/run/netns") {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if dead(&name) {
                    eprintln!("bench: removing {name}, left behind by an earlier run");
                    remove_ns(&name, true);
                }
            }
        }
        if let Ok(rd) = std::fs::read_dir(std::env::temp_dir()) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if dead(&format!("{name}-")) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }

    impl Drop for Env {
        fn drop(&mut self) {
            let names: Vec<String> = self.stacks.borrow().iter().map(|s| s.0.clone()).collect();
            for n in names {
                self.remove(&n);
            }
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    }

    /// Runs a setup/cleanup command (not measured); errors carry its stderr.
    fn run_quiet(cmd: &mut Command) -> Result<(), String> {
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{:?}: {e}", cmd.get_program()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{:?} {:?}: {}",
                cmd.get_program(),
                cmd.get_args().collect::<Vec<_>>(),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Deletes every interface but `lo` in `ns`, through `ip`'s group delete.
    fn drain(ns: &str) {
        let Ok(out) = Command::new("ip")
            .args(["-n", ns, "-o", "link", "show"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
        else {
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let mut batch = String::new();
        for line in text.lines() {
            // "5: b0a@b0b: <BROADCAST,...> ..."
            let Some(name) = line.split(": ").nth(1) else {
                continue;
            };
            let name = name.split('@').next().unwrap_or(name);
            if name != "lo" {
                writeln!(batch, "link set dev {name} group 4242").unwrap();
            }
        }
        if batch.is_empty() {
            return;
        }
        batch.push_str("link delete group 4242\n");
        let Ok(mut child) = Command::new("ip")
            .args(["-n", ns, "-force", "-batch", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            return;
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = std::io::Write::write_all(&mut stdin, batch.as_bytes());
        }
        let _ = child.wait();
    }

    /// Fills `ns` with `pairs` veth pairs `{p}{i}a`/`{p}{i}b` (setup, not measured).
    fn fill(env: &Env, ns: &str, prefix: &str, pairs: usize) -> Result<(), String> {
        let f = env.batch(
            &format!("fill-{ns}"),
            (0..pairs).map(|i| format!("link add {prefix}{i}a type veth peer name {prefix}{i}b")),
        )?;
        run_quiet(Command::new("ip").args(["-n", ns, "-batch"]).arg(&f))
    }

    fn ip_batch(ns: &str, file: &PathBuf) -> Command {
        let mut c = Command::new("ip");
        c.args(["-n", ns, "-batch"]).arg(file);
        c
    }

    fn me() -> Command {
        Command::new(std::env::current_exe().unwrap_or_else(|_| "bench".into()))
    }

    // -----------------------------------------------------------------------------------------
    // Rows

    struct Row {
        phase: String,
        tool: String,
        result: Result<Measure, String>,
        /// Ratio denominators come from the first `ip` row of the same phase.
        baseline: bool,
    }

    struct Table {
        rows: Vec<Row>,
    }

    impl Table {
        fn push(
            &mut self,
            phase: &str,
            tool: &str,
            baseline: bool,
            result: Result<Measure, String>,
        ) {
            match &result {
                Ok(m) => eprintln!(
                    "bench: {phase} / {tool}: {:.3} s wall, {:.3} s cpu, {:.1} MiB",
                    m.wall.as_secs_f64(),
                    m.cpu.as_secs_f64(),
                    m.maxrss_kib as f64 / 1024.0
                ),
                Err(e) => eprintln!("bench: {phase} / {tool}: n/a ({e})"),
            }
            self.rows.push(Row {
                phase: phase.into(),
                tool: tool.into(),
                result,
                baseline,
            });
        }

        fn render(&self) -> String {
            let mut s = String::from(
                "| phase | tool | wall s | cpu s | peak MiB | ratio vs ip |\n|---|---|---:|---:|---:|---:|\n",
            );
            let mut notes = Vec::new();
            for r in &self.rows {
                let base = self
                    .rows
                    .iter()
                    .find(|b| b.phase == r.phase && b.baseline)
                    .and_then(|b| b.result.as_ref().ok());
                match &r.result {
                    Ok(m) => {
                        let ratio = match base {
                            Some(b) if !b.wall.is_zero() => {
                                format!("{:.2}", m.wall.as_secs_f64() / b.wall.as_secs_f64())
                            }
                            _ => "–".into(),
                        };
                        writeln!(
                            s,
                            "| {} | {} | {:.3} | {:.3} | {:.1} | {} |",
                            r.phase,
                            r.tool,
                            m.wall.as_secs_f64(),
                            m.cpu.as_secs_f64(),
                            m.maxrss_kib as f64 / 1024.0,
                            ratio
                        )
                        .unwrap();
                    }
                    Err(e) => {
                        notes.push(format!("- {} / {}: {e}", r.phase, r.tool));
                        writeln!(s, "| {} | {} | n/a | n/a | n/a | n/a |", r.phase, r.tool)
                            .unwrap();
                    }
                }
            }
            s.push_str(
                "\nratio: wall time over the wall time of the phase's first `ip` row. \
                 peak MiB: the child's ru_maxrss.\n",
            );
            if !notes.is_empty() {
                s.push_str("\nn/a rows:\n");
                for n in notes {
                    s.push_str(&n);
                    s.push('\n');
                }
            }
            s
        }
    }

    // -----------------------------------------------------------------------------------------
    // The phases, as the parent runs them

    #[derive(Debug)]
    struct Opts {
        n: usize,
        list_n: usize,
        only: Vec<String>,
    }

    fn w1(env: &Env, t: &mut Table, o: &Opts) {
        let n = o.n;
        let create = o.only.iter().any(|p| p == "create");
        let destroy = o.only.iter().any(|p| p == "destroy");
        let cphase = format!("W1 create {n} epairs");
        let dphase = format!("W1 destroy {n} epairs");

        // Stacks left holding n pairs by the create phases, reused by the destroy phases.
        let mut lib_full: Option<String> = None;
        let mut ip_full: Option<String> = None;
        if create {
            let r = env.ip_netns("ci").and_then(|ns| {
                let f = env.batch(
                    "create-ip",
                    (0..n).map(|i| format!("link add b{i}a type veth peer name b{i}b")),
                )?;
                let m = measure(&mut ip_batch(&ns, &f));
                if m.is_ok() {
                    ip_full = Some(ns.clone());
                } else {
                    env.remove(&ns);
                }
                m
            });
            t.push(&cphase, "ip -batch (link add … type veth peer …)", true, r);

            let r = env.lib_stack("cl").and_then(|ns| {
                let m = measure(
                    me().args(["--phase", "create", "--ns", &ns, "--n"])
                        .arg(n.to_string()),
                );
                if m.is_ok() {
                    lib_full = Some(ns.clone());
                } else {
                    env.remove(&ns);
                }
                m
            });
            t.push(&cphase, "ifclone create_interface", false, r);
        }
        if destroy {
            let ready = |full: Option<String>, lib: bool, tag: &str| -> Result<String, String> {
                match full {
                    Some(ns) => Ok(ns),
                    None => {
                        let ns = if lib {
                            env.lib_stack(tag)?
                        } else {
                            env.ip_netns(tag)?
                        };
                        fill(env, &ns, "b", n).inspect_err(|_| env.remove(&ns))?;
                        Ok(ns)
                    }
                }
            };
            let dels = (0..n).map(|i| format!("b{i}a"));

            let r = ready(ip_full.take(), false, "di").and_then(|ns| {
                let f = env.batch("destroy-ip", dels.clone().map(|d| format!("link del {d}")))?;
                let m = measure(&mut ip_batch(&ns, &f));
                env.remove(&ns);
                m
            });
            t.push(&dphase, "ip -batch (link del, one by one)", true, r);

            let r = ready(None, false, "dg").and_then(|ns| {
                let f = env.batch(
                    "destroy-ip-group",
                    dels.clone()
                        .map(|d| format!("link set dev {d} group 9"))
                        .chain(std::iter::once("link delete group 9".to_string())),
                )?;
                let m = measure(&mut ip_batch(&ns, &f));
                env.remove(&ns);
                m
            });
            t.push(&dphase, "ip -batch (set group ×N, delete group)", false, r);

            let r = ready(lib_full.take(), true, "dl").and_then(|ns| {
                let m = measure(
                    me().args(["--phase", "destroy", "--ns", &ns, "--n"])
                        .arg(n.to_string()),
                );
                env.remove(&ns);
                m
            });
            t.push(&dphase, "ifclone destroy_many", false, r);
        }
        for ns in [lib_full, ip_full].into_iter().flatten() {
            env.remove(&ns);
        }
    }

    fn w3(env: &Env, t: &mut Table, o: &Opts) {
        let pairs = o.list_n.div_ceil(2);
        let total = pairs * 2;
        let phase = format!("W3 list {total} interfaces");
        let ns = match env.ip_netns("l").and_then(|ns| {
            eprintln!("bench: making {total} interfaces in {ns} (setup)");
            fill(env, &ns, "l", pairs).map(|_| ns)
        }) {
            Ok(ns) => ns,
            Err(e) => {
                t.push(&phase, "ip -d -j link show", true, Err(e.clone()));
                t.push(&phase, "ifclone interfaces()", false, Err(e));
                return;
            }
        };
        let r = measure(Command::new("ip").args(["-n", &ns, "-d", "-j", "link", "show"]));
        t.push(&phase, "ip -d -j link show", true, r);
        let r = measure(
            me().args(["--phase", "list", "--ns", &ns, "--n"])
                .arg(total.to_string()),
        );
        t.push(&phase, "ifclone interfaces()", false, r);
        env.remove(&ns);
    }

    /// W2: `n` epair ends from A to B, then back, each direction in its own child; the third
    /// row group is the sum. A failed first direction makes the second `n/a`.
    fn w2(env: &Env, t: &mut Table, o: &Opts) {
        let n = o.n;
        let phases = [
            format!("W2 move {n} epair ends A→B"),
            format!("W2 move {n} epair ends B→A"),
            format!("W2 move {n} epair ends A→B→A"),
        ];
        type Legs = (Result<Measure, String>, Result<Measure, String>);
        let legs =
            |a: &str, b: &str, run: &dyn Fn(&str, &str) -> Result<Measure, String>| -> Legs {
                let there = fill(env, a, "b", n).and_then(|_| run(a, b));
                let back = match &there {
                    Ok(_) => run(b, a),
                    Err(_) => Err("the A→B move failed".into()),
                };
                (there, back)
            };
        let mut rows: Vec<(&str, bool, Legs)> = Vec::new();

        // ip: `link set dev X netns B` run in A, then `link set dev X netns A` run in B.
        let ip_run = |from: &str, to: &str| -> Result<Measure, String> {
            let f = env.batch(
                &format!("move-{from}"),
                (0..n).map(|i| format!("link set dev b{i}a netns {to}")),
            )?;
            measure(&mut ip_batch(from, &f))
        };
        let r = match (env.ip_netns("mia"), env.ip_netns("mib")) {
            (Ok(a), Ok(b)) => {
                let l = legs(&a, &b, &ip_run);
                env.remove(&a);
                env.remove(&b);
                l
            }
            (Err(e), _) | (_, Err(e)) => (Err(e.clone()), Err(e)),
        };
        rows.push(("ip -batch (link set … netns)", true, r));

        for (mode, tool) in [
            ("native", "ifclone vmove_many, strategy native"),
            ("recreate", "ifclone vmove_many, strategy recreate"),
            ("fast", "ifclone vmove_many, epair_fast_path"),
        ] {
            let lib_run = |from: &str, to: &str| -> Result<Measure, String> {
                measure(
                    me().args(["--phase", "move", "--ns", from, "--ns2", to, "--mode", mode])
                        .arg("--n")
                        .arg(n.to_string()),
                )
            };
            let r = match (env.lib_stack("mla"), env.lib_stack("mlb")) {
                (Ok(a), Ok(b)) => {
                    let l = legs(&a, &b, &lib_run);
                    env.remove(&a);
                    env.remove(&b);
                    l
                }
                (Err(e), _) | (_, Err(e)) => (Err(e.clone()), Err(e)),
            };
            rows.push((tool, false, r));
        }
        for (tool, base, (there, _)) in &rows {
            t.push(&phases[0], tool, *base, there.clone());
        }
        for (tool, base, (_, back)) in &rows {
            t.push(&phases[1], tool, *base, back.clone());
        }
        for (tool, base, (there, back)) in rows {
            let sum = match (there, back) {
                (Ok(a), Ok(b)) => Ok(a.then(b)),
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
            t.push(&phases[2], tool, base, sum);
        }
    }

    // -----------------------------------------------------------------------------------------
    // The children: one measured phase each

    fn child(args: &[String]) -> Result<(), String> {
        let mut phase = None;
        let (mut ns, mut ns2, mut mode) = (None, None, None);
        let mut n = 0usize;
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut v = || it.next().cloned().ok_or(format!("missing value after {a}"));
            match a.as_str() {
                "--phase" => phase = Some(v()?),
                "--ns" => ns = Some(v()?),
                "--ns2" => ns2 = Some(v()?),
                "--mode" => mode = Some(v()?),
                "--n" => n = v()?.parse().map_err(|_| "bad --n".to_string())?,
                _ => return Err(format!("unknown child argument {a}")),
            }
        }
        let ns = ns.ok_or("--ns is required")?;
        let e = |e: ifclone::Error| e.to_string();
        let st = Stack::open_name(&ns).map_err(e)?;
        match phase.as_deref() {
            Some("create") => {
                for i in 0..n {
                    let name = IfName::new(&format!("b{i}a")).map_err(e)?;
                    let peer = IfName::new(&format!("b{i}b")).map_err(e)?;
                    let req = CreateRequest::new(KindSpec::Epair {
                        peer_name: Some(peer),
                    })
                    .named(name);
                    st.create_interface(&req).map_err(e)?;
                }
            }
            Some("destroy") => {
                let names: Vec<String> = (0..n).map(|i| format!("b{i}a")).collect();
                st.destroy_many(&names).map_err(e)?;
            }
            Some("list") => {
                let got = st.interfaces().map_err(e)?.len();
                // `n` is what the stack holds besides lo.
                if got < n {
                    return Err(format!("listed {got} interfaces, expected at least {n}"));
                }
            }
            Some("move") => {
                let other = Stack::open_name(&ns2.ok_or("--ns2 is required")?).map_err(e)?;
                let opts = match mode.as_deref() {
                    Some("native") => MoveOptions {
                        strategy: Some(Strategy::Native),
                        ..MoveOptions::default()
                    },
                    Some("recreate") => MoveOptions {
                        strategy: Some(Strategy::Recreate),
                        ..MoveOptions::default()
                    },
                    Some("fast") => MoveOptions {
                        epair_fast_path: true,
                        ..MoveOptions::default()
                    },
                    m => return Err(format!("bad --mode {m:?}")),
                };
                let names: Vec<String> = (0..n).map(|i| format!("b{i}a")).collect();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                vmove::vmove_many(&st, &refs, &other, &opts).map_err(e)?;
            }
            p => return Err(format!("unknown phase {p:?}")),
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------

    fn parse(args: &[String]) -> Result<Opts, String> {
        let mut o = Opts {
            n: 1000,
            list_n: 10000,
            only: PHASES.iter().map(|s| s.to_string()).collect(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut v = || it.next().cloned().ok_or(format!("missing value after {a}"));
            match a.as_str() {
                "--n" => o.n = v()?.parse().map_err(|_| "bad --n")?,
                "--list-n" => o.list_n = v()?.parse().map_err(|_| "bad --list-n")?,
                "--only" => {
                    o.only = v()?.split(',').map(|s| s.trim().to_string()).collect();
                    if let Some(bad) = o.only.iter().find(|p| !PHASES.contains(&p.as_str())) {
                        return Err(format!(
                            "unknown phase {bad:?} (phases: {})",
                            PHASES.join(",")
                        ));
                    }
                }
                "-h" | "--help" => return Err(String::new()),
                _ => return Err(format!("unknown argument {a:?}")),
            }
        }
        if o.n == 0 || o.n > 99_999 || o.list_n == 0 || o.list_n > 199_998 {
            return Err("--n must be 1..=99999 and --list-n 1..=199998".into());
        }
        Ok(o)
    }

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        // One line per panic (a `todo!()` in the library marks a row n/a with its message).
        std::panic::set_hook(Box::new(|info| {
            let msg = panic_text(info.payload());
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!("panic: {msg}{at}");
        }));
        if args.first().map(String::as_str) == Some("--measure") {
            return measurer(&args[1..]);
        }
        if args.first().map(String::as_str) == Some("--phase") {
            return match child(&args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("bench child: {e}");
                    ExitCode::from(1)
                }
            };
        }
        let o = match parse(&args) {
            Ok(o) => o,
            Err(e) => {
                if !e.is_empty() {
                    eprintln!("bench: {e}");
                }
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        };
        if !nix::unistd::geteuid().is_root() {
            eprintln!("bench: run as root (it creates network namespaces)");
            return ExitCode::from(1);
        }
        reap_stale();
        let env = match Env::new() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("bench: temp dir: {e}");
                return ExitCode::from(1);
            }
        };
        let mut t = Table { rows: Vec::new() };
        let has = |p: &str| o.only.iter().any(|x| x == p);
        // Whatever happens in a phase, `env` removes the namespaces when it goes out of scope.
        let r = catch_unwind(AssertUnwindSafe(|| {
            if has("create") || has("destroy") {
                w1(&env, &mut t, &o);
            }
            if has("list") {
                w3(&env, &mut t, &o);
            }
            if has("move") {
                w2(&env, &mut t, &o);
            }
        }));
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let ip = Command::new("ip")
            .arg("-V")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        println!(
            "\nLinux {}, {ip}; n = {}, list-n = {}; each phase is a fresh child process.\n",
            kernel.trim(),
            o.n,
            o.list_n
        );
        print!("{}", t.render());
        drop(env);
        if r.is_err() {
            eprintln!("bench: a phase panicked in the parent; namespaces were removed");
            return ExitCode::from(1);
        }
        ExitCode::SUCCESS
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn args(s: &str) -> Vec<String> {
            s.split_whitespace().map(String::from).collect()
        }

        #[test]
        fn options() {
            let o = parse(&[]).unwrap();
            assert_eq!((o.n, o.list_n, o.only.len()), (1000, 10000, 4));
            let o = parse(&args("--n 20 --list-n 200 --only create,move")).unwrap();
            assert_eq!((o.n, o.list_n), (20, 200));
            assert_eq!(o.only, ["create", "move"]);
            assert!(parse(&args("--only create,teleport"))
                .unwrap_err()
                .contains("teleport"));
            assert!(parse(&args("--n")).unwrap_err().contains("missing value"));
            assert!(parse(&args("--n x")).is_err());
            assert!(parse(&args("--n 0")).is_err());
            assert!(parse(&args("--frob")).is_err());
        }

        #[test]
        fn table() {
            let m = |wall_ms, rss| {
                Ok(Measure {
                    wall: Duration::from_millis(wall_ms),
                    cpu: Duration::from_millis(wall_ms / 2),
                    maxrss_kib: rss,
                })
            };
            let mut t = Table { rows: Vec::new() };
            t.push("W1", "ip", true, m(2000, 2048));
            t.push("W1", "ifclone", false, m(500, 4096));
            t.push(
                "W2",
                "ifclone",
                false,
                Err("panicked: not yet implemented".into()),
            );
            let out = t.render();
            assert!(
                out.contains("| W1 | ip | 2.000 | 1.000 | 2.0 | 1.00 |"),
                "{out}"
            );
            assert!(
                out.contains("| W1 | ifclone | 0.500 | 0.250 | 4.0 | 0.25 |"),
                "{out}"
            );
            assert!(
                out.contains("| W2 | ifclone | n/a | n/a | n/a | n/a |"),
                "{out}"
            );
            assert!(
                out.contains("- W2 / ifclone: panicked: not yet implemented"),
                "{out}"
            );
        }
    }
}
