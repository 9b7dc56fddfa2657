//! Replicas that apply the same stream entries reach the same bytes: seeded random stream
//! commands (auto IDs, trims, groups, claims — all time-dependent) applied to two engines,
//! and to an engine restored from a snapshot mid-way, give equal replies and snapshots.

use redraft_engine::{Engine, Reply};

mod common;

use common::{read_all, Agree, Corrupt, Cuts, Damage, Restore, Shape, Spec, XorShift};

const KEYS: [&str; 3] = ["s1", "s2", "str"];
const GROUPS: [&str; 2] = ["g1", "g2"];
const CONSUMERS: [&str; 3] = ["a", "b", "c"];

fn random_command(rng: &mut XorShift, now_ms: u64) -> Vec<String> {
    let key = rng.pick(&KEYS).to_string();
    let group = rng.pick(&GROUPS).to_string();
    let consumer = rng.pick(&CONSUMERS).to_string();
    let id = match rng.below(4) {
        0 => "-".to_string(),
        1 => "+".to_string(),
        _ => format!("{}-{}", now_ms - rng.below(2000), rng.below(3)),
    };
    let value = "v".repeat(rng.below(300) as usize);
    let small = rng.below(150).to_string();
    let parts: Vec<&str> = match rng.below(22) {
        0..=4 => vec!["XADD", &key, "*", "f", &value, "n", &small],
        5 => vec!["XADD", &key, "MAXLEN", "~", &small, "*", "f", &small],
        6 => vec!["XADD", &key, &id, "f", "v"],
        7 => vec!["XTRIM", &key, "MAXLEN", rng.pick(&["~", "="]), &small],
        8 => vec!["XTRIM", &key, "MINID", "~", &id],
        9 => vec!["XDEL", &key, &id],
        10 => vec![
            "XGROUP",
            "CREATE",
            &key,
            &group,
            rng.pick(&["0", "$"]),
            "MKSTREAM",
        ],
        11 => vec!["XGROUP", "SETID", &key, &group, &id],
        12 => vec![
            "XGROUP",
            rng.pick(&["CREATECONSUMER", "DELCONSUMER"]),
            &key,
            &group,
            &consumer,
        ],
        13 | 14 => vec![
            "XREADGROUP",
            "GROUP",
            &group,
            &consumer,
            "COUNT",
            &small,
            "STREAMS",
            &key,
            ">",
        ],
        15 => vec![
            "XREADGROUP",
            "GROUP",
            &group,
            &consumer,
            "STREAMS",
            &key,
            "0",
        ],
        16 => vec!["XACK", &key, &group, &id],
        17 => vec![
            "XCLAIM", &key, &group, &consumer, "10", &id, "-", "IDLE", &small,
        ],
        18 => vec![
            "XAUTOCLAIM",
            &key,
            &group,
            &consumer,
            &small,
            "-",
            "COUNT",
            "3",
        ],
        19 => vec!["XSETID", &key, &id],
        20 => vec!["SET", "str", "v"],
        _ => vec!["DEL", &key],
    };
    parts.into_iter().map(str::to_string).collect()
}

/// Reads every replica must answer alike at the same applied index.
fn probe(engine: &Engine) -> Vec<Reply> {
    let reads = [
        "XINFO STREAM s1 FULL",
        "XINFO GROUPS s2",
        "XINFO CONSUMERS s1 g1",
        "XPENDING s1 g1 - + 100",
        "XRANGE s2 - +",
        "XREAD STREAMS s1 s2 0 0",
    ]
    .map(String::from);
    read_all(engine, 1, 1, &reads)
}

determinism_tests!(spec: Spec {
    // One run in db 0 per entry, no sweeps; now and then the leader's clock is behind.
    shape: Shape {
        tick: 5,
        sweep_one_in: 0,
        dbs: 1,
        behind: Some((2, 10)),
    },
    probe,
    agree: Agree {
        seed: 0x57_2ea3,
        entries: 4000,
        every: 400,
        errors_over: 100,
        ..Spec::AGREE
    },
    restore: Restore {
        seed: 0xbeef,
        entries: 3000,
        at: 1500,
    },
    damage: Damage {
        seed: 11,
        entries: 300,
        cuts: Cuts::Every(7),
        corruptions: 1000,
        rng: 5,
        corrupt: Corrupt::FlipBits,
        later: Some((12, 10_000)),
        ..Spec::DAMAGE
    },
    ..Spec::new(random_command)
});
