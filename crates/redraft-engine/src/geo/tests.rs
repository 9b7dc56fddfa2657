use super::commands::{format_coord, format_distance};
use crate::args::{NOT_FLOAT, NOT_INTEGER, SYNTAX_ERROR};
use crate::reply::WRONGTYPE;
use crate::testutil::{apply, bulks, check, check_notified, err, int, listen};
use crate::Engine;

const BAD_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";

/// Palermo and Catania, and a string at `s` for the WRONGTYPE checks.
fn sicily() -> Engine {
    let mut e = Engine::new();
    check(
        &mut e,
        1,
        &[
            (
                "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
                ":2",
            ),
            ("SET s v", "+OK"),
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
    check(
        &mut sicily(),
        1,
        &[
            (
                "ZRANGE Sicily 0 -1 WITHSCORES",
                "%[Palermo ,3479099956230698 Catania ,3479447370796909]",
            ),
            ("GEOADD Sicily NX 13 38 Palermo", ":0"),
            ("GEOADD Sicily XX CH 13 38 Palermo", ":1"),
            ("GEOADD Sicily XX 13 38 New", ":0"),
            ("GEOADD Sicily XX NX 13 38 x", SYNTAX_ERROR),
            ("GEOADD Sicily 13 38 x 1", SYNTAX_ERROR),
            (
                "GEOADD Sicily 200 10 x",
                "ERR invalid longitude,latitude pair 200.000000,10.000000",
            ),
            (
                "GEOADD Sicily 10 86 x",
                "ERR invalid longitude,latitude pair 10.000000,86.000000",
            ),
            ("GEOADD Sicily abc 86 x", NOT_FLOAT),
            ("GEOADD Sicily 1 nan x", NOT_FLOAT),
            ("GEOADD s 1 2 x", WRONGTYPE),
            // The extreme corners are accepted and encode like Redis.
            ("GEOADD c 180 85.05112878 ne -180 -85.05112878 sw", ":2"),
            ("ZRANGE c 0 -1 WITHSCORES", "%[sw ,0 ne ,13510798882111488]"),
        ],
    );
}

#[test]
fn geopos_geohash_geodist_print_as_redis() {
    check(
        &mut sicily(),
        1,
        &[
            ("GEOPOS Sicily Palermo Catania nx", "[[13.36138933897018433 38.11555639549629859] [15.08726745843887329 37.50266842333162032] (nil-array)]"),
            ("GEOPOS none a", "[(nil-array)]"),
            ("GEOHASH Sicily Palermo Catania nx", "[sqc8b49rny0 sqdtr74hyu0 (nil)]"),
            ("GEOHASH none a", "[(nil)]"),
            ("GEODIST Sicily Palermo Catania", "166274.1516"),
            ("GEODIST Sicily Palermo Catania KM", "166.2742"),
            ("GEODIST Sicily Palermo Catania mi", "103.3182"),
            ("GEODIST Sicily Palermo Palermo ft", "0.0000"),
            ("GEODIST Sicily Palermo nx", "(nil)"),
            ("GEODIST none a b", "(nil)"),
            ("GEODIST Sicily Palermo Catania yd", BAD_UNIT),
            ("GEODIST Sicily Palermo Catania km x", SYNTAX_ERROR),
            ("GEOPOS s a", WRONGTYPE),
            ("GEOHASH s a", WRONGTYPE),
            ("GEODIST s a b", WRONGTYPE),
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
    let nearby = "Sicily 15 37 200 km";
    let from = "GEOSEARCH Sicily FROMLONLAT 15 37";
    check(
        &mut sicily4(),
        1,
        &[
            (&format!("{from} BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH"), "[[Catania 56.4413 :3479447370796909 [15.08726745843887329 37.50266842333162032]] [Palermo 190.4424 :3479099956230698 [13.36138933897018433 38.11555639549629859]]]"),
            (&format!("{from} BYBOX 400 400 km DESC WITHDIST"), "[[edge1 279.7405] [edge2 279.7403] [Palermo 190.4424] [Catania 56.4413]]"),
            ("GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km", "[Palermo edge1]"),
            // ANY takes the first found; COUNT alone the nearest.
            (&format!("{from} BYRADIUS 200 km COUNT 1 ANY"), "[Palermo]"),
            (&format!("{from} BYRADIUS 200 km COUNT 1"), "[Catania]"),
            ("GEOSEARCH none FROMMEMBER x BYRADIUS 1 km", "[]"),
            (&format!("GEORADIUS {nearby} WITHDIST WITHCOORD ASC"), "[[Catania 56.4413 [15.08726745843887329 37.50266842333162032]] [Palermo 190.4424 [13.36138933897018433 38.11555639549629859]]]"),
            (&format!("GEORADIUS_RO {nearby} COUNT 1 DESC"), "[Palermo]"),
            ("GEORADIUSBYMEMBER Sicily Palermo 100 km", "[Palermo edge1]"),
            ("GEORADIUSBYMEMBER_RO Sicily Palermo 100 km WITHHASH", "[[Palermo :3479099956230698] [edge1 :3479273021651468]]"),
            // Without the key the radius is not even read.
            ("GEORADIUSBYMEMBER_RO none nope -1 xx", "[]"),
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
    let stored = |dst: &str| format!("ZRANGE {dst} 0 -1 WITHSCORES");
    let near = "Sicily FROMLONLAT 15 37 BYRADIUS 200 km";
    check(
        &mut sicily4(),
        1,
        &[
            (&format!("GEOSEARCHSTORE dst {near} STOREDIST"), ":2"),
            (
                &stored("dst"),
                "%[Catania ,56.4412578701582 Palermo ,190.44242984775784]",
            ),
            (&format!("GEOSEARCHSTORE dst {near} COUNT 1"), ":1"),
            (&stored("dst"), "%[Catania ,3479447370796909]"),
            (
                "GEOSEARCHSTORE dst Sicily FROMLONLAT 0 0 BYRADIUS 1 m",
                ":0",
            ),
            ("EXISTS dst", ":0"),
            ("SET dst v", "+OK"),
            ("GEOSEARCHSTORE dst none FROMMEMBER x BYRADIUS 1 m", ":0"),
            ("EXISTS dst", ":0"),
            ("GEORADIUS Sicily 15 37 200 km STORE r", ":2"),
            (
                &stored("r"),
                "%[Palermo ,3479099956230698 Catania ,3479447370796909]",
            ),
            ("GEORADIUS Sicily 15 37 200 km STOREDIST r", ":2"),
            (
                &stored("r"),
                "%[Catania ,56.4412578701582 Palermo ,190.44242984775784]",
            ),
            // Without the key the radius is not even read, and the destination goes.
            ("GEORADIUSBYMEMBER none nope -1 xx STORE r", ":0"),
            ("EXISTS r", ":0"),
        ],
    );
}

#[test]
fn geo_commands_notify_as_redis_does() {
    let mut e = Engine::new();
    listen(&mut e, "Ezg");
    check_notified(
        &mut e,
        1000,
        &[
            (
                "GEOADD g 13.361389 38.115556 a 15.087269 37.502669 b",
                &["zadd g"],
            ),
            ("GEOADD g NX 13.361389 38.115556 a", &[]),
            ("GEORADIUS g 15 37 200 km STORE d", &["georadiusstore d"]),
            (
                "GEORADIUSBYMEMBER g a 1 km STOREDIST d",
                &["georadiusstore d"],
            ),
            (
                "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km",
                &["geosearchstore d"],
            ),
            (
                "GEOSEARCHSTORE d g FROMLONLAT 0 0 BYRADIUS 1 km",
                &["del d"],
            ),
            ("GEORADIUS none 0 0 1 km STORE d", &[]),
            ("GEOSEARCH g FROMMEMBER a BYRADIUS 1 km", &[]),
        ],
    );
}
