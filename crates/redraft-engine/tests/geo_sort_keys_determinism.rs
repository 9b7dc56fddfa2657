//! Replicas that apply the same geo, SORT and cross-type key commands reach the same bytes: a
//! seeded sequence of GEOADD/GEOSEARCH(STORE), SORT ... STORE, COPY, MOVE, SWAPDB, OBJECT and
//! errors against string keys, with expiries, applied to two engines, and to an engine
//! restored from a snapshot taken mid-way. Corrupt snapshots are errors, never panics.

mod common;

use common::XorShift;

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
    let parts: Vec<&str> = match rng.below(24) {
        0..=3 => vec!["GEOADD", &key, &jitter, &lat, &member, &lon, &jitter, "p"],
        4 => vec![
            "GEOADD",
            &key,
            rng.pick(&["NX", "XX", "CH"]),
            &lon,
            &lat,
            &member,
        ],
        5 => vec!["GEOPOS", &key, &member, "p"],
        6 => vec!["GEOHASH", &key, &member],
        7 => vec!["GEODIST", &key, &member, "p", "km"],
        8 => vec![
            "GEOSEARCH",
            &key,
            "FROMLONLAT",
            &lon,
            &lat,
            "BYRADIUS",
            &radius,
            "km",
            "WITHDIST",
            "WITHCOORD",
            "WITHHASH",
        ],
        9 => vec![
            "GEOSEARCH",
            &key,
            "FROMMEMBER",
            &member,
            "BYBOX",
            &radius,
            &radius,
            "km",
            "DESC",
            "COUNT",
            "5",
        ],
        10 => vec![
            "GEOSEARCHSTORE",
            &other,
            &key,
            "FROMLONLAT",
            &lon,
            &lat,
            "BYRADIUS",
            &radius,
            "km",
            "STOREDIST",
        ],
        11 => vec!["RPUSH", "l1", &jitter, &member],
        12 => vec!["SADD", "s1", &member, &jitter],
        13 => vec!["SORT", &key, "ALPHA", "LIMIT", "0", "10", "STORE", &other],
        14 => vec!["SORT", &key, "BY", "nosort", "GET", "#", "DESC"],
        15 => vec!["SORT", &key],
        16 => vec!["COPY", &key, &other, "DB", &db, "REPLACE"],
        17 => vec!["MOVE", &key, &db],
        18 => vec!["SWAPDB", "0", &db],
        19 => vec!["OBJECT", "ENCODING", &key],
        20 => vec!["PEXPIRE", &key, "30"],
        21 => vec![
            "GEORADIUS",
            &key,
            &lon,
            &lat,
            &radius,
            "km",
            "COUNT",
            "3",
            "STOREDIST",
            &other,
        ],
        22 => vec![
            "GEORADIUSBYMEMBER_RO",
            &key,
            &member,
            &radius,
            "km",
            "WITHDIST",
        ],
        _ => vec!["SET", "str", &jitter],
    };
    parts.into_iter().map(str::to_string).collect()
}

determinism_tests!(random_command);
