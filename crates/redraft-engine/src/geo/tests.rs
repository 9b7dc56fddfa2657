use super::commands::{format_coord, format_distance};
use crate::args::{NOT_FLOAT, NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::{Reply, WRONGTYPE};
use crate::testutil::{apply, bulk, bulks, err, int, ok};
use crate::Engine;

const PALERMO: [&str; 2] = ["13.36138933897018433", "38.11555639549629859"];
const CATANIA: [&str; 2] = ["15.08726745843887329", "37.50266842333162032"];
const BAD_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";

/// Applies each command in turn (reads too) and checks its reply.
fn check(e: &mut Engine, cases: &[(&str, Reply)]) {
    for (line, want) in cases {
        assert_eq!(apply(e, 1, *line), *want, "{line}");
    }
}

fn arr(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

fn pos([long, lat]: [&str; 2]) -> Reply {
    bulks(&[long, lat])
}

/// A sorted set's entries as ZRANGE ... WITHSCORES replies them.
fn scored(entries: &[(&str, f64)]) -> Reply {
    let pairs = entries.iter().map(|&(m, s)| (bulk(m), Reply::Double(s)));
    Reply::Pairs(pairs.collect())
}

/// Palermo and Catania, and a string at `s` for the WRONGTYPE checks.
fn sicily() -> Engine {
    let mut e = Engine::new();
    check(
        &mut e,
        &[
            (
                "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
                int(2),
            ),
            ("SET s v", ok()),
        ],
    );
    e
}

/// [`sicily`] and two points at the edges of a 400 km box around (15, 37).
fn sicily4() -> Engine {
    let mut e = sicily();
    let add = "GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2";
    assert_eq!(apply(&mut e, 1, add), int(2));
    e
}

#[test]
fn geoadd_stores_redis_scores_and_honours_nx_xx_ch() {
    let pair_error = |pair: &str| err(&format!("ERR invalid longitude,latitude pair {pair}"));
    check(
        &mut sicily(),
        &[
            (
                "ZRANGE Sicily 0 -1 WITHSCORES",
                scored(&[
                    ("Palermo", 3479099956230698.0),
                    ("Catania", 3479447370796909.0),
                ]),
            ),
            ("GEOADD Sicily NX 13 38 Palermo", int(0)),
            ("GEOADD Sicily XX CH 13 38 Palermo", int(1)),
            ("GEOADD Sicily XX 13 38 New", int(0)),
            ("GEOADD Sicily XX NX 13 38 x", err(SYNTAX_ERROR)),
            ("GEOADD Sicily 13 38 x 1", err(SYNTAX_ERROR)),
            ("GEOADD Sicily 200 10 x", pair_error("200.000000,10.000000")),
            ("GEOADD Sicily 10 86 x", pair_error("10.000000,86.000000")),
            ("GEOADD Sicily abc 86 x", err(NOT_FLOAT)),
            ("GEOADD Sicily 1 nan x", err(NOT_FLOAT)),
            ("GEOADD s 1 2 x", err(WRONGTYPE)),
            // The extreme corners are accepted and encode like Redis.
            ("GEOADD c 180 85.05112878 ne -180 -85.05112878 sw", int(2)),
            (
                "ZRANGE c 0 -1 WITHSCORES",
                scored(&[("sw", 0.0), ("ne", 13510798882111488.0)]),
            ),
        ],
    );
}

#[test]
fn geopos_geohash_geodist_print_as_redis() {
    check(
        &mut sicily(),
        &[
            (
                "GEOPOS Sicily Palermo Catania nx",
                arr(vec![pos(PALERMO), pos(CATANIA), Reply::NilArray]),
            ),
            ("GEOPOS none a", arr(vec![Reply::NilArray])),
            (
                "GEOHASH Sicily Palermo Catania nx",
                arr(vec![bulk("sqc8b49rny0"), bulk("sqdtr74hyu0"), Reply::Nil]),
            ),
            ("GEOHASH none a", arr(vec![Reply::Nil])),
            ("GEODIST Sicily Palermo Catania", bulk("166274.1516")),
            ("GEODIST Sicily Palermo Catania KM", bulk("166.2742")),
            ("GEODIST Sicily Palermo Catania mi", bulk("103.3182")),
            ("GEODIST Sicily Palermo Palermo ft", bulk("0.0000")),
            ("GEODIST Sicily Palermo nx", Reply::Nil),
            ("GEODIST none a b", Reply::Nil),
            ("GEODIST Sicily Palermo Catania yd", err(BAD_UNIT)),
            ("GEODIST Sicily Palermo Catania km x", err(SYNTAX_ERROR)),
            ("GEOPOS s a", err(WRONGTYPE)),
            ("GEOHASH s a", err(WRONGTYPE)),
            ("GEODIST s a b", err(WRONGTYPE)),
        ],
    );
    assert_eq!(format_distance(0.00005), "0.0000");
    assert_eq!(format_distance(1.23456), "1.2346");
    assert_eq!(format_coord(-0.0), "0");
    assert_eq!(format_coord(1.5), "1.5");
    assert_eq!(format_coord(2.0), "2");
}

#[test]
fn equal_distances_under_count_come_out_in_redis_partial_sort_order() {
    // 48 points on 6 spots, many at equal distances; expected orders were taken from
    // redis-server 7.0: a full sort keeps the equal ones in scan order, COUNT below the
    // number of matches runs Redis's partial quicksort, which reorders them.
    const SPOTS: [&str; 6] = [
        "13.361389 38.115556",
        "14.0 38.0",
        "15.087269 37.502669",
        "13.5 37.9",
        "14.5 37.7",
        "13.2 38.3",
    ];
    const AT: [usize; 48] = [
        1, 4, 4, 1, 2, 4, 3, 5, 4, 0, 4, 0, 3, 2, 4, 1, 1, 5, 3, 4, 4, 3, 3, 5, 1, 1, 5, 1, 4, 3,
        5, 0, 5, 0, 1, 4, 0, 2, 0, 2, 3, 4, 5, 3, 5, 3, 3, 5,
    ];
    let mut e = Engine::default();
    let mut add = "GEOADD g".to_string();
    for (i, spot) in AT.iter().enumerate() {
        add += &format!(" {} p{i:02}", SPOTS[*spot]);
    }
    assert_eq!(apply(&mut e, 1, add.as_str()), int(48));
    let search = "GEOSEARCH g FROMLONLAT 13.4 38.1 BYRADIUS 500 km ASC";
    for (count, order) in [
        (
            " COUNT 12",
            "p11 p31 p33 p36 p38 p09 p21 p22 p29 p43 p40 p45",
        ),
        (
            " COUNT 20",
            "p11 p31 p33 p36 p38 p09 p21 p22 p29 p43 p40 p45 p46 p06 p12 p18 p42 p17 p23 p26",
        ),
        (
            "",
            "p09 p11 p31 p33 p36 p38 p06 p12 p18 p21 p22 p29 p40 p43 p45 p46 p07 p17 p23 p26 \
             p30 p32 p42 p44 p47 p00 p03 p15 p16 p24 p25 p27 p34 p01 p02 p05 p08 p10 p14 p19 \
             p20 p28 p35 p41 p04 p13 p37 p39",
        ),
    ] {
        let names: Vec<&str> = order.split(' ').collect();
        let line = format!("{search}{count}");
        assert_eq!(apply(&mut e, 1, line.as_str()), bulks(&names), "{line}");
    }
}

#[test]
fn searches_find_sort_and_decorate_like_redis() {
    let member = |name: &str, extras: Vec<Reply>| {
        let mut parts = vec![bulk(name)];
        parts.extend(extras);
        arr(parts)
    };
    let nearby = "Sicily 15 37 200 km";
    let from = "GEOSEARCH Sicily FROMLONLAT 15 37";
    check(
        &mut sicily4(),
        &[
            (
                &format!("{from} BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH"),
                arr(vec![
                    member(
                        "Catania",
                        vec![bulk("56.4413"), int(3479447370796909), pos(CATANIA)],
                    ),
                    member(
                        "Palermo",
                        vec![bulk("190.4424"), int(3479099956230698), pos(PALERMO)],
                    ),
                ]),
            ),
            (
                &format!("{from} BYBOX 400 400 km DESC WITHDIST"),
                arr(vec![
                    member("edge1", vec![bulk("279.7405")]),
                    member("edge2", vec![bulk("279.7403")]),
                    member("Palermo", vec![bulk("190.4424")]),
                    member("Catania", vec![bulk("56.4413")]),
                ]),
            ),
            (
                "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km",
                bulks(&["Palermo", "edge1"]),
            ),
            // ANY takes the first found; COUNT alone the nearest.
            (
                &format!("{from} BYRADIUS 200 km COUNT 1 ANY"),
                bulks(&["Palermo"]),
            ),
            (
                &format!("{from} BYRADIUS 200 km COUNT 1"),
                bulks(&["Catania"]),
            ),
            ("GEOSEARCH none FROMMEMBER x BYRADIUS 1 km", bulks(&[])),
            (
                &format!("GEORADIUS {nearby} WITHDIST WITHCOORD ASC"),
                arr(vec![
                    member("Catania", vec![bulk("56.4413"), pos(CATANIA)]),
                    member("Palermo", vec![bulk("190.4424"), pos(PALERMO)]),
                ]),
            ),
            (
                &format!("GEORADIUS_RO {nearby} COUNT 1 DESC"),
                bulks(&["Palermo"]),
            ),
            (
                "GEORADIUSBYMEMBER Sicily Palermo 100 km",
                bulks(&["Palermo", "edge1"]),
            ),
            (
                "GEORADIUSBYMEMBER_RO Sicily Palermo 100 km WITHHASH",
                arr(vec![
                    member("Palermo", vec![int(3479099956230698)]),
                    member("edge1", vec![int(3479273021651468)]),
                ]),
            ),
            // Without the key the radius is not even read.
            ("GEORADIUSBYMEMBER_RO none nope -1 xx", bulks(&[])),
        ],
    );
}

#[test]
fn searches_error_as_redis() {
    let mut e = sicily4();
    let store_with = |what: &str| {
        format!("ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
    };
    let around = [
        ("BYRADIUS 200 km COUNT 0", "ERR COUNT must be > 0"),
        ("BYRADIUS 200 km COUNT x", NOT_INTEGER),
        ("BYRADIUS 200 km COUNT", SYNTAX_ERROR),
        ("BYRADIUS -1 km", "ERR radius cannot be negative"),
        ("BYRADIUS x km", "ERR need numeric radius"),
        ("BYRADIUS 1 yd", BAD_UNIT),
        ("BYRADIUS 1", SYNTAX_ERROR),
        ("BYBOX 1 -1 km", "ERR height or width cannot be negative"),
        ("BYBOX x 1 km", "ERR need numeric width"),
        ("BYBOX 1 x km", "ERR need numeric height"),
        (
            "BYRADIUS 200 km ANY",
            "ERR the ANY argument requires COUNT argument",
        ),
        ("BYRADIUS 200 km STOREDIST", SYNTAX_ERROR),
        ("BYRADIUS 1 km BYBOX 1 1 km", SYNTAX_ERROR),
        (
            "WITHDIST ASC",
            "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH",
        ),
    ];
    for (options, error) in around {
        let line = format!("GEOSEARCH Sicily FROMLONLAT 15 37 {options}");
        assert_eq!(apply(&mut e, 1, line.as_str()), err(error), "{line}");
    }
    let store_search = store_with("GEOSEARCHSTORE");
    let store_radius = store_with("STORE option in GEORADIUS");
    for (line, error) in [
        (
            "geosearch Sicily BYRADIUS 1 km ASC WITHDIST",
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch",
        ),
        (
            "GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km",
            "ERR could not decode requested zset member",
        ),
        (
            "GEOSEARCH Sicily FROMLONLAT 181 0 BYRADIUS 1 km",
            "ERR invalid longitude,latitude pair 181.000000,0.000000",
        ),
        ("GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 1 km", WRONGTYPE),
        (
            "GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 m WITHDIST",
            &store_search,
        ),
        ("GEOSEARCHSTORE d s FROMLONLAT 1 1 BYRADIUS 1 km", WRONGTYPE),
        (
            "GEORADIUS Sicily 15 37 200 km STOREDIST d WITHDIST",
            &store_radius,
        ),
        ("GEORADIUS_RO Sicily 15 37 200 km STORE d", SYNTAX_ERROR),
        ("GEORADIUS Sicily 15 37 200 km STORE", SYNTAX_ERROR),
        ("GEORADIUS Sicily 15 37 200 km FROMLONLAT 1 2", SYNTAX_ERROR),
        (
            "GEORADIUS Sicily 15 37 -1 km",
            "ERR radius cannot be negative",
        ),
        (
            "GEORADIUS Sicily 200 37 1 km",
            "ERR invalid longitude,latitude pair 200.000000,37.000000",
        ),
        (
            "GEORADIUS Sicily 15 37 1 km ANY",
            "ERR the ANY argument requires COUNT argument",
        ),
        (
            "GEORADIUSBYMEMBER Sicily nope 100 km",
            "ERR could not decode requested zset member",
        ),
        ("GEORADIUS_RO s 1 1 1 km", WRONGTYPE),
        ("GEORADIUSBYMEMBER s m 1 km", WRONGTYPE),
    ] {
        assert_eq!(apply(&mut e, 1, line), err(error), "{line}");
    }
}

#[test]
fn stores_hashes_or_distances_and_delete_the_destination_when_empty() {
    let distances = scored(&[
        ("Catania", 56.4412578701582),
        ("Palermo", 190.44242984775784),
    ]);
    let stored = |dst: &str| format!("ZRANGE {dst} 0 -1 WITHSCORES");
    let near = "Sicily FROMLONLAT 15 37 BYRADIUS 200 km";
    check(
        &mut sicily4(),
        &[
            (&format!("GEOSEARCHSTORE dst {near} STOREDIST"), int(2)),
            (&stored("dst"), distances.clone()),
            (&format!("GEOSEARCHSTORE dst {near} COUNT 1"), int(1)),
            (&stored("dst"), scored(&[("Catania", 3479447370796909.0)])),
            (
                "GEOSEARCHSTORE dst Sicily FROMLONLAT 0 0 BYRADIUS 1 m",
                int(0),
            ),
            ("EXISTS dst", int(0)),
            ("SET dst v", ok()),
            ("GEOSEARCHSTORE dst none FROMMEMBER x BYRADIUS 1 m", int(0)),
            ("EXISTS dst", int(0)),
            ("GEORADIUS Sicily 15 37 200 km STORE r", int(2)),
            (
                &stored("r"),
                scored(&[
                    ("Palermo", 3479099956230698.0),
                    ("Catania", 3479447370796909.0),
                ]),
            ),
            ("GEORADIUS Sicily 15 37 200 km STOREDIST r", int(2)),
            (&stored("r"), distances),
            // Without the key the radius is not even read, and the destination goes.
            ("GEORADIUSBYMEMBER none nope -1 xx STORE r", int(0)),
            ("EXISTS r", int(0)),
        ],
    );
}
