//! The endpoint list's JSON: every kind round-trips byte-stable (property tests over random
//! endpoints of each kind), each kind's JSON is pinned in a reviewed snapshot, a list with every
//! kind survives save and load exactly, and whatever the reader does not know is refused.

use proptest::prelude::*;

use super::*;

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

fn net(name: &str) -> NetInfo {
    NetInfo {
        name: n(name),
        mac: Some("02:00:00:00:0a:01".parse().unwrap()),
        mtu: 1500,
        addresses: vec![
            "10.88.0.2/16".parse().unwrap(),
            "fd00::2/64".parse().unwrap(),
        ],
        routes: vec![Route {
            dst: "0.0.0.0/0".parse().unwrap(),
            gateway: Some("10.88.0.1".parse().unwrap()),
        }],
    }
}

fn tap(name: &str, queues: u16) -> TapInfo {
    TapInfo {
        name: n(name),
        queues,
        vnet_hdr: true,
        vhost: true,
    }
}

/// One endpoint of each kind. The match is exhaustive: a new kind without an example does not
/// compile, so the every-kind tests cannot forget it.
fn example(k: EndpointKind) -> Endpoint {
    match k {
        EndpointKind::Physical => Endpoint::Physical {
            net: net("enp3s0f1"),
            device: Some("0000:03:00.1".into()),
        },
        EndpointKind::Epair => Endpoint::Epair {
            net: net("eth0"),
            peer: n("veth1a2b"),
            model: Model::TcFilter,
            tap: tap("tap0_kata", 2),
        },
        EndpointKind::Macvlan => Endpoint::Macvlan {
            net: net("eth1"),
            parent: n("enp3s0f0"),
            mode: MacvlanMode::Bridge,
            model: Model::Bridged {
                bridge: n("br0_kata"),
            },
            tap: tap("tap1_kata", 1),
        },
        EndpointKind::Macvtap => Endpoint::Macvtap {
            net: net("mvtap0"),
            parent: n("enp3s0f0"),
            mode: MacvlanMode::Passthru,
            queues: 4,
            vhost: true,
        },
        EndpointKind::Tap => Endpoint::Tap {
            net: net("tap9"),
            tap: tap("tap9", 8),
        },
        EndpointKind::VhostUser => Endpoint::VhostUser {
            net: net("vhu0"),
            socket: "/run/vswitch/vhu0.sock".into(),
            mode: VhostUserMode::Client,
        },
    }
}

fn every_kind() -> Vec<Endpoint> {
    EndpointKind::ALL.iter().map(|k| example(*k)).collect()
}

/// Each kind's stored JSON, for review: a change here changes the format (and needs a version).
#[test]
fn each_kind_as_json() {
    for k in EndpointKind::ALL {
        let json = to_json(&[example(k)]).unwrap();
        insta::assert_snapshot!(format!("{k:?}"), json);
    }
}

/// The Kata bug (kata-containers/runtime#842: a saved macvlan or macvtap endpoint vanished on
/// load) cannot happen: a list with every kind, saved and loaded, is the same list, in order.
#[test]
fn a_list_with_every_kind_survives_save_and_load() {
    let dir = std::env::temp_dir().join(format!("ifclone-ep-{}", std::process::id()));
    let path = dir.join("endpoints.json");
    let all = every_kind();
    save(&path, &all).unwrap();
    let back = load(&path).unwrap();
    assert_eq!(back, all);
    let kinds: Vec<EndpointKind> = back.iter().map(Endpoint::kind).collect();
    assert_eq!(kinds, EndpointKind::ALL);
    std::fs::remove_dir_all(&dir).unwrap();
    // No file is no list, not an empty one.
    assert!(matches!(load(&path), Err(Error::NotFound(_))));
}

/// What the reader does not know is refused, never skipped or defaulted.
#[test]
fn what_the_reader_does_not_know_is_refused() {
    let good = to_json(&every_kind()).unwrap();
    let variants = [
        (
            "an unknown kind",
            good.replacen("\"kind\": \"macvtap\"", "\"kind\": \"ipvlan\"", 1),
        ),
        (
            "an unknown field",
            good.replacen("\"mtu\": 1500", "\"mtu\": 1500, \"txqlen\": 1000", 1),
        ),
        (
            "a missing field",
            good.replacen("\"vnet_hdr\": true,", "", 1),
        ),
        (
            "an unknown model",
            good.replacen("\"tc-filter\"", "\"ovs\"", 1),
        ),
        ("another format", good.replacen(FORMAT, "kata-endpoints", 1)),
        (
            "a later version",
            good.replacen("\"version\": 1", "\"version\": 2", 1),
        ),
        (
            "zero queues",
            good.replacen("\"queues\": 8", "\"queues\": 0", 1),
        ),
        (
            "a bad MAC",
            good.replacen("02:00:00:00:0a:01", "02:00:00:00:0a", 1),
        ),
        (
            "a bad name",
            good.replacen("\"tap9\"", "\"a-name-far-too-long\"", 1),
        ),
        ("truncated", good[..good.len() / 2].to_string()),
    ];
    for (what, json) in variants {
        assert_ne!(json, good, "{what}: the test did not change anything");
        match from_json(&json, "test") {
            Err(Error::Corrupt(c)) => assert!(!c.to_string().is_empty(), "{what}"),
            other => panic!("{what}: {other:?}"),
        }
    }
    assert_eq!(from_json(&good, "test").unwrap(), every_kind());
}

/// Saving refuses an endpoint no endpoint can be, before anything is written.
#[test]
fn saving_refuses_impossible_endpoints() {
    let mut e = example(EndpointKind::Tap);
    if let Endpoint::Tap { tap, .. } = &mut e {
        tap.queues = 0;
    }
    assert!(matches!(to_json(&[e]), Err(Error::InvalidArgument(_))));
    let mut m = example(EndpointKind::Macvlan);
    if let Endpoint::Macvlan { model, .. } = &mut m {
        *model = Model::Macvtap;
    }
    assert!(matches!(to_json(&[m]), Err(Error::InvalidArgument(_))));
}

// ---- random endpoints of every kind ----

fn name() -> impl Strategy<Value = IfName> {
    "[a-z][a-z0-9_.]{0,14}".prop_map(|s| IfName::new(&s).unwrap())
}

fn ifaddr() -> impl Strategy<Value = IfAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), 0u8..=32).prop_map(|(a, p)| IfAddr {
            addr: IpAddr::from(a),
            prefix_len: p,
        }),
        (any::<[u8; 16]>(), 0u8..=128).prop_map(|(a, p)| IfAddr {
            addr: IpAddr::from(a),
            prefix_len: p,
        }),
    ]
}

fn netinfo() -> impl Strategy<Value = NetInfo> {
    (
        name(),
        proptest::option::of(any::<[u8; 6]>().prop_map(Mac)),
        1u32..=65535,
        proptest::collection::vec(ifaddr(), 0..4),
        proptest::collection::vec(
            (
                ifaddr(),
                proptest::option::of(ifaddr().prop_map(|a| a.addr)),
            )
                .prop_map(|(dst, gateway)| Route { dst, gateway }),
            0..3,
        ),
    )
        .prop_map(|(name, mac, mtu, addresses, routes)| NetInfo {
            name,
            mac,
            mtu,
            addresses,
            routes,
        })
}

fn tapinfo() -> impl Strategy<Value = TapInfo> {
    (name(), 1u16..=MAX_QUEUES, any::<bool>(), any::<bool>()).prop_map(
        |(name, queues, vnet_hdr, vhost)| TapInfo {
            name,
            queues,
            vnet_hdr,
            vhost,
        },
    )
}

fn model(macvtap: bool) -> impl Strategy<Value = Model> {
    let mut v = vec![
        Just(Model::None).boxed(),
        name().prop_map(|bridge| Model::Bridged { bridge }).boxed(),
        Just(Model::TcFilter).boxed(),
    ];
    if macvtap {
        v.push(Just(Model::Macvtap).boxed());
    }
    proptest::strategy::Union::new(v)
}

fn mode() -> impl Strategy<Value = MacvlanMode> {
    prop_oneof![
        Just(MacvlanMode::Private),
        Just(MacvlanMode::Vepa),
        Just(MacvlanMode::Bridge),
        Just(MacvlanMode::Passthru),
        Just(MacvlanMode::Source),
    ]
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    prop_oneof![
        (netinfo(), proptest::option::of("[0-9a-f:.]{1,16}"))
            .prop_map(|(net, device)| Endpoint::Physical { net, device }),
        (netinfo(), name(), model(true), tapinfo()).prop_map(|(net, peer, model, tap)| {
            Endpoint::Epair {
                net,
                peer,
                model,
                tap,
            }
        }),
        (netinfo(), name(), mode(), model(false), tapinfo()).prop_map(
            |(net, parent, mode, model, tap)| Endpoint::Macvlan {
                net,
                parent,
                mode,
                model,
                tap,
            }
        ),
        (netinfo(), name(), mode(), 1u16..=MAX_QUEUES, any::<bool>()).prop_map(
            |(net, parent, mode, queues, vhost)| Endpoint::Macvtap {
                net,
                parent,
                mode,
                queues,
                vhost,
            }
        ),
        (netinfo(), tapinfo()).prop_map(|(net, tap)| Endpoint::Tap { net, tap }),
        (
            netinfo(),
            "/[a-z0-9/._-]{1,40}",
            prop_oneof![Just(VhostUserMode::Client), Just(VhostUserMode::Server)]
        )
            .prop_map(|(net, socket, mode)| Endpoint::VhostUser {
                net,
                socket: socket.into(),
                mode,
            }),
    ]
}

proptest! {
    /// Random lists of random endpoints of every kind: what is read back is what was written,
    /// and writing it again gives the same bytes.
    #[test]
    fn random_lists_round_trip_byte_stable(list in proptest::collection::vec(endpoint(), 0..8)) {
        let json = to_json(&list).unwrap();
        let back = from_json(&json, "proptest").unwrap();
        prop_assert_eq!(&back, &list);
        prop_assert_eq!(to_json(&back).unwrap(), json);
    }
}
