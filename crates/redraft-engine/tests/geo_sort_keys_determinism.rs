//! Replicas that apply the same geo, SORT and cross-type key commands reach the same bytes: a
//! seeded sequence of GEOADD/GEOSEARCH(STORE), SORT ... STORE, COPY, MOVE, SWAPDB, OBJECT and
//! errors against string keys, with expiries, applied to two engines, and to an engine
//! restored from a snapshot taken mid-way. Corrupt snapshots are errors, never panics.

mod common;

use common::{words, XorShift};

const KEYS: [&str; 6] = ["g1", "g2", "l1", "s1", "str", "gone"];
const LONS: [&str; 6] = ["13.36", "15.08", "-122.4", "0", "179.9", "-180"];
const LATS: [&str; 6] = ["38.11", "37.5", "37.77", "0", "-85.05", "85.05112878"];

fn random_command(rng: &mut XorShift) -> Vec<String> {
    let key = rng.pick(&KEYS).to_string();
    let other = rng.pick(&KEYS).to_string();
    let member = format!("m{}", rng.below(200));
    let lon = rng.pick(&LONS).to_string();
    let lat = rng.pick(&LATS).to_string();
    let jitter = format!("{}.{}", rng.below(20), rng.below(1000));
    let radius = rng.pick(&["1", "100", "500", "5000", "20000"]).to_string();
    let db = rng.below(3).to_string();
    let line = match rng.below(24) {
        0..=3 => format!("GEOADD {key} {jitter} {lat} {member} {lon} {jitter} p"),
        4 => {
            let flag = rng.pick(&["NX", "XX", "CH"]);
            format!("GEOADD {key} {flag} {lon} {lat} {member}")
        }
        5 => format!("GEOPOS {key} {member} p"),
        6 => format!("GEOHASH {key} {member}"),
        7 => format!("GEODIST {key} {member} p km"),
        8 => format!(
            "GEOSEARCH {key} FROMLONLAT {lon} {lat} BYRADIUS {radius} km WITHDIST WITHCOORD WITHHASH"
        ),
        9 => format!("GEOSEARCH {key} FROMMEMBER {member} BYBOX {radius} {radius} km DESC COUNT 5"),
        10 => format!(
            "GEOSEARCHSTORE {other} {key} FROMLONLAT {lon} {lat} BYRADIUS {radius} km STOREDIST"
        ),
        11 => format!("RPUSH l1 {jitter} {member}"),
        12 => format!("SADD s1 {member} {jitter}"),
        13 => format!("SORT {key} ALPHA LIMIT 0 10 STORE {other}"),
        14 => format!("SORT {key} BY nosort GET # DESC"),
        15 => format!("SORT {key}"),
        16 => format!("COPY {key} {other} DB {db} REPLACE"),
        17 => format!("MOVE {key} {db}"),
        18 => format!("SWAPDB 0 {db}"),
        19 => format!("OBJECT ENCODING {key}"),
        20 => format!("PEXPIRE {key} 30"),
        21 => format!("GEORADIUS {key} {lon} {lat} {radius} km COUNT 3 STOREDIST {other}"),
        22 => format!("GEORADIUSBYMEMBER_RO {key} {member} {radius} km WITHDIST"),
        _ => format!("SET str {jitter}"),
    };
    words(&line)
}

determinism_tests!(random_command);
