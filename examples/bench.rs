//! Benchmark: ifclone beside `ip -batch` doing the same work, on the same fresh state.
//!
//! ```text
//! cargo run --release --example bench [-- --n 1000 --list-n 10000 --reps 3 --only create,list]
//! ```
//!
//! Run as root on Linux. Every measured sample runs in a fresh child process: ifclone samples
//! re-execute this binary with a hidden `--phase` subcommand, `ip` samples run `ip -n NS -batch
//! FILE`. Wall time is the child's whole life (exec to exit) for both sides; CPU time (user+sys)
//! and peak RSS come from the `rusage` that `wait4` returns for that one child, taken in a small
//! measurer process. The ifclone child also reads `ifclone::kernel_requests()` before and after
//! the measured calls and writes the difference to a report file.
//!
//! Each row runs `--reps` times, ip and ifclone interleaved (ip, ifclone, ip, ifclone, …), each
//! sample on freshly made, identical state (every namespace is made by `ip netns add`, every
//! fill by the same `ip -batch`). A side that fails marks its cells `n/a`; the run goes on and
//! exits non-zero at the end. Network namespaces are named `ifcbench-<pid>-<tag>` and removed at
//! the end, also on failure, panic and SIGINT/SIGTERM/SIGHUP.

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
    use std::collections::BTreeMap;
    use std::fmt::Write as _;
    use std::io::Write as _;
    use std::os::unix::process::ExitStatusExt;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::path::{Path, PathBuf};
    use std::process::{Command, ExitCode, ExitStatus, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use ifclone::vmove::{self, MoveOptions, Receipt, Strategy};
    use ifclone::{CreateRequest, IfName, Interface, KindSpec, LinkRef, Mac, Stack};
    use nix::sys::resource::{getrusage, Usage, UsageWho};
    use nix::sys::time::TimeVal;

    const USAGE: &str = "\
usage: bench [--n N] [--list-n L] [--reps R] [--stacks K] [--timeout S] [--only LIST]
  --n N        interfaces per create/destroy/move row (default 1000; recreate uses N/10)
  --list-n L   interfaces in the listed stack (default 10000; made as L/2 veth pairs)
  --reps R     samples per row and side, interleaved ip/ifclone (default 3)
  --stacks K   stacks made and removed by the stack rows (default 100)
  --timeout S  kill a measured child after S seconds (default 600)
  --only LIST  row groups to run, comma-separated (default all):
               create,destroy,list,vmove,vmove_many,recreate,stacks (move = the last three moves)
Run as root. Prints a markdown table; the ratio is ifclone median / ip median.";

    const PHASES: [&str; 7] = [
        "create",
        "destroy",
        "list",
        "vmove",
        "vmove_many",
        "recreate",
        "stacks",
    ];

    /// Pause before every measured sample, so that the kernel's asynchronous work left by the
    /// previous sample's teardown (netns cleanup runs on a workqueue) does not run under it.
    const SETTLE: Duration = Duration::from_millis(100);
    /// After removing many stacks: their cleanup takes longer.
    const SETTLE_STACKS: Duration = Duration::from_millis(1000);
    /// The interface group the ip side of the bulk destroy row uses.
    const IP_GROUP: u32 = 7;

    /// Set by SIGINT/SIGTERM/SIGHUP: no further samples start; the namespaces are removed.
    static STOP: AtomicBool = AtomicBool::new(false);

    extern "C" fn on_signal(_: nix::libc::c_int) {
        STOP.store(true, Ordering::SeqCst);
    }

    fn catch_signals() {
        use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
        let act = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::empty(),
            SigSet::empty(),
        );
        for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
            // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
            let _ = unsafe { sigaction(s, &act) };
        }
    }

    fn stopped() -> bool {
        STOP.load(Ordering::SeqCst)
    }

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
    /// child's stderr goes where ours goes; an unsuccessful exit is an error; a child that
    /// outlives `timeout` is killed.
    fn measure_direct(cmd: &mut Command, timeout: Duration) -> Result<Measure, String> {
        cmd.stdin(Stdio::null()).stdout(Stdio::null());
        let start = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| format!("spawn {:?}: {e}", cmd.get_program()))?;
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let fired = Arc::new(AtomicBool::new(false));
        {
            let fired = fired.clone();
            // The measurer exits right after the child is reaped, so the pid cannot be reused
            // under this thread while the child it names is still ours.
            std::thread::spawn(move || {
                std::thread::sleep(timeout);
                fired.store(true, Ordering::SeqCst);
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            });
        }
        let (status, ru) = wait_usage(child).map_err(|e| format!("wait: {e}"))?;
        let wall = start.elapsed();
        if fired.load(Ordering::SeqCst) {
            return Err(format!("timed out after {} s", timeout.as_secs()));
        }
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

    /// The hidden `--measure TIMEOUT_S PROG ARGS…` mode: measure one child, print
    /// `wall_ns cpu_ns maxrss_kib`.
    ///
    /// Why a separate small process: Linux seeds a child's `ru_maxrss` with the high-water RSS of
    /// the address space it `exec`s from, and std spawns with vfork semantics (shared address
    /// space), so children of the long-lived parent would all report at least the parent's
    /// peak. The measurer is freshly exec'd and tiny, so the floor it adds is its own ≈2 MiB.
    fn measurer(args: &[String]) -> ExitCode {
        let Some((secs, rest)) = args.split_first() else {
            eprintln!("bench --measure: no timeout");
            return ExitCode::from(2);
        };
        let Ok(secs) = secs.parse::<u64>() else {
            eprintln!("bench --measure: bad timeout {secs:?}");
            return ExitCode::from(2);
        };
        let Some((prog, rest)) = rest.split_first() else {
            eprintln!("bench --measure: no program");
            return ExitCode::from(2);
        };
        match measure_direct(
            Command::new(prog).args(rest),
            Duration::from_secs(secs.max(1)),
        ) {
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
    fn measure(cmd: &Command, timeout: Duration) -> Result<Measure, String> {
        let out = me()
            .arg("--measure")
            .arg(timeout.as_secs().to_string())
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

    /// What an ifclone child reports about its measured calls.
    #[derive(Clone, Debug, Default, PartialEq)]
    struct Report {
        /// `kernel_requests()` after − before the measured calls.
        requests: u64,
        /// Strategy of every receipt (moves only): strategy → count.
        strategies: BTreeMap<String, u64>,
        /// JSON bytes written (list only).
        bytes: Option<u64>,
    }

    impl Report {
        fn render(&self) -> String {
            let mut s = format!("requests {}\n", self.requests);
            for (k, v) in &self.strategies {
                writeln!(s, "strategy {k} {v}").unwrap();
            }
            if let Some(b) = self.bytes {
                writeln!(s, "bytes {b}").unwrap();
            }
            s
        }

        fn parse(text: &str) -> Result<Report, String> {
            let mut r = Report::default();
            let mut seen = false;
            for line in text.lines() {
                let w: Vec<&str> = line.split_whitespace().collect();
                let num = |s: &str| s.parse::<u64>().map_err(|_| format!("bad report {line:?}"));
                match w[..] {
                    ["requests", n] => {
                        r.requests = num(n)?;
                        seen = true;
                    }
                    ["strategy", k, n] => {
                        r.strategies.insert(k.to_string(), num(n)?);
                    }
                    ["bytes", n] => r.bytes = Some(num(n)?),
                    [] => {}
                    _ => return Err(format!("bad report line {line:?}")),
                }
            }
            if seen {
                Ok(r)
            } else {
                Err("the child reported no request count".into())
            }
        }
    }

    /// One measured sample: what the child cost and, for ifclone, what it reported.
    #[derive(Clone, Debug, Default)]
    struct Sample {
        m: Measure,
        report: Option<Report>,
    }

    // -----------------------------------------------------------------------------------------
    // Namespaces and files, cleaned up on every path

    struct Env {
        pid: u32,
        dir: PathBuf,
        timeout: Duration,
        /// Every netns we made or may have made: (name, touched by ifclone).
        stacks: RefCell<Vec<(String, bool)>>,
        counter: RefCell<u32>,
    }

    impl Env {
        fn new(timeout: Duration) -> std::io::Result<Env> {
            let pid = std::process::id();
            let dir = std::env::temp_dir().join(format!("ifcbench-{pid}"));
            std::fs::create_dir_all(&dir)?;
            Ok(Env {
                pid,
                dir,
                timeout,
                stacks: RefCell::new(Vec::new()),
                counter: RefCell::new(0),
            })
        }

        fn next(&self) -> u32 {
            let mut c = self.counter.borrow_mut();
            *c += 1;
            *c
        }

        fn fresh_name(&self, tag: &str) -> String {
            format!("ifcbench-{}-{tag}{}", self.pid, self.next())
        }

        /// Records a namespace name for the final cleanup before anything makes it.
        fn register(&self, name: &str, by_lib: bool) {
            self.stacks.borrow_mut().push((name.to_string(), by_lib));
        }

        /// Forgets the registered names whose namespace no longer exists.
        fn forget_gone(&self, names: &[String]) {
            self.stacks
                .borrow_mut()
                .retain(|(n, _)| !names.contains(n) || Path::new("/run/netns").join(n).exists());
        }

        /// A fresh netns made by `ip netns add` (for both sides, so that their state is the
        /// same). `by_lib`: ifclone will work in it, so the cleanup goes through the library
        /// too (its ledger forgets the stack).
        fn netns(&self, tag: &str, by_lib: bool) -> Result<String, String> {
            let name = self.fresh_name(tag);
            self.register(&name, by_lib);
            run_quiet(Command::new("ip").args(["netns", "add", &name]))?;
            Ok(name)
        }

        fn file(&self, tag: &str, ext: &str) -> PathBuf {
            self.dir.join(format!("{tag}-{}.{ext}", self.next()))
        }

        fn batch(&self, tag: &str, lines: impl Iterator<Item = String>) -> Result<PathBuf, String> {
            let path = self.file(tag, "batch");
            let mut text = String::new();
            for l in lines {
                text.push_str(&l);
                text.push('\n');
            }
            std::fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
            Ok(path)
        }

        /// Empties `ns` synchronously (one group delete), so the kernel's cleanup of a big
        /// namespace does not run under the next sample; then removes it.
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

        /// A measured `ip` run.
        fn ip(&self, cmd: &Command) -> Result<Sample, String> {
            std::thread::sleep(SETTLE);
            Ok(Sample {
                m: measure(cmd, self.timeout)?,
                report: None,
            })
        }

        fn ip_batch(&self, ns: Option<&str>, file: &Path) -> Result<Sample, String> {
            let mut c = Command::new("ip");
            if let Some(ns) = ns {
                c.args(["-n", ns]);
            }
            c.arg("-batch").arg(file);
            self.ip(&c)
        }

        /// A measured ifclone child: `bench --phase ARGS… --report FILE`.
        fn lib(&self, args: &[&str]) -> Result<Sample, String> {
            let path = self.file("report", "txt");
            let mut c = me();
            c.arg("--phase").args(args).arg("--report").arg(&path);
            std::thread::sleep(SETTLE);
            let m = measure(&c, self.timeout);
            let text = std::fs::read_to_string(&path);
            let _ = std::fs::remove_file(&path);
            let m = m?;
            let report = Report::parse(&text.map_err(|e| format!("read the report: {e}"))?)?;
            Ok(Sample {
                m,
                report: Some(report),
            })
        }
    }

    /// Empties and removes one namespace: through the library when ifclone worked in it (so its
    /// ledger forgets the stack), else — or when that fails — with `ip netns del`.
    fn remove_ns(ns: &str, by_lib: bool) {
        if !Path::new("/run/netns").join(ns).exists() {
            return;
        }
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

    /// Removes what an earlier bench left behind when it was killed hard (SIGKILL skips the
    /// cleanup): `ifcbench-<pid>-*` namespaces and temp dirs whose pid is no longer running.
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

    /// The interface names in `ns`, `lo` included (not measured).
    fn links(ns: &str) -> Result<Vec<String>, String> {
        let out = Command::new("ip")
            .args(["-n", ns, "-o", "link", "show"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("ip link show: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ip -n {ns} link show: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            // "5: b0@if6: <BROADCAST,...> ..."
            .filter_map(|line| line.split(": ").nth(1))
            .map(|n| n.split('@').next().unwrap_or(n).to_string())
            .collect())
    }

    /// Checks (not measured) that `ns` holds exactly `want` interfaces besides `lo`, and the
    /// named ones among them: both sides must have done the whole work.
    fn expect(ns: &str, want: usize, named: &[String], after: &str) -> Result<(), String> {
        let have = links(ns)?;
        let n = have.iter().filter(|n| *n != "lo").count();
        if n != want {
            return Err(format!(
                "after {after}: {ns} holds {n} interfaces besides lo, expected {want}"
            ));
        }
        if let Some(m) = named.iter().find(|x| !have.contains(x)) {
            return Err(format!("after {after}: {m} is not in {ns}"));
        }
        Ok(())
    }

    /// Deletes every interface but `lo` in `ns`, through `ip`'s group delete.
    fn drain(ns: &str) {
        let Ok(names) = links(ns) else {
            return;
        };
        let mut batch = String::new();
        for name in names.iter().filter(|n| *n != "lo") {
            writeln!(batch, "link set dev {name} group 4242").unwrap();
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
            let _ = stdin.write_all(batch.as_bytes());
        }
        let _ = child.wait();
    }

    fn a(i: usize) -> String {
        format!("a{i}")
    }

    fn b(i: usize) -> String {
        format!("b{i}")
    }

    /// Fills `ns` with `pairs` veth pairs `a{i}`/`b{i}` (setup, not measured).
    /// One rep in a fresh namespace (`lib`: made for the ifclone side) holding `pairs` epairs:
    /// `work` runs there and returns the measured sample; the namespace goes afterwards
    /// whatever happened.
    fn in_filled_ns(
        env: &Env,
        tag: &str,
        lib: bool,
        pairs: usize,
        work: impl FnOnce(&str) -> Result<Sample, String>,
    ) -> Result<Rep, String> {
        let ns = env.netns(tag, lib)?;
        let r = fill(env, &ns, pairs).and_then(|()| work(&ns));
        env.remove(&ns);
        Ok(vec![r])
    }

    fn fill(env: &Env, ns: &str, pairs: usize) -> Result<(), String> {
        let f = env.batch(
            "fill",
            (0..pairs).map(|i| format!("link add {} type veth peer name {}", a(i), b(i))),
        )?;
        run_quiet(Command::new("ip").args(["-n", ns, "-batch"]).arg(&f))?;
        expect(ns, 2 * pairs, &[], "the setup fill")
    }

    fn me() -> Command {
        Command::new(std::env::current_exe().unwrap_or_else(|_| "bench".into()))
    }

    // -----------------------------------------------------------------------------------------
    // Rows and the table

    /// The samples of one side of one row.
    #[derive(Debug, Default)]
    struct Side {
        walls: Vec<Duration>,
        cpus: Vec<Duration>,
        maxrss_kib: u64,
        requests: Vec<u64>,
        /// From the last sample (moves): strategy → count.
        strategies: BTreeMap<String, u64>,
        bytes: Option<u64>,
        /// The first failure; a failed side takes no more samples.
        err: Option<String>,
    }

    impl Side {
        fn add(&mut self, r: Result<Sample, String>) {
            if self.err.is_some() {
                return;
            }
            match r {
                Ok(s) => {
                    self.walls.push(s.m.wall);
                    self.cpus.push(s.m.cpu);
                    self.maxrss_kib = self.maxrss_kib.max(s.m.maxrss_kib);
                    if let Some(r) = s.report {
                        self.requests.push(r.requests);
                        self.strategies = r.strategies;
                        self.bytes = r.bytes.or(self.bytes);
                    }
                }
                Err(e) => self.err = Some(e),
            }
        }

        fn ok(&self) -> bool {
            self.err.is_none() && !self.walls.is_empty()
        }
    }

    fn median(v: &[Duration]) -> Option<Duration> {
        let mut v = v.to_vec();
        v.sort();
        match v.len() {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2]),
            n => Some((v[n / 2 - 1] + v[n / 2]) / 2),
        }
    }

    fn median_u64(v: &[u64]) -> Option<u64> {
        let mut v = v.to_vec();
        v.sort();
        match v.len() {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2]),
            n => Some((v[n / 2 - 1] + v[n / 2]) / 2),
        }
    }

    struct Row {
        title: String,
        n: usize,
        /// What `n` counts, for the per-item request figure ("if", "stack").
        unit: &'static str,
        /// `None`: ip has no equivalent (the note says why).
        ip: Option<Side>,
        lib: Side,
        /// ip's request count: its batch commands.
        ip_requests: Option<u64>,
        note: String,
    }

    impl Row {
        fn new(title: String, n: usize, unit: &'static str, ip_requests: Option<u64>) -> Row {
            Row {
                title,
                n,
                unit,
                ip: ip_requests.map(|_| Side::default()),
                lib: Side::default(),
                ip_requests,
                note: String::new(),
            }
        }

        fn note(mut self, s: impl Into<String>) -> Row {
            self.note = s.into();
            self
        }

        fn failed(&self) -> bool {
            !self.lib.ok() || self.ip.as_ref().is_some_and(|s| !s.ok())
        }
    }

    fn secs(d: Option<Duration>) -> String {
        d.map(|d| format!("{:.3}", d.as_secs_f64()))
            .unwrap_or_else(|| "n/a".into())
    }

    fn render(rows: &[Row], header: &str, reps: usize) -> String {
        let mut s = String::new();
        writeln!(s, "{header}\n").unwrap();
        s.push_str(
            "| row | N | ip min s | ip median s | ifclone min s | ifclone median s \
             | ratio (ifclone/ip, medians) | ifclone requests (total, per interface) \
             | ip requests | ifclone CPU s | peak MiB | note |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        let mut failures = Vec::new();
        let mut samples = Vec::new();
        for r in rows {
            let ip_ok = r.ip.as_ref().filter(|s| s.ok());
            let lib_ok = Some(&r.lib).filter(|s| s.ok());
            let (ip_min, ip_med) = match ip_ok {
                Some(s) => (secs(s.walls.iter().min().copied()), secs(median(&s.walls))),
                None => ("n/a".into(), "n/a".into()),
            };
            let (l_min, l_med) = match lib_ok {
                Some(s) => (secs(s.walls.iter().min().copied()), secs(median(&s.walls))),
                None => ("n/a".into(), "n/a".into()),
            };
            let ratio = match (
                ip_ok.and_then(|s| median(&s.walls)),
                lib_ok.and_then(|s| median(&s.walls)),
            ) {
                (Some(i), Some(l)) if !i.is_zero() => {
                    format!("{:.2}", l.as_secs_f64() / i.as_secs_f64())
                }
                _ => "n/a".into(),
            };
            let reqs = match lib_ok.and_then(|s| median_u64(&s.requests).map(|m| (s, m))) {
                Some((s, m)) => {
                    let (lo, hi) = (
                        s.requests.iter().min().copied().unwrap_or(m),
                        s.requests.iter().max().copied().unwrap_or(m),
                    );
                    let total = if lo == hi {
                        m.to_string()
                    } else {
                        format!("{m} (range {lo}–{hi})")
                    };
                    format!("{total} ({:.2}/{})", m as f64 / r.n.max(1) as f64, r.unit)
                }
                None => "n/a".into(),
            };
            let ip_reqs = match (&r.ip_requests, ip_ok) {
                (Some(q), Some(_)) => q.to_string(),
                _ => "n/a".into(),
            };
            let cpu = secs(lib_ok.and_then(|s| median(&s.cpus)));
            let mib = |s: Option<&Side>| {
                s.map(|s| format!("{:.1}", s.maxrss_kib as f64 / 1024.0))
                    .unwrap_or_else(|| "n/a".into())
            };
            let peak = match &r.ip {
                Some(_) => format!("ip {} / ifc {}", mib(ip_ok), mib(lib_ok)),
                None => format!("ifc {}", mib(lib_ok)),
            };
            let mut note = r.note.clone();
            if let Some(s) = lib_ok.filter(|s| !s.strategies.is_empty()) {
                let st: Vec<String> = s
                    .strategies
                    .iter()
                    .map(|(k, v)| format!("{k}×{v}"))
                    .collect();
                write!(note, " Receipts (last rep): strategy {}.", st.join(", ")).unwrap();
            }
            if let (Some(ib), Some(lb)) = (
                r.ip.as_ref().and_then(|s| s.bytes),
                lib_ok.and_then(|s| s.bytes),
            ) {
                write!(
                    note,
                    " JSON written: ip {:.0} KiB, ifclone {:.0} KiB.",
                    ib as f64 / 1024.0,
                    lb as f64 / 1024.0
                )
                .unwrap();
            }
            writeln!(
                s,
                "| {} | {} | {ip_min} | {ip_med} | {l_min} | {l_med} | {ratio} | {reqs} | {ip_reqs} \
                 | {cpu} | {peak} | {} |",
                r.title,
                r.n,
                note.trim()
            )
            .unwrap();
            for (who, side) in [("ip", r.ip.as_ref()), ("ifclone", Some(&r.lib))] {
                let Some(side) = side else { continue };
                if let Some(e) = &side.err {
                    failures.push(format!("- {} / {who}: {e}", r.title));
                }
                if !side.walls.is_empty() {
                    let w: Vec<String> = side
                        .walls
                        .iter()
                        .map(|d| format!("{:.3}", d.as_secs_f64()))
                        .collect();
                    let c: Vec<String> = side
                        .cpus
                        .iter()
                        .map(|d| format!("{:.3}", d.as_secs_f64()))
                        .collect();
                    samples.push(format!(
                        "- {} / {who}: wall {} s; cpu {} s",
                        r.title,
                        w.join(", "),
                        c.join(", ")
                    ));
                }
            }
        }
        s.push_str(
            "\nratio = ifclone median wall ÷ ip median wall (below 1 = ifclone faster, above 1 = \
             ifclone slower).\n",
        );
        writeln!(
            s,
            "wall: the whole child process, exec to exit, on both sides (ip: `ip [-n NS] -batch \
             FILE` or `ip -n NS … link show`; ifclone: this binary's hidden --phase mode, which \
             opens the stacks and then makes the calls); {reps} reps per side, interleaved ip, \
             ifclone, ip, ifclone, each on freshly made identical state; min and median over the \
             reps.\n\
             ifclone requests: ifclone::kernel_requests() after − before the measured calls, read \
             in the child (median over reps; a range is shown when reps differ). ip requests: \
             the number of batch commands, counted as one RTM request each (ip's own name→index \
             lookups and its start-up request are not counted).\n\
             ifclone CPU s: median user+sys of the ifclone child. peak MiB: the largest ru_maxrss \
             over the reps, ip / ifclone (≈2 MiB of it is the floor of a fresh exec)."
        )
        .unwrap();
        if !samples.is_empty() {
            s.push_str("\nsamples, in run order:\n");
            for l in samples {
                s.push_str(&l);
                s.push('\n');
            }
        }
        if !failures.is_empty() {
            s.push_str("\nn/a rows:\n");
            for l in failures {
                s.push_str(&l);
                s.push('\n');
            }
        }
        s
    }

    // -----------------------------------------------------------------------------------------
    // The row groups, as the parent runs them

    #[derive(Debug)]
    struct Opts {
        n: usize,
        list_n: usize,
        reps: usize,
        stacks: usize,
        timeout: Duration,
        only: Vec<String>,
    }

    /// A row group: runs its reps and returns its rows.
    type Group = fn(&Env, &Opts) -> Vec<Row>;

    /// The samples one rep of a group yields, one per row of the group.
    type Rep = Vec<Result<Sample, String>>;

    /// Runs one side of one rep: a failed setup, a panic or a stop request fails every row of
    /// the group for that side.
    fn one_rep(rows: usize, f: &mut dyn FnMut() -> Result<Rep, String>) -> Rep {
        if stopped() {
            return vec![Err("interrupted".into()); rows];
        }
        let mut out = match catch_unwind(AssertUnwindSafe(f)) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => vec![Err(e); rows],
            Err(p) => vec![Err(format!("panicked: {}", panic_text(&*p))); rows],
        };
        out.resize_with(rows, || Err("no sample".into()));
        out
    }

    fn log(rows: &[Row], who: &str, rep: usize, got: &Rep) {
        for (r, s) in rows.iter().zip(got) {
            match s {
                Ok(s) => eprintln!(
                    "bench: [{rep}] {} / {who}: {:.3} s wall, {:.3} s cpu, {:.1} MiB{}",
                    r.title,
                    s.m.wall.as_secs_f64(),
                    s.m.cpu.as_secs_f64(),
                    s.m.maxrss_kib as f64 / 1024.0,
                    s.report
                        .as_ref()
                        .map(|r| format!(", {} requests", r.requests))
                        .unwrap_or_default()
                ),
                Err(e) => eprintln!("bench: [{rep}] {} / {who}: n/a ({e})", r.title),
            }
        }
    }

    /// `reps` times: the ip side's rep, then ifclone's. A side whose every row has failed takes
    /// no more samples.
    fn run_group(
        reps: usize,
        rows: &mut [Row],
        mut ip: Option<&mut dyn FnMut(usize) -> Result<Rep, String>>,
        lib: &mut dyn FnMut(usize) -> Result<Rep, String>,
    ) {
        let k = rows.len();
        for rep in 1..=reps {
            if let Some(ip) = ip.as_deref_mut() {
                if rows
                    .iter()
                    .any(|r| r.ip.as_ref().is_some_and(|s| s.err.is_none()))
                {
                    let got = one_rep(k, &mut || ip(rep));
                    log(rows, "ip", rep, &got);
                    for (r, s) in rows.iter_mut().zip(got) {
                        if let Some(side) = r.ip.as_mut() {
                            side.add(s);
                        }
                    }
                }
            }
            if rows.iter().any(|r| r.lib.err.is_none()) {
                let got = one_rep(k, &mut || lib(rep));
                log(rows, "ifclone", rep, &got);
                for (r, s) in rows.iter_mut().zip(got) {
                    r.lib.add(s);
                }
            }
        }
    }

    fn names(n: usize, f: fn(usize) -> String) -> Vec<String> {
        (0..n).map(f).collect()
    }

    /// Row 1: create N epairs in one netns.
    fn g_create(env: &Env, o: &Opts) -> Vec<Row> {
        let n = o.n;
        let ns_ = n.to_string();
        let mut rows =
            vec![Row::new(format!("create {n} epairs"), n, "if", Some(n as u64))
            .note(
                "ip: one `link add aX type veth peer name bX` per pair in one -batch. ifclone: N \
                 × Stack::create_interface(Epair aX, peer bX), one call each (src/stack.rs has no \
                 bulk create). Both start from an empty `ip netns add` namespace.",
            )];
        let want: Vec<String> = names(n, a).into_iter().chain(names(n, b)).collect();
        let mut ip = |_rep: usize| -> Result<Rep, String> {
            let ns = env.netns("ci", false)?;
            let f = env.batch(
                "create",
                (0..n).map(|i| format!("link add {} type veth peer name {}", a(i), b(i))),
            )?;
            let r = env
                .ip_batch(Some(&ns), &f)
                .and_then(|s| expect(&ns, 2 * n, &want, "ip's create").map(|_| s));
            env.remove(&ns);
            Ok(vec![r])
        };
        let mut lib = |_rep: usize| -> Result<Rep, String> {
            let ns = env.netns("cl", true)?;
            let r = env
                .lib(&["create", "--ns", &ns, "--n", &ns_])
                .and_then(|s| expect(&ns, 2 * n, &want, "ifclone's create").map(|_| s));
            env.remove(&ns);
            Ok(vec![r])
        };
        run_group(o.reps, &mut rows, Some(&mut ip), &mut lib);
        rows
    }

    /// Row 2: destroy N epairs, bulk (ip group delete vs destroy_many) and one by one.
    fn g_destroy(env: &Env, o: &Opts) -> Vec<Row> {
        let n = o.n;
        let ns_ = n.to_string();
        let mut bulk = vec![Row::new(
            format!("destroy {n} epairs, bulk"),
            n,
            "if",
            Some(n as u64 + 1),
        )
        .note(format!(
            "the same work on both sides: ip: one -batch of N `link set dev aX group \
                 {IP_GROUP}` and `link del group {IP_GROUP}`, measured whole. ifclone: one \
                 Stack::destroy_many(N names): it lists the stack, puts the N into a fresh group \
                 (N requests) and deletes the group. Each deletion takes the veth peer with it."
        ))];
        let mut ip = |_rep: usize| -> Result<Rep, String> {
            in_filled_ns(env, "dgi", false, n, |ns| {
                let f = env.batch(
                    "delgroup",
                    (0..n)
                        .map(|i| format!("link set dev {} group {IP_GROUP}", a(i)))
                        .chain(std::iter::once(format!("link del group {IP_GROUP}"))),
                )?;
                let s = env.ip_batch(Some(ns), &f)?;
                expect(ns, 0, &[], "ip's group delete")?;
                Ok(s)
            })
        };
        let mut lib = |_rep: usize| -> Result<Rep, String> {
            in_filled_ns(env, "dgl", true, n, |ns| {
                let s = env.lib(&["destroy-many", "--ns", ns, "--n", &ns_])?;
                expect(ns, 0, &[], "ifclone's destroy_many")?;
                Ok(s)
            })
        };
        run_group(o.reps, &mut bulk, Some(&mut ip), &mut lib);

        let mut each = vec![Row::new(
            format!("destroy {n} epairs, one by one"),
            n,
            "if",
            Some(n as u64),
        )
        .note(
            "ip: N × `link del aX` in one -batch. ifclone: N × Stack::destroy(aX). Each deletion \
             takes the veth peer with it.",
        )];
        let mut ip = |_rep: usize| -> Result<Rep, String> {
            in_filled_ns(env, "dei", false, n, |ns| {
                let f = env.batch("del", (0..n).map(|i| format!("link del {}", a(i))))?;
                let s = env.ip_batch(Some(ns), &f)?;
                expect(ns, 0, &[], "ip's deletes")?;
                Ok(s)
            })
        };
        let mut lib = |_rep: usize| -> Result<Rep, String> {
            in_filled_ns(env, "del", true, n, |ns| {
                let s = env.lib(&["destroy-each", "--ns", ns, "--n", &ns_])?;
                expect(ns, 0, &[], "ifclone's destroys")?;
                Ok(s)
            })
        };
        run_group(o.reps, &mut each, Some(&mut ip), &mut lib);
        bulk.extend(each);
        bulk
    }

    /// Row 3: list a stack of L interfaces (made once, unmeasured; listing does not change it).
    fn g_list(env: &Env, o: &Opts) -> Vec<Row> {
        let pairs = o.list_n.div_ceil(2);
        let total = pairs * 2;
        let mut rows =
            vec![Row::new(format!("list {total} interfaces"), total, "if", Some(1))
            .note(
                "ip: `-d -s -j link show` > /dev/null (details, statistics, JSON; 1 command = 1 \
                 dump). ifclone: Stack::interfaces() (one dump) + serde_json of every Interface \
                 (a bench-side view of all its fields: Interface has no Serialize) to a buffered \
                 stdout > /dev/null. ifclone's model has no statistics, so it prints less. Setup \
                 (L/2 `ip link add` pairs) unmeasured; every rep lists the same unchanged stack.",
            )];
        let ns = match env.netns("l", true).and_then(|ns| {
            eprintln!("bench: making {total} interfaces in {ns} (setup)");
            fill(env, &ns, pairs).map(|_| ns)
        }) {
            Ok(ns) => ns,
            Err(e) => {
                for r in &mut rows {
                    r.lib.add(Err(e.clone()));
                    if let Some(s) = r.ip.as_mut() {
                        s.add(Err(e.clone()));
                    }
                }
                return rows;
            }
        };
        // How much ip writes (once, unmeasured), for the note.
        if let Ok(out) = Command::new("ip")
            .args(["-n", &ns, "-d", "-s", "-j", "link", "show"])
            .stdin(Stdio::null())
            .output()
        {
            if let Some(s) = rows[0].ip.as_mut() {
                s.bytes = Some(out.stdout.len() as u64);
            }
        }
        let n_ = total.to_string();
        let mut ip = |_rep: usize| -> Result<Rep, String> {
            let mut c = Command::new("ip");
            c.args(["-n", &ns, "-d", "-s", "-j", "link", "show"]);
            Ok(vec![env.ip(&c)])
        };
        let mut lib = |_rep: usize| -> Result<Rep, String> {
            Ok(vec![env.lib(&["list", "--ns", &ns, "--n", &n_])])
        };
        run_group(o.reps, &mut rows, Some(&mut ip), &mut lib);
        env.remove(&ns);
        rows
    }

    /// Rows 4 and 5: move N epair ends A→B and back; A also holds the N other ends.
    /// `phase`: the ifclone child's phase and mode.
    fn g_move(env: &Env, o: &Opts, many: bool) -> Vec<Row> {
        let n = o.n;
        let n_ = n.to_string();
        let (what, lib_args): (&str, &[&str]) = if many {
            ("vmove_many native", &["vmove-many", "--mode", "native"])
        } else {
            ("single vmove", &["vmove-each"])
        };
        let ip_note = "ip: N × `link set dev aX netns TO` in one -batch run in the source.";
        let lib_note = if many {
            "ifclone: one vmove::vmove_many(N names, strategy Some(Native)), one transaction."
        } else {
            "ifclone: N separate vmove::vmove(&from, aX, &to, &MoveOptions::default()) calls."
        };
        let common = "The source also holds the N other ends (bX). ifclone also journals a \
                      durable intent, marks each device (altname) and keeps its loan ledger; ip \
                      does none of that.";
        let mut rows = vec![
            Row::new(format!("{what} {n}, there"), n, "if", Some(n as u64))
                .note(format!("{ip_note} {lib_note} A→B. {common}")),
            Row::new(format!("{what} {n}, back"), n, "if", Some(n as u64)).note(format!(
                "{ip_note} {lib_note} B→A, the state the move there left. {common}"
            )),
        ];
        let an = names(n, a);
        let bn = names(n, b);
        let all: Vec<String> = an.iter().chain(&bn).cloned().collect();
        let mut ip = |_rep: usize| -> Result<Rep, String> {
            let (na, nb) = (env.netns("mia", false)?, env.netns("mib", false)?);
            let r = (|| {
                fill(env, &na, n)?;
                let f = env.batch(
                    "there",
                    an.iter().map(|x| format!("link set dev {x} netns {nb}")),
                )?;
                let there = env.ip_batch(Some(&na), &f).and_then(|s| {
                    expect(&nb, n, &an, "ip's move there")?;
                    expect(&na, n, &bn, "ip's move there")?;
                    Ok(s)
                });
                let back = match &there {
                    Ok(_) => env
                        .batch(
                            "back",
                            an.iter().map(|x| format!("link set dev {x} netns {na}")),
                        )
                        .and_then(|f| env.ip_batch(Some(&nb), &f))
                        .and_then(|s| expect(&na, 2 * n, &all, "ip's move back").map(|_| s)),
                    Err(_) => Err("the move there failed".into()),
                };
                Ok(vec![there, back])
            })();
            env.remove(&na);
            env.remove(&nb);
            r
        };
        let mut lib = |_rep: usize| -> Result<Rep, String> {
            let (na, nb) = (env.netns("mla", true)?, env.netns("mlb", true)?);
            let r = (|| {
                fill(env, &na, n)?;
                let args = |from: &str, to: &str| -> Vec<String> {
                    lib_args
                        .iter()
                        .map(|s| s.to_string())
                        .chain(["--ns", from, "--ns2", to, "--n", &n_].map(String::from))
                        .collect()
                };
                let run = |from: &str, to: &str| {
                    let v = args(from, to);
                    let v: Vec<&str> = v.iter().map(String::as_str).collect();
                    env.lib(&v)
                };
                let there = run(&na, &nb).and_then(|s| {
                    expect(&nb, n, &an, "ifclone's move there")?;
                    expect(&na, n, &bn, "ifclone's move there")?;
                    Ok(s)
                });
                let back = match &there {
                    Ok(_) => run(&nb, &na)
                        .and_then(|s| expect(&na, 2 * n, &all, "ifclone's move back").map(|_| s)),
                    Err(_) => Err("the move there failed".into()),
                };
                Ok(vec![there, back])
            })();
            env.remove(&na);
            env.remove(&nb);
            r
        };
        run_group(o.reps, &mut rows, Some(&mut ip), &mut lib);
        rows
    }

    /// Row 6: re-create N/10 epair ends A→B (peer stays in the source) and back (the peer is
    /// in the target: the way back). ip has no equivalent.
    fn g_recreate(env: &Env, o: &Opts) -> Vec<Row> {
        let n = (o.n / 10).max(1);
        let n_ = n.to_string();
        let no_ip = "ip: n/a — iproute2 has no re-create move (it can only ask for the kernel's \
                     native move, rows above).";
        let mut rows = vec![
            Row::new(format!("recreate {n}, there"), n, "if", None).note(format!(
                "{no_ip} ifclone: one vmove_many(N/10 names, strategy Some(Recreate)) A→B; each \
                 end's peer bX stays in the source: a new pair is made with one end placed in B \
                 and its peer beside the old peer, the old pairs go in one bulk delete, then \
                 renames. A holds only these N/10 pairs."
            )),
            Row::new(
                format!("recreate {n}, back (peer in target)"),
                n,
                "if",
                None,
            )
            .note(format!(
                "{no_ip} ifclone: one vmove_many(strategy Some(Recreate)) B→A, run on the state \
                 the row above left: every end's peer is in the target A (checked before the \
                 move), so the new pair is made with both ends in A (exec.rs peer_in_target), \
                 the way back. MoveOptions::epair_fast_path only forces Recreate for epairs \
                 (plan.rs), i.e. the plan of these two rows, so it has no row of its own."
            )),
        ];
        let an = names(n, a);
        let bn = names(n, b);
        let all: Vec<String> = an.iter().chain(&bn).cloned().collect();
        let mut lib = |_rep: usize| -> Result<Rep, String> {
            let (na, nb) = (env.netns("rla", true)?, env.netns("rlb", true)?);
            let r = (|| {
                fill(env, &na, n)?;
                let run = |from: &str, to: &str| {
                    env.lib(&[
                        "vmove-many",
                        "--mode",
                        "recreate",
                        "--ns",
                        from,
                        "--ns2",
                        to,
                        "--n",
                        &n_,
                    ])
                };
                let there = run(&na, &nb).and_then(|s| {
                    // The precondition of the way back: aX in B, its peer bX in A.
                    expect(&nb, n, &an, "ifclone's re-create there")?;
                    expect(&na, n, &bn, "ifclone's re-create there")?;
                    Ok(s)
                });
                let back = match &there {
                    Ok(_) => run(&nb, &na).and_then(|s| {
                        expect(&na, 2 * n, &all, "ifclone's re-create back")?;
                        expect(&nb, 0, &[], "ifclone's re-create back")?;
                        Ok(s)
                    }),
                    Err(_) => Err("the re-create there failed".into()),
                };
                Ok(vec![there, back])
            })();
            env.remove(&na);
            env.remove(&nb);
            r
        };
        run_group(o.reps, &mut rows, None, &mut lib);
        rows
    }

    /// Row 7: create K stacks, then remove them (empty).
    fn g_stacks(env: &Env, o: &Opts) -> Vec<Row> {
        let k = o.stacks;
        let k_ = k.to_string();
        let mut rows =
            vec![
            Row::new(format!("create {k} stacks"), k, "stack", Some(k as u64)).note(
                "ip: K × `netns add` in one -batch. ifclone: K × Stack::create(name). Not \
                 netlink: ip's count is its commands (each an unshare + bind mount); ifclone's \
                 counts what netlink it sends.",
            ),
            Row::new(format!("remove {k} empty stacks"), k, "stack", Some(k as u64)).note(
                "ip: K × `netns del` in one -batch. ifclone: K × Stack::remove_name(name) (open, \
                 check for unfinished moves and loans, unmount, forget the ledger and lock \
                 files; the requests column shows the netlink it sent). Each \
                 side removes the K empty stacks it just made (the same kernel state: a netns \
                 bind-mounted under /run/netns). The kernel frees a netns asynchronously, on \
                 both sides, outside the measurement (1 s settle after each).",
            ),
        ];
        let make = |side: &str, by_lib: bool| -> (String, Vec<String>) {
            let prefix = format!("{}-", env.fresh_name(side));
            let names: Vec<String> = (0..k).map(|i| format!("{prefix}{i}")).collect();
            for n in &names {
                env.register(n, by_lib);
            }
            (prefix, names)
        };
        let exist = |names: &[String], want: bool, after: &str| -> Result<(), String> {
            match names
                .iter()
                .find(|n| Path::new("/run/netns").join(n).exists() != want)
            {
                None => Ok(()),
                Some(n) => Err(format!(
                    "after {after}: {n} {}",
                    if want { "is missing" } else { "is still there" }
                )),
            }
        };
        let mut ip = |_rep: usize| -> Result<Rep, String> {
            let (_, names) = make("si", false);
            let r = (|| {
                let f = env.batch("netns-add", names.iter().map(|n| format!("netns add {n}")))?;
                let made = env
                    .ip_batch(None, &f)
                    .and_then(|s| exist(&names, true, "ip's netns add").map(|_| s));
                let gone = match &made {
                    Ok(_) => env
                        .batch("netns-del", names.iter().map(|n| format!("netns del {n}")))
                        .and_then(|f| env.ip_batch(None, &f))
                        .and_then(|s| exist(&names, false, "ip's netns del").map(|_| s)),
                    Err(_) => Err("the creation failed".into()),
                };
                Ok(vec![made, gone])
            })();
            env.forget_gone(&names);
            std::thread::sleep(SETTLE_STACKS);
            r
        };
        let mut lib = |_rep: usize| -> Result<Rep, String> {
            let (prefix, names) = make("sl", true);
            let made = env
                .lib(&["stack-create", "--prefix", &prefix, "--n", &k_])
                .and_then(|s| exist(&names, true, "ifclone's Stack::create").map(|_| s));
            let gone = match &made {
                Ok(_) => env
                    .lib(&["stack-remove", "--prefix", &prefix, "--n", &k_])
                    .and_then(|s| exist(&names, false, "ifclone's Stack::remove").map(|_| s)),
                Err(_) => Err("the creation failed".into()),
            };
            env.forget_gone(&names);
            std::thread::sleep(SETTLE_STACKS);
            Ok(vec![made, gone])
        };
        run_group(o.reps, &mut rows, Some(&mut ip), &mut lib);
        rows
    }

    // -----------------------------------------------------------------------------------------
    // The children: one measured sample each

    /// Every field of an [`Interface`], for the list row's JSON (the model has no `Serialize`).
    #[derive(serde::Serialize)]
    struct IfJson<'a> {
        ifindex: u32,
        ifname: &'a IfName,
        kind: &'static str,
        link: Option<&'a LinkRef>,
        mtu: u32,
        min_mtu: Option<u32>,
        max_mtu: Option<u32>,
        address: Option<&'a Mac>,
        ifalias: Option<&'a str>,
        up: bool,
        operstate: &'static str,
        master: Option<u32>,
        group: u32,
        flags: Vec<&'static str>,
        stack: &'a str,
        mark: Option<&'a str>,
    }

    impl<'a> From<&'a Interface> for IfJson<'a> {
        fn from(i: &'a Interface) -> IfJson<'a> {
            IfJson {
                ifindex: i.index,
                ifname: &i.name,
                kind: i.kind.kind().map(|k| k.as_str()).unwrap_or("other"),
                link: i.link(),
                mtu: i.mtu,
                min_mtu: i.min_mtu,
                max_mtu: i.max_mtu,
                address: i.mac.as_ref(),
                ifalias: i.description.as_deref(),
                up: i.up,
                operstate: i.oper.as_str(),
                master: i.master,
                group: i.group,
                flags: i.flags.names().collect(),
                stack: &i.stack,
                mark: i.mark.as_deref(),
            }
        }
    }

    /// Counts what goes through it.
    struct Counting<W> {
        w: W,
        n: u64,
    }

    impl<W: std::io::Write> std::io::Write for Counting<W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let k = self.w.write(buf)?;
            self.n += k as u64;
            Ok(k)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.w.flush()
        }
    }

    fn tally(receipts: &[Receipt], into: &mut BTreeMap<String, u64>) {
        for r in receipts {
            let s = r
                .strategy
                .map(|s| s.to_string())
                .unwrap_or_else(|| "none".into());
            *into.entry(s).or_default() += 1;
        }
    }

    fn child(args: &[String]) -> Result<(), String> {
        let mut phase = None;
        let (mut ns, mut ns2, mut mode, mut prefix, mut report) = (None, None, None, None, None);
        let mut n = 0usize;
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut v = || it.next().cloned().ok_or(format!("missing value after {a}"));
            match a.as_str() {
                "--phase" => phase = Some(v()?),
                "--ns" => ns = Some(v()?),
                "--ns2" => ns2 = Some(v()?),
                "--mode" => mode = Some(v()?),
                "--prefix" => prefix = Some(v()?),
                "--report" => report = Some(PathBuf::from(v()?)),
                "--n" => n = v()?.parse().map_err(|_| "bad --n".to_string())?,
                _ => return Err(format!("unknown child argument {a}")),
            }
        }
        let report_path = report.ok_or("--report is required")?;
        let e = |e: ifclone::Error| e.to_string();
        let open = |s: &Option<String>, flag: &str| -> Result<Stack, String> {
            Stack::open_name(s.as_deref().ok_or(format!("{flag} is required"))?).map_err(e)
        };
        let mut rep = Report::default();
        let count = ifclone::kernel_requests;
        match phase.as_deref() {
            Some("create") => {
                let st = open(&ns, "--ns")?;
                let reqs: Vec<CreateRequest> = (0..n)
                    .map(|i| {
                        Ok(CreateRequest::new(KindSpec::Epair {
                            peer_name: Some(IfName::new(&b(i))?),
                        })
                        .named(IfName::new(&a(i))?))
                    })
                    .collect::<Result<_, ifclone::Error>>()
                    .map_err(e)?;
                let r0 = count();
                for req in &reqs {
                    st.create_interface(req).map_err(e)?;
                }
                rep.requests = count() - r0;
            }
            Some("destroy-many") => {
                let st = open(&ns, "--ns")?;
                let names = names(n, a);
                let r0 = count();
                st.destroy_many(&names).map_err(e)?;
                rep.requests = count() - r0;
            }
            Some("destroy-each") => {
                let st = open(&ns, "--ns")?;
                let names = names(n, a);
                let r0 = count();
                for x in &names {
                    st.destroy(x).map_err(e)?;
                }
                rep.requests = count() - r0;
            }
            Some("list") => {
                let st = open(&ns, "--ns")?;
                let r0 = count();
                let got = st.interfaces().map_err(e)?;
                rep.requests = count() - r0;
                let views: Vec<IfJson> = got.iter().map(IfJson::from).collect();
                let mut w = Counting {
                    w: std::io::BufWriter::new(std::io::stdout().lock()),
                    n: 0,
                };
                serde_json::to_writer(&mut w, &views).map_err(|e| e.to_string())?;
                w.write_all(b"\n").map_err(|e| e.to_string())?;
                w.flush().map_err(|e| e.to_string())?;
                rep.bytes = Some(w.n);
                // `n` is what the stack holds besides lo.
                if got.len() < n {
                    return Err(format!(
                        "listed {} interfaces, expected at least {n}",
                        got.len()
                    ));
                }
            }
            Some("vmove-each") => {
                let (from, to) = (open(&ns, "--ns")?, open(&ns2, "--ns2")?);
                let names = names(n, a);
                let opts = MoveOptions::default();
                let mut receipts = Vec::with_capacity(n);
                let r0 = count();
                for x in &names {
                    receipts.push(vmove::vmove(&from, x, &to, &opts).map_err(e)?);
                }
                rep.requests = count() - r0;
                tally(&receipts, &mut rep.strategies);
            }
            Some("vmove-many") => {
                let (from, to) = (open(&ns, "--ns")?, open(&ns2, "--ns2")?);
                let strategy = match mode.as_deref() {
                    Some("native") => Strategy::Native,
                    Some("recreate") => Strategy::Recreate,
                    m => return Err(format!("bad --mode {m:?}")),
                };
                let opts = MoveOptions {
                    strategy: Some(strategy),
                    ..MoveOptions::default()
                };
                let names = names(n, a);
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let r0 = count();
                let receipts = vmove::vmove_many(&from, &refs, &to, &opts).map_err(e)?;
                rep.requests = count() - r0;
                tally(&receipts, &mut rep.strategies);
            }
            Some("stack-create") => {
                let p = prefix.ok_or("--prefix is required")?;
                let names: Vec<String> = (0..n).map(|i| format!("{p}{i}")).collect();
                let r0 = count();
                for x in &names {
                    Stack::create(x).map_err(e)?;
                }
                rep.requests = count() - r0;
            }
            Some("stack-remove") => {
                let p = prefix.ok_or("--prefix is required")?;
                let names: Vec<String> = (0..n).map(|i| format!("{p}{i}")).collect();
                let r0 = count();
                for x in &names {
                    Stack::remove_name(x).map_err(e)?;
                }
                rep.requests = count() - r0;
            }
            p => return Err(format!("unknown phase {p:?}")),
        }
        std::fs::write(&report_path, rep.render())
            .map_err(|e| format!("write {}: {e}", report_path.display()))
    }

    // -----------------------------------------------------------------------------------------

    fn parse(args: &[String]) -> Result<Opts, String> {
        let mut o = Opts {
            n: 1000,
            list_n: 10000,
            reps: 3,
            stacks: 100,
            timeout: Duration::from_secs(600),
            only: PHASES.iter().map(|s| s.to_string()).collect(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut v = || it.next().cloned().ok_or(format!("missing value after {a}"));
            match a.as_str() {
                "--n" => o.n = v()?.parse().map_err(|_| "bad --n")?,
                "--list-n" => o.list_n = v()?.parse().map_err(|_| "bad --list-n")?,
                "--reps" => o.reps = v()?.parse().map_err(|_| "bad --reps")?,
                "--stacks" => o.stacks = v()?.parse().map_err(|_| "bad --stacks")?,
                "--timeout" => {
                    o.timeout = Duration::from_secs(v()?.parse().map_err(|_| "bad --timeout")?)
                }
                "--only" => {
                    let mut only = Vec::new();
                    for p in v()?.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        match p {
                            "move" => {
                                only.extend(["vmove", "vmove_many", "recreate"].map(String::from))
                            }
                            p if PHASES.contains(&p) => only.push(p.to_string()),
                            _ => {
                                return Err(format!(
                                    "unknown phase {p:?} (phases: {}, move)",
                                    PHASES.join(",")
                                ))
                            }
                        }
                    }
                    o.only = only;
                }
                "-h" | "--help" => return Err(String::new()),
                _ => return Err(format!("unknown argument {a:?}")),
            }
        }
        if o.n == 0 || o.n > 99_999 || o.list_n == 0 || o.list_n > 199_998 {
            return Err("--n must be 1..=99999 and --list-n 1..=199998".into());
        }
        if o.reps == 0 || o.reps > 1000 || o.stacks == 0 || o.stacks > 10_000 {
            return Err("--reps must be 1..=1000 and --stacks 1..=10000".into());
        }
        if o.timeout.is_zero() {
            return Err("--timeout must be at least 1".into());
        }
        if o.only.is_empty() {
            return Err("--only names no phase".into());
        }
        Ok(o)
    }

    fn shell_out(cmd: &str, args: &[&str]) -> String {
        Command::new(cmd)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "?".into())
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
        catch_signals();
        reap_stale();
        let env = match Env::new(o.timeout) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("bench: temp dir: {e}");
                return ExitCode::from(1);
            }
        };
        let started = Instant::now();
        let mut rows: Vec<Row> = Vec::new();
        let groups: [(&str, Group); 7] = [
            ("create", g_create),
            ("destroy", g_destroy),
            ("list", g_list),
            ("vmove", |e, o| g_move(e, o, false)),
            ("vmove_many", |e, o| g_move(e, o, true)),
            ("recreate", g_recreate),
            ("stacks", g_stacks),
        ];
        let mut crashed = false;
        for (name, g) in groups {
            if !o.only.iter().any(|p| p == name) {
                continue;
            }
            // A panic in the parent's own code fails the group, not the run.
            match catch_unwind(AssertUnwindSafe(|| g(&env, &o))) {
                Ok(r) => rows.extend(r),
                Err(p) => {
                    crashed = true;
                    eprintln!("bench: the {name} rows panicked: {}", panic_text(&*p));
                }
            }
        }
        // Whatever happened, every namespace this run made goes before the table is printed.
        drop(env);
        let leftover: Vec<String> = std::fs::read_dir("/run/netns")
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(&format!("ifcbench-{}-", std::process::id())))
                    .collect()
            })
            .unwrap_or_default();
        let mut kernel = shell_out("uname", &["-r"]);
        if kernel == "?" {
            kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_string();
        }
        let header = format!(
            "command: {} {}\nkernel: {kernel} (uname -r); {}; date: {}; run took {:.0} s",
            std::env::args().next().unwrap_or_else(|| "bench".into()),
            args.join(" "),
            shell_out("ip", &["-V"]),
            shell_out("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"]),
            started.elapsed().as_secs_f64()
        );
        println!();
        print!("{}", render(&rows, &header, o.reps));
        let failed: Vec<&str> = rows
            .iter()
            .filter(|r| r.failed())
            .map(|r| r.title.as_str())
            .collect();
        if !leftover.is_empty() {
            eprintln!("bench: namespaces left behind: {}", leftover.join(", "));
        }
        if stopped() {
            eprintln!("bench: interrupted; namespaces were removed");
            return ExitCode::from(130);
        }
        if crashed || !failed.is_empty() || !leftover.is_empty() {
            if !failed.is_empty() {
                eprintln!(
                    "bench: {} row(s) failed: {}",
                    failed.len(),
                    failed.join("; ")
                );
            }
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
            assert_eq!(
                (o.n, o.list_n, o.reps, o.stacks, o.only.len()),
                (1000, 10000, 3, 100, 7)
            );
            let o = parse(&args("--n 20 --list-n 200 --reps 5 --only create,move")).unwrap();
            assert_eq!((o.n, o.list_n, o.reps), (20, 200, 5));
            assert_eq!(o.only, ["create", "vmove", "vmove_many", "recreate"]);
            assert!(parse(&args("--only create,teleport"))
                .unwrap_err()
                .contains("teleport"));
            assert!(parse(&args("--n")).unwrap_err().contains("missing value"));
            assert!(parse(&args("--n x")).is_err());
            assert!(parse(&args("--n 0")).is_err());
            assert!(parse(&args("--reps 0")).is_err());
            assert!(parse(&args("--frob")).is_err());
        }

        #[test]
        fn medians() {
            let d = Duration::from_millis;
            assert_eq!(median(&[d(3), d(1), d(2)]), Some(d(2)));
            assert_eq!(
                median(&[d(4), d(1), d(2), d(3)]),
                Some(Duration::from_micros(2500))
            );
            assert_eq!(median(&[]), None);
            assert_eq!(median_u64(&[7, 5, 6]), Some(6));
        }

        #[test]
        fn report_round_trip() {
            let mut r = Report {
                requests: 42,
                bytes: Some(9),
                ..Report::default()
            };
            r.strategies.insert("native".into(), 3);
            assert_eq!(Report::parse(&r.render()).unwrap(), r);
            assert!(Report::parse("").is_err());
            assert!(Report::parse("requests x").is_err());
        }

        #[test]
        fn table() {
            let s = |wall_ms: u64, reqs: Option<u64>| {
                Ok(Sample {
                    m: Measure {
                        wall: Duration::from_millis(wall_ms),
                        cpu: Duration::from_millis(wall_ms / 2),
                        maxrss_kib: 2048,
                    },
                    report: reqs.map(|requests| Report {
                        requests,
                        ..Report::default()
                    }),
                })
            };
            let mut r1 = Row::new("create 10 epairs".into(), 10, "if", Some(10)).note("same");
            for (i, l) in [(2000, 500), (1000, 700), (3000, 600)] {
                r1.ip.as_mut().unwrap().add(s(i, None));
                r1.lib.add(s(l, Some(20)));
            }
            let mut r2 = Row::new("recreate 1".into(), 1, "if", None);
            r2.lib.add(Err("panicked: not yet implemented".into()));
            let out = render(&[r1, r2], "hdr", 3);
            assert!(
                out.contains(
                    "| create 10 epairs | 10 | 1.000 | 2.000 | 0.500 | 0.600 | 0.30 | 20 (2.00/if) \
                     | 10 | 0.300 | ip 2.0 / ifc 2.0 | same |"
                ),
                "{out}"
            );
            assert!(
                out.contains(
                    "| recreate 1 | 1 | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | ifc n/a |"
                ),
                "{out}"
            );
            assert!(
                out.contains("- recreate 1 / ifclone: panicked: not yet implemented"),
                "{out}"
            );
            assert!(
                out.contains("ratio = ifclone median wall ÷ ip median wall"),
                "{out}"
            );
        }
    }
}
