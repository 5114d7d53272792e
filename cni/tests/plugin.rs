//! The plugin as a runtime runs it: the binary executed with CNI_* and a configuration on
//! stdin, on real network namespaces (root). Each test has its own namespace, interfaces
//! (`ifct…`, which ci/leftovers.sh looks for), state and IPAM directories, and cleans up when
//! it fails. `ip` observes independently.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{json, Value};

static N: AtomicU32 = AtomicU32::new(0);

fn require_root() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "the CNI plugin tests need root: they create network namespaces"
    );
}

fn ip(args: &[&str]) -> (bool, String) {
    let o = Command::new("ip").args(args).output().expect("ip");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
    )
}

/// One test's world: a netns, a state dir, a CNI_PATH with the plugin and host-local.
struct World {
    tag: String,
    netns: String,
    dir: PathBuf,
    links: Vec<String>,
}

impl World {
    fn new(what: &str) -> World {
        require_root();
        let n = N.fetch_add(1, Ordering::Relaxed);
        let tag = format!("{}{n}", std::process::id() % 10000);
        let netns = format!("ifct-cni-{what}-{tag}");
        let dir = std::env::temp_dir().join(format!("ifclone-cni-test-{tag}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_ifclone-cni"), dir.join("bin/ifclone")).unwrap();
        std::os::unix::fs::symlink("/usr/lib/cni/host-local", dir.join("bin/host-local")).unwrap();
        assert!(ip(&["netns", "add", &netns]).0, "ip netns add {netns}");
        World {
            tag,
            netns,
            dir,
            links: Vec::new(),
        }
    }

    fn netns_path(&self) -> String {
        format!("/run/netns/{}", self.netns)
    }

    /// A host interface name of this test.
    fn name(&mut self, what: &str) -> String {
        let n = format!("ifct{what}{}", self.tag);
        assert!(n.len() <= 15, "{n}");
        self.links.push(n.clone());
        n
    }

    fn conf(&self, extra: Value) -> Value {
        let mut c = json!({
            "cniVersion": "1.1.0",
            "name": format!("net-{}", self.tag),
            "type": "ifclone",
            "stateDir": self.dir.join("state"),
        });
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }

    fn ipam(&self, subnet: &str, gw: &str) -> Value {
        json!({"type": "host-local", "dataDir": self.dir.join("ipam"),
               "ranges": [[{"subnet": subnet, "gateway": gw}]],
               "routes": [{"dst": "0.0.0.0/0"}]})
    }

    /// Runs the plugin: (exit status, stdout as JSON or Null).
    fn run(&self, cmd: &str, conf: &Value, container: &str, ifname: &str) -> (i32, Value) {
        self.run_raw(
            cmd,
            &conf.to_string(),
            container,
            &self.netns_path(),
            ifname,
        )
    }

    fn run_raw(
        &self,
        cmd: &str,
        stdin: &str,
        container: &str,
        netns: &str,
        ifname: &str,
    ) -> (i32, Value) {
        let mut c = Command::new(self.dir.join("bin/ifclone"));
        c.env("CNI_COMMAND", cmd)
            .env("CNI_PATH", self.dir.join("bin"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if !container.is_empty() {
            c.env("CNI_CONTAINERID", container)
                .env("CNI_NETNS", netns)
                .env("CNI_IFNAME", ifname);
        }
        let mut child = c.spawn().expect("run the plugin");
        // A verb that needs no configuration (VERSION) may exit before reading it all.
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let out = child.wait_with_output().unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code().unwrap_or(-1), v)
    }

    fn records(&self) -> usize {
        std::fs::read_dir(self.dir.join("state"))
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
                })
                .count()
            })
            .unwrap_or(0)
    }

    /// The one attachment record of the state directory.
    fn record_path(&self) -> PathBuf {
        std::fs::read_dir(self.dir.join("state"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "json"))
            .expect("a record")
    }

    fn in_ns(&self, args: &[&str]) -> (bool, String) {
        let mut a = vec!["-n", self.netns.as_str()];
        a.extend_from_slice(args);
        ip(&a)
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.netns]);
        for l in &self.links {
            let _ = ip(&["link", "del", l]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The attachment id the plugin derives its names from (cni/src/record.rs).
fn fnv(network: &str, container: &str, ifname: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [network, container, ifname] {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn link_exists(name: &str) -> bool {
    ip(&["link", "show", name]).0
}

fn ping(w: &World, to: &str) -> bool {
    Command::new("ip")
        .args(["netns", "exec", &w.netns, "ping", "-c1", "-W2", to])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn epair_add_check_del_and_del_again() {
    let mut w = World::new("epair");
    let host = w.name("h");
    let conf = w.conf(json!({"mode": "epair", "mtu": 1400, "hostName": host,
                             "ipam": w.ipam("10.97.0.0/24", "10.97.0.1")}));
    let (rc, res) = w.run("ADD", &conf, "c1", "eth0");
    assert_eq!(rc, 0, "{res}");
    assert_eq!(res["interfaces"][0]["name"], host.as_str(), "{res}");
    assert_eq!(res["interfaces"][1]["name"], "eth0", "{res}");
    assert_eq!(
        res["interfaces"][1]["sandbox"],
        w.netns_path().as_str(),
        "{res}"
    );
    assert_eq!(res["ips"][0]["interface"], 1, "{res}");
    let addr = res["ips"][0]["address"].as_str().unwrap().to_string();
    let (_, shown) = w.in_ns(&["-br", "addr", "show", "eth0"]);
    assert!(shown.contains(&addr) && shown.contains("UP"), "{shown}");
    let (_, routes) = w.in_ns(&["route"]);
    assert!(
        routes.contains("default via 10.97.0.1 dev eth0"),
        "{routes}"
    );
    assert!(ping(&w, "10.97.0.1"), "the container reaches the host end");
    assert!(ip(&["link", "show", &host]).1.contains("mtu 1400"));

    let prev = w.conf(json!({"mode": "epair", "mtu": 1400, "hostName": host,
                             "ipam": w.ipam("10.97.0.0/24", "10.97.0.1"), "prevResult": res}));
    let (rc, out) = w.run("CHECK", &prev, "c1", "eth0");
    assert_eq!(rc, 0, "{out}");
    // Someone changes the MTU: CHECK says so.
    assert!(w.in_ns(&["link", "set", "eth0", "mtu", "1300"]).0);
    let (rc, out) = w.run("CHECK", &prev, "c1", "eth0");
    assert_eq!(rc, 1, "{out}");
    assert_eq!(out["code"], 100, "{out}");
    assert!(
        out["details"].as_str().unwrap().contains("MTU 1300"),
        "{out}"
    );

    let (rc, out) = w.run("DEL", &conf, "c1", "eth0");
    assert_eq!(rc, 0, "{out}");
    assert!(!link_exists(&host), "the host end is gone");
    assert!(
        !w.in_ns(&["link", "show", "eth0"]).0,
        "the container end is gone"
    );
    assert_eq!(w.records(), 0);
    let (rc, out) = w.run("DEL", &conf, "c1", "eth0");
    assert_eq!(rc, 0, "a second DEL succeeds: {out}");
}

#[test]
fn move_gives_the_interface_back_whole_even_renamed_inside() {
    let mut w = World::new("move");
    let (p, q, mv) = (w.name("p"), w.name("q"), w.name("m"));
    assert!(ip(&["link", "add", &p, "type", "veth", "peer", "name", &q]).0);
    assert!(ip(&["link", "set", &p, "up"]).0);
    assert!(ip(&["link", "add", &mv, "link", &p, "type", "macvlan", "mode", "bridge"]).0);
    for args in [["mtu", "1400"], ["alias", "uplink-desc"]] {
        assert!(ip(&["link", "set", &mv, args[0], args[1]]).0);
    }
    assert!(ip(&["link", "set", &mv, "up"]).0);
    let conf = w.conf(json!({"mode": "move", "device": mv}));
    let (rc, res) = w.run("ADD", &conf, "c1", "net1");
    assert_eq!(rc, 0, "{res}");
    assert!(!link_exists(&mv), "moved out of the host");
    assert!(w.in_ns(&["link", "show", "net1"]).1.contains("mtu 1400"));
    // Renamed inside the container (plugins#773): DEL still finds it.
    assert!(w.in_ns(&["link", "set", "net1", "name", "renamed0"]).0);
    let (rc, out) = w.run("DEL", &conf, "c1", "net1");
    assert_eq!(rc, 0, "{out}");
    let (_, back) = ip(&["link", "show", &mv]);
    assert!(back.contains("mtu 1400"), "{back}");
    assert!(back.contains("alias uplink-desc"), "{back}");
    assert!(back.contains(",UP") || back.contains("<UP"), "{back}");
    assert_eq!(w.records(), 0);
}

#[test]
fn macvlan_and_macvtap_are_made_in_the_container_and_leave_no_loan() {
    let mut w = World::new("mvl");
    let (p, q) = (w.name("p"), w.name("q"));
    assert!(ip(&["link", "add", &p, "type", "veth", "peer", "name", &q]).0);
    for (mode, ifname) in [("macvlan", "eth0"), ("macvtap", "eth1")] {
        let conf = w.conf(json!({"mode": mode, "master": p, "macvlanMode": "bridge", "mtu": 1450}));
        let (rc, res) = w.run("ADD", &conf, "c1", ifname);
        assert_eq!(rc, 0, "{mode}: {res}");
        let (_, d) = w.in_ns(&["-d", "link", "show", ifname]);
        assert!(d.contains(mode) && d.contains("mtu 1450"), "{d}");
        let (rc, out) = w.run("DEL", &conf, "c1", ifname);
        assert_eq!(rc, 0, "{mode}: {out}");
        assert!(!w.in_ns(&["link", "show", ifname]).0, "{mode} destroyed");
    }
    let ct = ifclone::Stack::open(ifclone::StackSel::parse(&w.netns_path())).unwrap();
    assert!(ct.loans().unwrap().is_empty(), "{:?}", ct.loans());
    assert_eq!(w.records(), 0);
}

#[test]
fn del_after_the_netns_is_gone_succeeds_and_cleans_up() {
    let mut w = World::new("gone");
    let host = w.name("h");
    let conf = w.conf(json!({"mode": "epair", "hostName": host}));
    let (rc, res) = w.run("ADD", &conf, "c1", "eth0");
    assert_eq!(rc, 0, "{res}");
    assert!(ip(&["netns", "del", &w.netns]).0);
    // No netns any more (multus#1134, kubernetes#86944): DEL still succeeds, and twice.
    for _ in 0..2 {
        let (rc, out) = w.run_raw("DEL", &conf.to_string(), "c1", "", "eth0");
        assert_eq!(rc, 0, "{out}");
    }
    assert!(!link_exists(&host));
    assert_eq!(w.records(), 0);
}

#[test]
fn gc_removes_what_is_not_a_valid_attachment() {
    let mut w = World::new("gc");
    let (h1, h2) = (w.name("a"), w.name("b"));
    let c1 = w.conf(json!({"mode": "epair", "hostName": h1}));
    let c2 = w.conf(json!({"mode": "epair", "hostName": h2}));
    assert_eq!(w.run("ADD", &c1, "c1", "eth0").0, 0);
    assert_eq!(w.run("ADD", &c2, "c2", "eth1").0, 0);
    assert_eq!(w.records(), 2);
    let mut gc = w.conf(json!({"mode": "epair"}));
    gc["cni.dev/valid-attachments"] = json!([{"containerID": "c1", "ifname": "eth0"}]);
    let (rc, out) = w.run_raw("GC", &gc.to_string(), "", "", "");
    assert_eq!(rc, 0, "{out}");
    assert!(link_exists(&h1), "the valid attachment stays");
    assert!(!link_exists(&h2), "the other one is gone");
    assert_eq!(w.records(), 1);
    assert_eq!(w.run("DEL", &c1, "c1", "eth0").0, 0);
}

#[test]
fn bad_input_is_a_cni_error_with_its_code_and_changes_nothing() {
    let mut w = World::new("bad");
    let dev = w.name("x");
    // Other tests change the host's interfaces meanwhile: the host is checked for the device
    // the configurations name and for ifclone epair host ends (`ic` + 8 hex digits) of this
    // attachment; the container's stack is compared whole.
    let host_end = format!(
        "ic{:08x}",
        fnv(&format!("net-{}", w.tag), "c1", "eth0") as u32
    );
    let ours = || -> Vec<String> {
        ip(&["-o", "link"])
            .1
            .lines()
            .filter(|l| l.contains(&dev) || l.contains(&host_end))
            .map(str::to_string)
            .collect()
    };
    let before = (ours(), w.in_ns(&["-o", "link"]).1);
    let cases = [
        (
            w.conf(json!({"mode": "teleport"})).to_string(),
            7,
            "unknown mode",
        ),
        (
            w.conf(json!({"mode": "move", "device": dev})).to_string(),
            7,
            "missing device",
        ),
        (
            w.conf(json!({"mode": "macvlan"})).to_string(),
            7,
            "macvlan without master",
        ),
        (
            w.conf(json!({"mode": "epair", "mtu": 10})).to_string(),
            7,
            "MTU out of range",
        ),
        (
            w.conf(json!({"mode": "epair", "bogus": 1})).to_string(),
            7,
            "an unknown key",
        ),
        (
            "{\"cniVersion\": \"1.1.0\", \"name\": ".to_string(),
            6,
            "bad JSON",
        ),
        (
            w.conf(json!({"mode": "epair", "cniVersion": "9.9.9"}))
                .to_string(),
            1,
            "wrong cniVersion",
        ),
    ];
    for (stdin, code, what) in cases {
        let (rc, out) = w.run_raw("ADD", &stdin, "c1", &w.netns_path(), "eth0");
        assert_eq!(rc, 1, "{what}: {out}");
        assert_eq!(out["code"], code, "{what}: {out}");
        assert!(out["msg"].is_string(), "{what}: {out}");
    }
    let after = (ours(), w.in_ns(&["-o", "link"]).1);
    assert_eq!(before, after, "nothing changed");
    assert_eq!(w.records(), 0);
}

#[test]
fn status_and_version() {
    let mut w = World::new("status");
    let (rc, out) = w.run_raw("VERSION", "{\"cniVersion\":\"1.1.0\"}", "", "", "");
    assert_eq!(rc, 0, "{out}");
    let versions: Vec<&str> = out["supportedVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        versions.contains(&"1.1.0") && versions.contains(&"0.4.0"),
        "{out}"
    );
    let ok = w.conf(json!({"mode": "epair", "ipam": w.ipam("10.96.0.0/24", "10.96.0.1")}));
    let (rc, out) = w.run_raw("STATUS", &ok.to_string(), "", "", "");
    assert_eq!(rc, 0, "{out}");
    let missing = w.name("z");
    let bad = w.conf(json!({"mode": "macvlan", "master": missing}));
    let (rc, out) = w.run_raw("STATUS", &bad.to_string(), "", "", "");
    assert_eq!((rc, out["code"].as_u64()), (1, Some(50)), "{out}");
}

#[test]
fn a_del_after_an_add_that_died_half_way_finds_what_it_made() {
    let mut w = World::new("crash");
    let host = w.name("h");
    let conf = w.conf(json!({"mode": "epair", "hostName": host}));
    assert_eq!(w.run("ADD", &conf, "c1", "eth0").0, 0);
    // The ADD as a crash leaves it: the record written first (the names it was going to make),
    // nothing of what it learnt afterwards.
    let path = w.record_path();
    let mut rec: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for k in ["index", "mark", "hostIndex", "hostMark", "result"] {
        rec[k] = Value::Null;
    }
    std::fs::write(&path, rec.to_string()).unwrap();
    let (rc, out) = w.run("DEL", &conf, "c1", "eth0");
    assert_eq!(rc, 0, "{out}");
    assert!(!link_exists(&host));
    assert_eq!(w.records(), 0);
}

#[test]
fn a_damaged_record_is_reported_not_taken_for_none() {
    let mut w = World::new("damaged");
    let host = w.name("h");
    let conf = w.conf(json!({"mode": "epair", "hostName": host}));
    assert_eq!(w.run("ADD", &conf, "c1", "eth0").0, 0);
    let path = w.record_path();
    let good = std::fs::read(&path).unwrap();
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let (rc, out) = w.run("DEL", &conf, "c1", "eth0");
    assert_eq!((rc, out["code"].as_u64()), (1, Some(5)), "{out}");
    assert!(
        out["details"].as_str().unwrap().contains("damaged state"),
        "{out}"
    );
    assert!(
        link_exists(&host),
        "nothing was destroyed on a damaged record"
    );
    std::fs::write(&path, &good).unwrap();
    assert_eq!(w.run("DEL", &conf, "c1", "eth0").0, 0);
    assert!(!link_exists(&host));
}

#[test]
fn concurrent_plugin_processes_each_get_their_attachment() {
    let mut w = World::new("conc");
    let hosts: Vec<String> = (0..6).map(|i| w.name(&format!("c{i}"))).collect();
    let confs: Vec<Value> = hosts
        .iter()
        .map(|h| w.conf(json!({"mode": "epair", "hostName": h})))
        .collect();
    std::thread::scope(|s| {
        for (i, c) in confs.iter().enumerate() {
            let w = &w;
            s.spawn(move || {
                let (rc, out) = w.run("ADD", c, &format!("c{i}"), &format!("eth{i}"));
                assert_eq!(rc, 0, "{out}");
            });
        }
    });
    assert_eq!(w.records(), 6);
    std::thread::scope(|s| {
        for (i, c) in confs.iter().enumerate() {
            let w = &w;
            s.spawn(move || {
                let (rc, out) = w.run("DEL", c, &format!("c{i}"), &format!("eth{i}"));
                assert_eq!(rc, 0, "{out}");
            });
        }
    });
    assert_eq!(w.records(), 0);
    assert!(hosts.iter().all(|h| !link_exists(h)));
}

#[test]
#[ignore = "needs 8021q (vlan), which the host kernel lacks: runs in the VM (ci/test-vm.sh)"]
fn vm_vlan_is_made_in_the_container_and_destroyed_on_del() {
    let mut w = World::new("vlan");
    let (p, q) = (w.name("p"), w.name("q"));
    assert!(ip(&["link", "add", &p, "type", "veth", "peer", "name", &q]).0);
    // A vlan comes up only on an up parent (ENETDOWN otherwise).
    assert!(ip(&["link", "set", &p, "up"]).0);
    let conf = w.conf(json!({"mode": "vlan", "master": p, "vlanId": 42, "mtu": 1400}));
    let (rc, res) = w.run("ADD", &conf, "c1", "eth0");
    assert_eq!(rc, 0, "{res}");
    let (_, d) = w.in_ns(&["-d", "link", "show", "eth0"]);
    assert!(
        d.contains("vlan protocol 802.1Q id 42") && d.contains("mtu 1400"),
        "{d}"
    );
    let (rc, out) = w.run("DEL", &conf, "c1", "eth0");
    assert_eq!(rc, 0, "{out}");
    assert!(!w.in_ns(&["link", "show", "eth0"]).0, "the vlan is gone");
    let ct = ifclone::Stack::open(ifclone::StackSel::parse(&w.netns_path())).unwrap();
    assert!(ct.loans().unwrap().is_empty(), "{:?}", ct.loans());
}

#[test]
fn chained_after_another_plugin_its_result_is_kept() {
    let mut w = World::new("chain");
    let host = w.name("h");
    let prev = json!({"cniVersion": "1.1.0",
                      "interfaces": [{"name": "other0", "mac": "02:00:00:00:00:01"}],
                      "ips": [{"interface": 0, "address": "192.0.2.9/24"}],
                      "dns": {"nameservers": ["192.0.2.53"]}});
    let conf = w.conf(
        json!({"mode": "epair", "hostName": host, "prevResult": prev,
                             "ipam": w.ipam("10.93.0.0/24", "10.93.0.1")}),
    );
    let (rc, res) = w.run("ADD", &conf, "c1", "eth0");
    assert_eq!(rc, 0, "{res}");
    let names: Vec<&str> = res["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["other0", host.as_str(), "eth0"], "{res}");
    assert_eq!(res["ips"][0]["address"], "192.0.2.9/24", "{res}");
    assert_eq!(res["ips"][1]["interface"], 2, "{res}");
    assert_eq!(res["dns"]["nameservers"][0], "192.0.2.53", "{res}");
    assert_eq!(w.run("DEL", &conf, "c1", "eth0").0, 0);
}
