//! Geo commands (geo.c, geohash.c, geohash_helper.c): points are members of a sorted set
//! whose score is the 52-bit interleaved geohash of (longitude, latitude), exactly as Redis
//! computes it, so scores, positions, distances and search results equal Redis's.
//!
//! The first half is the geohash arithmetic (encode, decode, neighbours, the 9-cell cover of a
//! search shape, the haversine distance); the second half the commands, on top of zset.rs.

use std::cmp::Ordering;

use crate::args::{int_arg, is, reply, syntax_error, NOT_FLOAT};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::pqsort;
use crate::reply::Reply;
use crate::score::parse_score;
use crate::table::{
    cmd, legacy, CommandSpec,
    Kind::{Read, Write},
    DENYOOM,
};
use crate::zset::{self, lookup_zset, ZSetValue};

const STEP_MAX: u32 = 26;
const LAT_MIN: f64 = -85.051_128_78;
const LAT_MAX: f64 = 85.051_128_78;
const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;
const EARTH_RADIUS_IN_METERS: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(angle: f64) -> f64 {
    angle * D_R
}

fn rad_deg(angle: f64) -> f64 {
    angle / D_R
}

/// A geohash cell: `step` bits of latitude interleaved with `step` bits of longitude.
/// A zero cell (bits 0, step 0) stands for a neighbour excluded from the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct Cell {
    bits: u64,
    step: u32,
}

impl Cell {
    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Range {
    min: f64,
    max: f64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Area {
    longitude: Range,
    latitude: Range,
}

const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// Spreads the 32 bits of `v` over the even bits of a u64.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `v` into a u32 (inverse of [`spread`]).
fn squash(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// Latitude in the even bits, longitude in the odd bits (geohash.c's interleave64).
fn interleave(lat: u32, long: u32) -> u64 {
    spread(lat) | (spread(long) << 1)
}

/// (latitude part, longitude part) of interleaved bits.
fn deinterleave(bits: u64) -> (u32, u32) {
    (squash(bits), squash(bits >> 1))
}

/// The cell of `step` bits holding the point, within the given ranges; None outside them.
fn encode(long_range: Range, lat_range: Range, long: f64, lat: f64, step: u32) -> Option<Cell> {
    if !(LONG_MIN..=LONG_MAX).contains(&long) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || long < long_range.min || long > long_range.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let long_offset = (long - long_range.min) / (long_range.max - long_range.min) * scale;
    // C converts the doubles to uint32_t by truncation; `as` truncates alike in range.
    Some(Cell {
        bits: interleave(lat_offset as u32, long_offset as u32),
        step,
    })
}

fn encode_wgs84(long: f64, lat: f64, step: u32) -> Option<Cell> {
    encode(LONG_RANGE, LAT_RANGE, long, lat, step)
}

/// The area a cell covers (None for the zero cell).
fn decode(cell: Cell) -> Option<Area> {
    if cell.is_zero() {
        return None;
    }
    let (ilat, ilong) = deinterleave(cell.bits);
    let div = (1u64 << cell.step) as f64;
    let lat_scale = LAT_MAX - LAT_MIN;
    let long_scale = LONG_MAX - LONG_MIN;
    let edge = |i: u32, plus: u32, min: f64, scale: f64| {
        min + ((f64::from(i) + f64::from(plus)) * 1.0 / div) * scale
    };
    Some(Area {
        latitude: Range {
            min: edge(ilat, 0, LAT_MIN, lat_scale),
            max: edge(ilat, 1, LAT_MIN, lat_scale),
        },
        longitude: Range {
            min: edge(ilong, 0, LONG_MIN, long_scale),
            max: edge(ilong, 1, LONG_MIN, long_scale),
        },
    })
}

/// The centre of an area, clamped to the valid coordinates: [longitude, latitude].
fn area_center(area: &Area) -> [f64; 2] {
    let long = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [long, lat]
}

/// The point a sorted-set score stands for (decodeGeohash). C's cast of a double to
/// uint64_t is undefined outside its range; here it saturates.
fn decode_score(score: f64) -> [f64; 2] {
    let cell = Cell {
        bits: score as u64,
        step: STEP_MAX,
    };
    area_center(&decode(cell).expect("step 26 is never the zero cell"))
}

/// The 52-bit score of a cell (geohashAlign52Bits).
fn align52(cell: Cell) -> u64 {
    cell.bits << (52 - cell.step * 2)
}

/// The score GEOADD stores for a valid point.
pub fn score_of(long: f64, lat: f64) -> Option<u64> {
    encode_wgs84(long, lat, STEP_MAX).map(align52)
}

fn move_x(cell: &mut Cell, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> (64 - cell.step * 2);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - cell.step * 2);
    cell.bits = x | y;
}

fn move_y(cell: &mut Cell, d: i8) {
    if d == 0 {
        return;
    }
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - cell.step * 2);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> (64 - cell.step * 2);
    cell.bits = x | y;
}

/// The eight neighbours of a cell in the order Redis searches them after the cell itself:
/// north, south, east, west, north-east, north-west, south-east, south-west.
fn neighbours(cell: Cell) -> [Cell; 8] {
    let moved = |dx: i8, dy: i8| {
        let mut c = cell;
        move_x(&mut c, dx);
        move_y(&mut c, dy);
        c
    };
    [
        moved(0, 1),
        moved(0, -1),
        moved(1, 0),
        moved(-1, 0),
        moved(1, 1),
        moved(-1, 1),
        moved(1, -1),
        moved(-1, -1),
    ]
}

const NORTH: usize = 0;
const SOUTH: usize = 1;
const EAST: usize = 2;
const WEST: usize = 3;
const NORTH_EAST: usize = 4;
const NORTH_WEST: usize = 5;
const SOUTH_EAST: usize = 6;
const SOUTH_WEST: usize = 7;

fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Redis's haversine distance in meters, with its shortcut for equal longitudes.
pub fn distance(long1: f64, lat1: f64, long2: f64, lat2: f64) -> f64 {
    let long1r = deg_rad(long1);
    let long2r = deg_rad(long2);
    let v = ((long2r - long1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

#[derive(Clone, Copy, Debug)]
enum ShapeKind {
    Radius(f64),
    /// (width, height)
    Box(f64, f64),
}

/// What a search looks for: around `center` ([longitude, latitude]), sizes in the unit whose
/// length in meters is `conversion`.
#[derive(Clone, Copy, Debug)]
struct Shape {
    center: [f64; 2],
    kind: ShapeKind,
    conversion: f64,
}

impl Shape {
    /// [min longitude, min latitude, max longitude, max latitude] (geohashBoundingBox).
    fn bounds(&self) -> [f64; 4] {
        let [long, lat] = self.center;
        let (height, width) = match self.kind {
            ShapeKind::Radius(r) => (r * self.conversion, r * self.conversion),
            ShapeKind::Box(w, h) => (self.conversion * (h / 2.0), self.conversion * (w / 2.0)),
        };
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(lat + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(lat - lat_delta).cos());
        let delta = if lat < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [long - delta, lat - lat_delta, long + delta, lat + lat_delta]
    }

    /// The distance from the centre to `point` if the point is inside the shape.
    fn contains(&self, point: [f64; 2]) -> Option<f64> {
        let [x1, y1] = self.center;
        let [x2, y2] = point;
        match self.kind {
            ShapeKind::Radius(r) => {
                let d = distance(x1, y1, x2, y2);
                (d <= r * self.conversion).then_some(d)
            }
            ShapeKind::Box(w, h) => {
                let (width, height) = (w * self.conversion, h * self.conversion);
                if lat_distance(y2, y1) > height / 2.0 {
                    return None;
                }
                if distance(x2, y2, x1, y2) > width / 2.0 {
                    return None;
                }
                Some(distance(x1, y1, x2, y2))
            }
        }
    }
}

fn estimate_steps(range_meters: f64, lat: f64) -> u32 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u32
}

/// The cells to search, in Redis's order (the centre cell, then its neighbours), zero cells
/// for the neighbours left out (geohashCalculateAreasByShapeWGS84).
fn search_cells(shape: &Shape) -> [Cell; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounds();
    let [long, lat] = shape.center;
    let radius_meters = match shape.kind {
        ShapeKind::Radius(r) => r,
        ShapeKind::Box(w, h) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
    } * shape.conversion;
    let mut steps = estimate_steps(radius_meters, lat);
    let at = |steps| encode_wgs84(long, lat, steps).expect("centre was validated");
    let mut cell = at(steps);
    let mut around = neighbours(cell);
    let decoded = |c: Cell| decode(c).unwrap_or_default();
    let decrease = decoded(around[NORTH]).latitude.max < max_lat
        || decoded(around[SOUTH]).latitude.min > min_lat
        || decoded(around[EAST]).longitude.max < max_lon
        || decoded(around[WEST]).longitude.min > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        cell = at(steps);
        around = neighbours(cell);
    }
    let area = decoded(cell);
    if steps >= 2 {
        let mut drop = |dirs: [usize; 3]| {
            for dir in dirs {
                around[dir] = Cell::default();
            }
        };
        if area.latitude.min < min_lat {
            drop([SOUTH, SOUTH_WEST, SOUTH_EAST]);
        }
        if area.latitude.max > max_lat {
            drop([NORTH, NORTH_EAST, NORTH_WEST]);
        }
        if area.longitude.min < min_lon {
            drop([WEST, SOUTH_WEST, NORTH_WEST]);
        }
        if area.longitude.max > max_lon {
            drop([EAST, SOUTH_EAST, NORTH_EAST]);
        }
    }
    let mut cells = [cell; 9];
    cells[1..].copy_from_slice(&around);
    cells
}

/// A point found by a search.
struct Found {
    member: Vec<u8>,
    score: f64,
    point: [f64; 2],
    dist: f64,
}

/// Members of `zset` inside `shape`, cell by cell in Redis's order; with a `limit` (ANY) the
/// search stops as soon as that many were found.
fn search(zset: &ZSetValue, shape: &Shape, limit: usize) -> Vec<Found> {
    let cells = search_cells(shape);
    let mut found = Vec::new();
    let mut last: Option<Cell> = None;
    let full = |found: &Vec<Found>| limit != 0 && found.len() >= limit;
    for cell in cells {
        if cell.is_zero() || last == Some(cell) {
            continue;
        }
        if full(&found) {
            break;
        }
        last = Some(cell);
        let min = align52(cell) as f64;
        let max = align52(Cell {
            bits: cell.bits + 1,
            step: cell.step,
        }) as f64;
        let first = zset.partition_point(|score, _| score < min);
        for (score, member) in zset.iter_from(first) {
            if score >= max {
                break;
            }
            let point = decode_score(score);
            if let Some(dist) = shape.contains(point) {
                found.push(Found {
                    member: member.to_vec(),
                    score,
                    point,
                    dist,
                });
            }
            if full(&found) {
                break;
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------

/// A double argument as getDoubleFromObjectOrReply reads it, with its error line.
fn double_arg(arg: &[u8], error: &str) -> Result<f64, Reply> {
    parse_score(arg).ok_or_else(|| Reply::error(error))
}

/// A (longitude, latitude) pair of arguments, validated (extractLongLatOrReply).
fn lon_lat(args: &[Vec<u8>]) -> Result<[f64; 2], Reply> {
    let long = double_arg(&args[0], NOT_FLOAT)?;
    let lat = double_arg(&args[1], NOT_FLOAT)?;
    if !(LONG_MIN..=LONG_MAX).contains(&long) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(Reply::error(format!(
            "ERR invalid longitude,latitude pair {long:.6},{lat:.6}"
        )));
    }
    Ok([long, lat])
}

/// Meters per unit.
fn unit(arg: &[u8]) -> Result<f64, Reply> {
    if is(arg, "m") {
        Ok(1.0)
    } else if is(arg, "km") {
        Ok(1000.0)
    } else if is(arg, "ft") {
        Ok(0.3048)
    } else if is(arg, "mi") {
        Ok(1609.34)
    } else {
        Err(Reply::error(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        ))
    }
}

/// A distance as Redis prints it: rounded (half to even) to 4 decimals.
pub fn format_distance(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".into();
    }
    let scaled = (d * 10000.0).round_ties_even();
    let negative = scaled < 0.0;
    let value = scaled.abs() as u64;
    let sign = if negative { "-" } else { "" };
    format!("{sign}{}.{:04}", value / 10000, value % 10000)
}

fn distance_reply(d: f64) -> Reply {
    Reply::bulk(format_distance(d))
}

/// A coordinate as Redis prints it: `%.17Lf` of the value, trailing zeros dropped.
pub fn format_coord(value: f64) -> String {
    let mut text = format!("{value:.17}");
    if text.contains('.') {
        let kept = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(kept);
    }
    if text == "-0" {
        text = "0".into();
    }
    text
}

fn point_reply(point: [f64; 2]) -> Reply {
    Reply::Array(vec![
        Reply::bulk(format_coord(point[0])),
        Reply::bulk(format_coord(point[1])),
    ])
}

/// GEOADD key [NX|XX] [CH] longitude latitude member ...: ZADD of the encoded scores.
pub fn geoadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(geoadd_result(ctx, argv))
}

fn geoadd_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let (mut nx, mut xx) = (false, false);
    let mut at = 2;
    while let Some(opt) = argv.get(at) {
        if is(opt, "NX") {
            nx = true;
        } else if is(opt, "XX") {
            xx = true;
        } else if !is(opt, "CH") {
            break;
        }
        at += 1;
    }
    let triples = &argv[at..];
    if !triples.len().is_multiple_of(3) || (nx && xx) {
        return Err(syntax_error());
    }
    let mut zadd_argv: Vec<Vec<u8>> = Vec::with_capacity(at + triples.len() / 3 * 2);
    zadd_argv.push(b"zadd".to_vec());
    zadd_argv.extend_from_slice(&argv[1..at]);
    for triple in triples.chunks(3) {
        let [long, lat] = lon_lat(&triple[..2])?;
        let score = score_of(long, lat).expect("validated point");
        zadd_argv.push(score.to_string().into_bytes());
        zadd_argv.push(triple[2].clone());
    }
    Ok(zset::zadd(ctx, &zadd_argv))
}

/// GEOPOS key member ...
pub fn geopos(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(lookup_zset(ctx.db(), &argv[1], ctx.now_ms).map(|zset| {
        let items = argv[2..]
            .iter()
            .map(|member| match zset.and_then(|z| z.score(member)) {
                Some(score) => point_reply(decode_score(score)),
                None => Reply::NilArray,
            })
            .collect();
        Reply::Array(items)
    }))
}

/// GEOHASH key member ...: the standard 11-character geohash (latitude range ±90).
pub fn geohash(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    reply(lookup_zset(ctx.db(), &argv[1], ctx.now_ms).map(|zset| {
        let items = argv[2..]
            .iter()
            .map(|member| match zset.and_then(|z| z.score(member)) {
                Some(score) => {
                    let [long, lat] = decode_score(score);
                    let standard = Range {
                        min: -90.0,
                        max: 90.0,
                    };
                    let bits = encode(LONG_RANGE, standard, long, lat, 26).map_or(0, |c| c.bits);
                    let text: Vec<u8> = (0..11)
                        .map(|i| {
                            let idx = if i == 10 {
                                0
                            } else {
                                (bits >> (52 - (i + 1) * 5)) & 0x1f
                            };
                            ALPHABET[idx as usize]
                        })
                        .collect();
                    Reply::Bulk(text)
                }
                None => Reply::Nil,
            })
            .collect();
        Reply::Array(items)
    }))
}

/// GEODIST key member1 member2 [unit]
pub fn geodist(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(geodist_result(ctx, argv))
}

fn geodist_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let to_meters = match argv.len() {
        5 => unit(&argv[4])?,
        n if n > 5 => return Err(syntax_error()),
        _ => 1.0,
    };
    let Some(zset) = lookup_zset(ctx.db(), &argv[1], ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    let (Some(s1), Some(s2)) = (zset.score(&argv[2]), zset.score(&argv[3])) else {
        return Ok(Reply::Nil);
    };
    let [x1, y1] = decode_score(s1);
    let [x2, y2] = decode_score(s2);
    Ok(distance_reply(distance(x1, y1, x2, y2) / to_meters))
}

#[derive(Clone, Copy, PartialEq)]
enum Order {
    None,
    Asc,
    Desc,
}

/// GEOSEARCH's parsed options.
struct SearchArgs {
    shape: Shape,
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    storedist: bool,
    order: Order,
    any: bool,
    count: usize,
}

/// Which command's options are parsed.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Search,
    SearchStore,
    /// GEORADIUS[BYMEMBER], with STORE/STOREDIST allowed or not (the _RO forms).
    Radius {
        store: bool,
    },
}

const DEFAULT_SHAPE: Shape = Shape {
    center: [0.0, 0.0],
    kind: ShapeKind::Radius(0.0),
    conversion: 1.0,
};

/// A radius and its unit (extractDistanceOrReply): (radius, meters per unit).
fn radius_arg(radius: &[u8], unit_arg: &[u8]) -> Result<(f64, f64), Reply> {
    let radius = double_arg(radius, "ERR need numeric radius")?;
    if radius < 0.0 {
        return Err(Reply::error("ERR radius cannot be negative"));
    }
    Ok((radius, unit(unit_arg)?))
}

/// Parses the options of GEOSEARCH, GEOSEARCHSTORE or the GEORADIUS family, in Redis's order
/// of checks, from `shape` (already set by GEORADIUS); the centre member is looked up in
/// `zset` when it exists. Also returns GEORADIUS's STORE/STOREDIST destination.
fn parse_search<'a>(
    name: &[u8],
    options: &'a [Vec<u8>],
    zset: Option<&ZSetValue>,
    variant: Variant,
    shape: Shape,
) -> Result<(SearchArgs, Option<&'a [u8]>), Reply> {
    let geosearch = matches!(variant, Variant::Search | Variant::SearchStore);
    let radius_store = variant == Variant::Radius { store: true };
    let mut store_key: Option<&[u8]> = None;
    let mut args = SearchArgs {
        shape,
        withdist: false,
        withhash: false,
        withcoord: false,
        storedist: false,
        order: Order::None,
        any: false,
        count: 0,
    };
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let remaining = options.len();
    let mut i = 0;
    while i < remaining {
        let arg = &options[i];
        if is(arg, "withdist") {
            args.withdist = true;
        } else if is(arg, "withhash") {
            args.withhash = true;
        } else if is(arg, "withcoord") {
            args.withcoord = true;
        } else if is(arg, "any") {
            args.any = true;
        } else if is(arg, "asc") {
            args.order = Order::Asc;
        } else if is(arg, "desc") {
            args.order = Order::Desc;
        } else if is(arg, "count") && i + 1 < remaining {
            let count = int_arg(&options[i + 1])?;
            if count <= 0 {
                return Err(Reply::error("ERR COUNT must be > 0"));
            }
            args.count = usize::try_from(count).unwrap_or(usize::MAX);
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist")) && i + 1 < remaining && radius_store {
            store_key = Some(&options[i + 1]);
            args.storedist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && variant == Variant::SearchStore {
            args.storedist = true;
        } else if is(arg, "frommember") && i + 1 < remaining && geosearch && !fromloc {
            if let Some(zset) = zset {
                let score = zset
                    .score(&options[i + 1])
                    .ok_or_else(|| Reply::error("ERR could not decode requested zset member"))?;
                args.shape.center = decode_score(score);
            }
            frommember = true;
            i += 1;
        } else if is(arg, "fromlonlat") && i + 2 < remaining && geosearch && !frommember {
            args.shape.center = lon_lat(&options[i + 1..i + 3])?;
            fromloc = true;
            i += 2;
        } else if is(arg, "byradius") && i + 2 < remaining && geosearch && !bybox {
            let (radius, conversion) = radius_arg(&options[i + 1], &options[i + 2])?;
            args.shape.conversion = conversion;
            args.shape.kind = ShapeKind::Radius(radius);
            byradius = true;
            i += 2;
        } else if is(arg, "bybox") && i + 3 < remaining && geosearch && !byradius {
            let width = double_arg(&options[i + 1], "ERR need numeric width")?;
            let height = double_arg(&options[i + 2], "ERR need numeric height")?;
            if height < 0.0 || width < 0.0 {
                return Err(Reply::error("ERR height or width cannot be negative"));
            }
            args.shape.conversion = unit(&options[i + 3])?;
            args.shape.kind = ShapeKind::Box(width, height);
            bybox = true;
            i += 3;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    let storing = store_key.is_some() || variant == Variant::SearchStore;
    if storing && (args.withdist || args.withhash || args.withcoord) {
        let what = if variant == Variant::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Reply::error(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(crate::args::c_str(name)).into_owned();
    if geosearch && !(frommember || fromloc) {
        return Err(crate::args::client_error(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if geosearch && !(byradius || bybox) {
        return Err(crate::args::client_error(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if args.any && args.count == 0 {
        return Err(Reply::error("ERR the ANY argument requires COUNT argument"));
    }
    Ok((args, store_key))
}

/// The matches of a search, ordered and cut to COUNT as Redis returns them.
fn run_search(zset: &ZSetValue, args: &SearchArgs) -> Vec<Found> {
    let mut order = args.order;
    if args.count != 0 && order == Order::None && !args.any {
        order = Order::Asc;
    }
    let limit = if args.any { args.count } else { 0 };
    let mut found = search(zset, &args.shape, limit);
    match order {
        Order::None => {}
        Order::Asc => sort_found(&mut found, args.count, |a, b| a.dist.total_cmp(&b.dist)),
        Order::Desc => sort_found(&mut found, args.count, |a, b| b.dist.total_cmp(&a.dist)),
    }
    if args.count != 0 {
        found.truncate(args.count);
    }
    for item in &mut found {
        item.dist /= args.shape.conversion;
    }
    found
}

/// Sorts the matches as Redis does, so that equal distances come out in Redis's order: a
/// full sort is glibc's qsort, stable for arrays like these; keeping only the first `count` of
/// more is Redis's partial quicksort.
fn sort_found(found: &mut [Found], count: usize, cmp: impl Fn(&Found, &Found) -> Ordering) {
    if count == 0 || found.len() <= count {
        found.sort_by(cmp);
    } else {
        pqsort::partial_sort(found, 0, count - 1, &cmp);
    }
}

/// GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [ASC|DESC]
/// [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
pub fn geosearch(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    reply(geosearch_result(ctx, argv))
}

fn geosearch_result(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let zset = lookup_zset(ctx.db(), &argv[1], ctx.now_ms)?;
    let (args, _) = parse_search(&argv[0], &argv[2..], zset, Variant::Search, DEFAULT_SHAPE)?;
    let Some(zset) = zset else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(search_reply(run_search(zset, &args), &args))
}

/// The reply to a search: members, or one array per member with the requested extras.
fn search_reply(found: Vec<Found>, args: &SearchArgs) -> Reply {
    let extras = args.withdist || args.withhash || args.withcoord;
    let items = found
        .into_iter()
        .map(|item| {
            let member = Reply::Bulk(item.member);
            if !extras {
                return member;
            }
            let mut parts = vec![member];
            if args.withdist {
                parts.push(distance_reply(item.dist));
            }
            if args.withhash {
                parts.push(Reply::Integer(item.score as i64));
            }
            if args.withcoord {
                parts.push(point_reply(item.point));
            }
            Reply::Array(parts)
        })
        .collect();
    Reply::Array(items)
}

/// GEOSEARCHSTORE destination source ... [STOREDIST]: the matches as a sorted set scored by
/// geohash (or by distance in the search's unit with STOREDIST).
pub fn geosearchstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    reply(geosearchstore_result(ctx, argv))
}

fn geosearchstore_result(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let read = ctx.as_read();
    let zset = lookup_zset(read.db(), &argv[2], now)?;
    let variant = Variant::SearchStore;
    let (args, _) = parse_search(&argv[0], &argv[3..], zset, variant, DEFAULT_SHAPE)?;
    let entries = stored_entries(zset, &args);
    Ok(zset::store(ctx, &argv[1], entries))
}

/// The matches as sorted-set entries in order: scored by geohash, or by distance.
fn stored_entries(zset: Option<&ZSetValue>, args: &SearchArgs) -> Vec<(f64, Vec<u8>)> {
    let mut entries: Vec<(f64, Vec<u8>)> = match zset {
        None => Vec::new(),
        Some(zset) => run_search(zset, args)
            .into_iter()
            .map(|item| {
                let score = if args.storedist {
                    item.dist
                } else {
                    item.score
                };
                (score, item.member)
            })
            .collect(),
    };
    entries.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    entries
}

/// What a GEORADIUS-family command does: reply, or store entries at a key.
enum RadiusOutcome {
    Reply(Reply),
    Store(Vec<u8>, Vec<(f64, Vec<u8>)>),
}

/// GEORADIUS key lon lat radius unit ... / GEORADIUSBYMEMBER key member radius unit ...
/// (georadiusGeneric), with STORE/STOREDIST when `store_allowed`.
fn radius_generic(
    ctx: &ReadCtx,
    argv: &[Vec<u8>],
    by_member: bool,
    store_allowed: bool,
) -> Result<RadiusOutcome, Reply> {
    let zset = lookup_zset(ctx.db(), &argv[1], ctx.now_ms)?;
    let mut shape = DEFAULT_SHAPE;
    let base = if by_member { 5 } else { 6 };
    if !by_member {
        shape.center = lon_lat(&argv[2..4])?;
    }
    if let Some(zset) = zset.filter(|_| by_member) {
        let score = zset
            .score(&argv[2])
            .ok_or_else(|| Reply::error("ERR could not decode requested zset member"))?;
        shape.center = decode_score(score);
    }
    if !by_member || zset.is_some() {
        let (radius, conversion) = radius_arg(&argv[base - 2], &argv[base - 1])?;
        shape.kind = ShapeKind::Radius(radius);
        shape.conversion = conversion;
    }
    let variant = Variant::Radius {
        store: store_allowed,
    };
    let (args, store_key) = parse_search(&argv[0], &argv[base..], zset, variant, shape)?;
    if let Some(key) = store_key {
        return Ok(RadiusOutcome::Store(
            key.to_vec(),
            stored_entries(zset, &args),
        ));
    }
    Ok(RadiusOutcome::Reply(match zset {
        None => Reply::Array(Vec::new()),
        Some(zset) => search_reply(run_search(zset, &args), &args),
    }))
}

fn radius_write(ctx: &mut WriteCtx, argv: &[Vec<u8>], by_member: bool) -> Reply {
    let outcome = radius_generic(&ctx.as_read(), argv, by_member, true);
    match outcome {
        Err(error) => error,
        Ok(RadiusOutcome::Reply(reply)) => reply,
        Ok(RadiusOutcome::Store(key, entries)) => zset::store(ctx, &key, entries),
    }
}

fn radius_read(ctx: &ReadCtx, argv: &[Vec<u8>], by_member: bool) -> Reply {
    match radius_generic(ctx, argv, by_member, false) {
        Err(error) => error,
        Ok(RadiusOutcome::Reply(reply)) => reply,
        Ok(RadiusOutcome::Store(..)) => unreachable!("STORE is refused by the _RO forms"),
    }
}

/// GEORADIUS key longitude latitude radius unit [WITH...] [COUNT n [ANY]] [ASC|DESC]
/// [STORE key|STOREDIST key]
pub fn georadius(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    radius_write(ctx, argv, false)
}

/// GEORADIUSBYMEMBER key member radius unit ...
pub fn georadiusbymember(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> Reply {
    radius_write(ctx, argv, true)
}

/// GEORADIUS_RO: GEORADIUS without STORE, a read.
pub fn georadius_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    radius_read(ctx, argv, false)
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE, a read.
pub fn georadiusbymember_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> Reply {
    radius_read(ctx, argv, true)
}

pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!("geoadd", -5, DENYOOM, 1, 1, 1, Write(legacy!(geoadd))),
    cmd!("geodist", -4, 0, 1, 1, 1, Read(legacy!(geodist))),
    cmd!("geohash", -2, 0, 1, 1, 1, Read(legacy!(geohash))),
    cmd!("geopos", -2, 0, 1, 1, 1, Read(legacy!(geopos))),
    cmd!("georadius", -6, DENYOOM, 1, 1, 1, Write(legacy!(georadius))),
    cmd!("georadius_ro", -6, 0, 1, 1, 1, Read(legacy!(georadius_ro))),
    cmd!(
        "georadiusbymember",
        -5,
        DENYOOM,
        1,
        1,
        1,
        Write(legacy!(georadiusbymember))
    ),
    cmd!(
        "georadiusbymember_ro",
        -5,
        0,
        1,
        1,
        1,
        Read(legacy!(georadiusbymember_ro))
    ),
    cmd!("geosearch", -7, 0, 1, 1, 1, Read(legacy!(geosearch))),
    cmd!(
        "geosearchstore",
        -8,
        DENYOOM,
        1,
        2,
        1,
        Write(legacy!(geosearchstore))
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{NOT_INTEGER, SYNTAX_ERROR};
    use crate::reply::WRONGTYPE;
    use crate::score::format_g17;
    use crate::testutil::{bulk, bulks, err, int};
    use crate::{testutil, Engine};

    fn resp2(reply: Reply) -> Reply {
        match reply {
            Reply::Double(score) => bulk(&format_g17(score)),
            Reply::Array(items) => Reply::Array(items.into_iter().map(resp2).collect()),
            Reply::Pairs(pairs) => Reply::Array(
                pairs
                    .into_iter()
                    .flat_map(|(m, s)| [resp2(m), resp2(s)])
                    .collect(),
            ),
            other => other,
        }
    }

    fn apply(engine: &mut Engine, parts: &[&str]) -> Reply {
        resp2(testutil::apply(engine, 1, parts))
    }

    fn read(engine: &Engine, parts: &[&str]) -> Reply {
        resp2(testutil::read(engine, 1, parts))
    }

    fn arr(items: Vec<Reply>) -> Reply {
        Reply::Array(items)
    }

    fn sicily() -> Engine {
        let mut e = Engine::new();
        let added = apply(
            &mut e,
            &[
                "GEOADD",
                "Sicily",
                "13.361389",
                "38.115556",
                "Palermo",
                "15.087269",
                "37.502669",
                "Catania",
            ],
        );
        assert_eq!(added, int(2));
        e
    }

    #[test]
    fn geoadd_stores_redis_scores_and_honours_nx_xx_ch() {
        let mut e = sicily();
        assert_eq!(
            read(&e, &["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"]),
            bulks(&["Palermo", "3479099956230698", "Catania", "3479447370796909"])
        );
        assert_eq!(
            apply(&mut e, &["GEOADD", "Sicily", "NX", "13", "38", "Palermo"]),
            int(0)
        );
        assert_eq!(
            apply(
                &mut e,
                &["GEOADD", "Sicily", "XX", "CH", "13", "38", "Palermo"]
            ),
            int(1)
        );
        assert_eq!(
            apply(&mut e, &["GEOADD", "Sicily", "XX", "13", "38", "New"]),
            int(0)
        );
        assert_eq!(
            apply(&mut e, &["GEOADD", "Sicily", "XX", "NX", "13", "38", "x"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            apply(&mut e, &["GEOADD", "Sicily", "13", "38", "x", "1"]),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            apply(&mut e, &["GEOADD", "Sicily", "200", "10", "x"]),
            err("ERR invalid longitude,latitude pair 200.000000,10.000000")
        );
        assert_eq!(
            apply(&mut e, &["GEOADD", "Sicily", "10", "86", "x"]),
            err("ERR invalid longitude,latitude pair 10.000000,86.000000")
        );
        assert_eq!(
            apply(&mut e, &["GEOADD", "Sicily", "abc", "86", "x"]),
            err(NOT_FLOAT)
        );
        assert_eq!(
            apply(&mut e, &["GEOADD", "Sicily", "1", "nan", "x"]),
            err(NOT_FLOAT)
        );
        apply(&mut e, &["SET", "s", "v"]);
        assert_eq!(
            apply(&mut e, &["GEOADD", "s", "1", "2", "x"]),
            err(WRONGTYPE)
        );
        // The extreme corners are accepted and encode like Redis.
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEOADD",
                    "c",
                    "180",
                    "85.05112878",
                    "ne",
                    "-180",
                    "-85.05112878",
                    "sw"
                ]
            ),
            int(2)
        );
        assert_eq!(
            read(&e, &["ZRANGE", "c", "0", "-1", "WITHSCORES"]),
            bulks(&["sw", "0", "ne", "13510798882111488"])
        );
    }

    #[test]
    fn geopos_geohash_geodist_print_as_redis() {
        let e = sicily();
        let pos = |x: &str, y: &str| arr(vec![bulk(x), bulk(y)]);
        assert_eq!(
            read(&e, &["GEOPOS", "Sicily", "Palermo", "Catania", "nx"]),
            arr(vec![
                pos("13.36138933897018433", "38.11555639549629859"),
                pos("15.08726745843887329", "37.50266842333162032"),
                Reply::NilArray,
            ])
        );
        assert_eq!(
            read(&e, &["GEOPOS", "none", "a"]),
            arr(vec![Reply::NilArray])
        );
        assert_eq!(
            read(&e, &["GEOHASH", "Sicily", "Palermo", "Catania", "nx"]),
            arr(vec![bulk("sqc8b49rny0"), bulk("sqdtr74hyu0"), Reply::Nil])
        );
        assert_eq!(read(&e, &["GEOHASH", "none", "a"]), arr(vec![Reply::Nil]));
        assert_eq!(
            read(&e, &["GEODIST", "Sicily", "Palermo", "Catania"]),
            bulk("166274.1516")
        );
        assert_eq!(
            read(&e, &["GEODIST", "Sicily", "Palermo", "Catania", "KM"]),
            bulk("166.2742")
        );
        assert_eq!(
            read(&e, &["GEODIST", "Sicily", "Palermo", "Catania", "mi"]),
            bulk("103.3182")
        );
        assert_eq!(
            read(&e, &["GEODIST", "Sicily", "Palermo", "Palermo", "ft"]),
            bulk("0.0000")
        );
        assert_eq!(
            read(&e, &["GEODIST", "Sicily", "Palermo", "nx"]),
            Reply::Nil
        );
        assert_eq!(read(&e, &["GEODIST", "none", "a", "b"]), Reply::Nil);
        assert_eq!(
            read(&e, &["GEODIST", "Sicily", "Palermo", "Catania", "yd"]),
            err("ERR unsupported unit provided. please use M, KM, FT, MI")
        );
        assert_eq!(
            read(&e, &["GEODIST", "Sicily", "Palermo", "Catania", "km", "x"]),
            err(SYNTAX_ERROR)
        );
        let mut e = e;
        apply(&mut e, &["SET", "s", "v"]);
        for cmd in ["GEOPOS", "GEOHASH"] {
            assert_eq!(read(&e, &[cmd, "s", "a"]), err(WRONGTYPE));
        }
        assert_eq!(read(&e, &["GEODIST", "s", "a", "b"]), err(WRONGTYPE));
    }

    #[test]
    fn equal_distances_under_count_come_out_in_redis_partial_sort_order() {
        // 48 points on 6 spots, many at equal distances; expected orders were taken from
        // redis-server 7.0: a full sort keeps the equal ones in scan order, COUNT below the
        // number of matches runs Redis's partial quicksort, which reorders them.
        const SPOTS: [(&str, &str); 6] = [
            ("13.361389", "38.115556"),
            ("14.0", "38.0"),
            ("15.087269", "37.502669"),
            ("13.5", "37.9"),
            ("14.5", "37.7"),
            ("13.2", "38.3"),
        ];
        const AT: [usize; 48] = [
            1, 4, 4, 1, 2, 4, 3, 5, 4, 0, 4, 0, 3, 2, 4, 1, 1, 5, 3, 4, 4, 3, 3, 5, 1, 1, 5, 1, 4,
            3, 5, 0, 5, 0, 1, 4, 0, 2, 0, 2, 3, 4, 5, 3, 5, 3, 3, 5,
        ];
        let mut e = Engine::default();
        let names: Vec<String> = (0..AT.len()).map(|i| format!("p{i:02}")).collect();
        let mut add = vec!["GEOADD", "g"];
        for (name, spot) in names.iter().zip(AT) {
            add.extend([SPOTS[spot].0, SPOTS[spot].1, name.as_str()]);
        }
        apply(&mut e, &add);
        let search = |count: Option<&str>| {
            let mut parts = vec![
                "GEOSEARCH",
                "g",
                "FROMLONLAT",
                "13.4",
                "38.1",
                "BYRADIUS",
                "500",
                "km",
                "ASC",
            ];
            parts.extend(count.map(|count| ["COUNT", count]).into_iter().flatten());
            read(&e, &parts)
        };
        let names = |list: &str| bulks(&list.split(' ').collect::<Vec<_>>());
        assert_eq!(
            search(Some("12")),
            names("p11 p31 p33 p36 p38 p09 p21 p22 p29 p43 p40 p45")
        );
        assert_eq!(
            search(Some("20")),
            names(
                "p11 p31 p33 p36 p38 p09 p21 p22 p29 p43 p40 p45 p46 p06 p12 p18 p42 p17 p23 p26"
            )
        );
        assert_eq!(
            search(None),
            names(
                "p09 p11 p31 p33 p36 p38 p06 p12 p18 p21 p22 p29 p40 p43 p45 p46 p07 p17 p23 \
                 p26 p30 p32 p42 p44 p47 p00 p03 p15 p16 p24 p25 p27 p34 p01 p02 p05 p08 p10 \
                 p14 p19 p20 p28 p35 p41 p04 p13 p37 p39"
            )
        );
    }

    fn sicily4() -> Engine {
        let mut e = sicily();
        apply(
            &mut e,
            &[
                "GEOADD",
                "Sicily",
                "12.758489",
                "38.788135",
                "edge1",
                "17.241510",
                "38.788135",
                "edge2",
            ],
        );
        e
    }

    #[test]
    fn geosearch_finds_sorts_and_decorates_like_redis() {
        let e = sicily4();
        let got = read(
            &e,
            &[
                "GEOSEARCH",
                "Sicily",
                "FROMLONLAT",
                "15",
                "37",
                "BYRADIUS",
                "200",
                "km",
                "ASC",
                "WITHCOORD",
                "WITHDIST",
                "WITHHASH",
            ],
        );
        let point = |name: &str, d: &str, h: i64, x: &str, y: &str| {
            arr(vec![
                bulk(name),
                bulk(d),
                int(h),
                arr(vec![bulk(x), bulk(y)]),
            ])
        };
        assert_eq!(
            got,
            arr(vec![
                point(
                    "Catania",
                    "56.4413",
                    3479447370796909,
                    "15.08726745843887329",
                    "37.50266842333162032"
                ),
                point(
                    "Palermo",
                    "190.4424",
                    3479099956230698,
                    "13.36138933897018433",
                    "38.11555639549629859"
                ),
            ])
        );
        let got = read(
            &e,
            &[
                "GEOSEARCH",
                "Sicily",
                "FROMLONLAT",
                "15",
                "37",
                "BYBOX",
                "400",
                "400",
                "km",
                "DESC",
                "WITHDIST",
            ],
        );
        let named = |n: &str, d: &str| arr(vec![bulk(n), bulk(d)]);
        assert_eq!(
            got,
            arr(vec![
                named("edge1", "279.7405"),
                named("edge2", "279.7403"),
                named("Palermo", "190.4424"),
                named("Catania", "56.4413"),
            ])
        );
        assert_eq!(
            read(
                &e,
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "Palermo",
                    "BYRADIUS",
                    "100",
                    "km"
                ]
            ),
            bulks(&["Palermo", "edge1"])
        );
        assert_eq!(
            read(
                &e,
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYRADIUS",
                    "200",
                    "km",
                    "COUNT",
                    "1",
                    "ANY"
                ]
            ),
            bulks(&["Palermo"])
        );
        assert_eq!(
            read(
                &e,
                &[
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYRADIUS",
                    "200",
                    "km",
                    "COUNT",
                    "1"
                ]
            ),
            bulks(&["Catania"])
        );
        assert_eq!(
            read(
                &e,
                &[
                    "GEOSEARCH",
                    "none",
                    "FROMMEMBER",
                    "x",
                    "BYRADIUS",
                    "1",
                    "km"
                ]
            ),
            arr(vec![])
        );
    }

    #[test]
    fn geosearch_errors_as_redis() {
        let mut e = sicily4();
        fn with(extra: &[&'static str]) -> Vec<&'static str> {
            let mut v = vec!["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37"];
            v.extend_from_slice(extra);
            v
        }
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (
                with(&["BYRADIUS", "200", "km", "COUNT", "0"]),
                "ERR COUNT must be > 0",
            ),
            (with(&["BYRADIUS", "200", "km", "COUNT", "x"]), NOT_INTEGER),
            (
                with(&["BYRADIUS", "-1", "km"]),
                "ERR radius cannot be negative",
            ),
            (with(&["BYRADIUS", "x", "km"]), "ERR need numeric radius"),
            (
                with(&["BYRADIUS", "1", "yd"]),
                "ERR unsupported unit provided. please use M, KM, FT, MI",
            ),
            (
                with(&["BYBOX", "1", "-1", "km"]),
                "ERR height or width cannot be negative",
            ),
            (with(&["BYBOX", "x", "1", "km"]), "ERR need numeric width"),
            (with(&["BYBOX", "1", "x", "km"]), "ERR need numeric height"),
            (
                with(&["BYRADIUS", "200", "km", "ANY"]),
                "ERR the ANY argument requires COUNT argument",
            ),
            (with(&["BYRADIUS", "200", "km", "STOREDIST"]), SYNTAX_ERROR),
            (
                with(&["BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"]),
                SYNTAX_ERROR,
            ),
            (
                with(&["WITHDIST", "ASC"]),
                "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH",
            ),
            (
                vec![
                    "geosearch",
                    "Sicily",
                    "BYRADIUS",
                    "1",
                    "km",
                    "ASC",
                    "WITHDIST",
                ],
                "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch",
            ),
            (
                vec![
                    "GEOSEARCH",
                    "Sicily",
                    "FROMMEMBER",
                    "nope",
                    "BYRADIUS",
                    "1",
                    "km",
                ],
                "ERR could not decode requested zset member",
            ),
            (
                vec![
                    "GEOSEARCH",
                    "Sicily",
                    "FROMLONLAT",
                    "181",
                    "0",
                    "BYRADIUS",
                    "1",
                    "km",
                ],
                "ERR invalid longitude,latitude pair 181.000000,0.000000",
            ),
        ];
        for (cmd, error) in cases {
            assert_eq!(read(&e, &cmd), err(error), "{cmd:?}");
        }
        apply(&mut e, &["SET", "s", "v"]);
        assert_eq!(
            read(
                &e,
                &[
                    "GEOSEARCH",
                    "s",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYRADIUS",
                    "1",
                    "km"
                ]
            ),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn geosearchstore_stores_hashes_or_distances_and_deletes_on_empty() {
        let mut e = sicily4();
        let stored = apply(
            &mut e,
            &[
                "GEOSEARCHSTORE",
                "dst",
                "Sicily",
                "FROMLONLAT",
                "15",
                "37",
                "BYRADIUS",
                "200",
                "km",
                "STOREDIST",
            ],
        );
        assert_eq!(stored, int(2));
        assert_eq!(
            read(&e, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
            bulks(&[
                "Catania",
                "56.441257870158204",
                "Palermo",
                "190.44242984775784"
            ])
        );
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEOSEARCHSTORE",
                    "dst",
                    "Sicily",
                    "FROMLONLAT",
                    "15",
                    "37",
                    "BYRADIUS",
                    "200",
                    "km",
                    "COUNT",
                    "1"
                ]
            ),
            int(1)
        );
        assert_eq!(
            read(&e, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
            bulks(&["Catania", "3479447370796909"])
        );
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEOSEARCHSTORE",
                    "dst",
                    "Sicily",
                    "FROMLONLAT",
                    "0",
                    "0",
                    "BYRADIUS",
                    "1",
                    "m"
                ]
            ),
            int(0)
        );
        assert_eq!(read(&e, &["EXISTS", "dst"]), int(0));
        apply(&mut e, &["SET", "dst", "v"]);
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEOSEARCHSTORE",
                    "dst",
                    "none",
                    "FROMMEMBER",
                    "x",
                    "BYRADIUS",
                    "1",
                    "m"
                ]
            ),
            int(0)
        );
        assert_eq!(read(&e, &["EXISTS", "dst"]), int(0));
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
                    "m", "WITHDIST"
                ]
            ),
            err("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
        );
        apply(&mut e, &["SET", "s", "v"]);
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEOSEARCHSTORE",
                    "d",
                    "s",
                    "FROMLONLAT",
                    "1",
                    "1",
                    "BYRADIUS",
                    "1",
                    "km"
                ]
            ),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn geohash_arithmetic_round_trips() {
        for bits in [0u64, 1, 0x5555, 0x000f_ffff_ffff_ffff] {
            let (a, b) = deinterleave(bits);
            assert_eq!(interleave(a, b), bits);
        }
        assert_eq!(format_distance(0.00005), "0.0000");
        assert_eq!(format_distance(1.23456), "1.2346");
        assert_eq!(format_coord(-0.0), "0");
        assert_eq!(format_coord(1.5), "1.5");
        assert_eq!(format_coord(2.0), "2");
    }

    #[test]
    fn georadius_family_searches_stores_and_errors_like_redis() {
        let mut e = sicily4();
        let pos = |x: &str, y: &str| arr(vec![bulk(x), bulk(y)]);
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEORADIUS",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "km",
                    "WITHDIST",
                    "WITHCOORD",
                    "ASC"
                ]
            ),
            arr(vec![
                arr(vec![
                    bulk("Catania"),
                    bulk("56.4413"),
                    pos("15.08726745843887329", "37.50266842333162032")
                ]),
                arr(vec![
                    bulk("Palermo"),
                    bulk("190.4424"),
                    pos("13.36138933897018433", "38.11555639549629859")
                ]),
            ])
        );
        assert_eq!(
            read(
                &e,
                &[
                    "GEORADIUS_RO",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "km",
                    "COUNT",
                    "1",
                    "DESC"
                ]
            ),
            bulks(&["Palermo"])
        );
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEORADIUS",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "km",
                    "STORE",
                    "dst"
                ]
            ),
            int(2)
        );
        assert_eq!(
            read(&e, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
            bulks(&["Palermo", "3479099956230698", "Catania", "3479447370796909"])
        );
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEORADIUS",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "km",
                    "STOREDIST",
                    "dst"
                ]
            ),
            int(2)
        );
        assert_eq!(
            read(&e, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]),
            bulks(&[
                "Catania",
                "56.441257870158204",
                "Palermo",
                "190.44242984775784"
            ])
        );
        assert_eq!(
            apply(&mut e, &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst", "WITHDIST"]),
            err("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
        );
        assert_eq!(
            read(
                &e,
                &[
                    "GEORADIUS_RO",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "km",
                    "STORE",
                    "dst"
                ]
            ),
            err(SYNTAX_ERROR)
        );
        assert_eq!(
            apply(
                &mut e,
                &["GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "km"]
            ),
            bulks(&["Palermo", "edge1"])
        );
        assert_eq!(
            read(
                &e,
                &[
                    "GEORADIUSBYMEMBER_RO",
                    "Sicily",
                    "Palermo",
                    "100",
                    "km",
                    "WITHHASH"
                ]
            ),
            arr(vec![
                arr(vec![bulk("Palermo"), int(3479099956230698)]),
                arr(vec![bulk("edge1"), int(3479273021651468)]),
            ])
        );
        assert_eq!(
            apply(
                &mut e,
                &["GEORADIUSBYMEMBER", "Sicily", "nope", "100", "km"]
            ),
            err("ERR could not decode requested zset member")
        );
        // A missing key: the radius is not even read; STORE deletes the destination.
        assert_eq!(
            read(&e, &["GEORADIUSBYMEMBER_RO", "none", "nope", "-1", "xx"]),
            arr(vec![])
        );
        assert_eq!(
            apply(
                &mut e,
                &[
                    "GEORADIUSBYMEMBER",
                    "none",
                    "nope",
                    "-1",
                    "xx",
                    "STORE",
                    "dst"
                ]
            ),
            int(0)
        );
        assert_eq!(read(&e, &["EXISTS", "dst"]), int(0));
        for (cmd, error) in [
            (
                &[
                    "GEORADIUS",
                    "Sicily",
                    "15",
                    "37",
                    "200",
                    "km",
                    "FROMLONLAT",
                    "1",
                    "2",
                ][..],
                SYNTAX_ERROR,
            ),
            (
                &["GEORADIUS", "Sicily", "15", "37", "-1", "km"],
                "ERR radius cannot be negative",
            ),
            (
                &["GEORADIUS", "Sicily", "200", "37", "1", "km"],
                "ERR invalid longitude,latitude pair 200.000000,37.000000",
            ),
            (
                &["GEORADIUS", "Sicily", "15", "37", "1", "km", "ANY"],
                "ERR the ANY argument requires COUNT argument",
            ),
        ] {
            assert_eq!(apply(&mut e, cmd), err(error), "{cmd:?}");
        }
        apply(&mut e, &["SET", "s", "v"]);
        assert_eq!(
            read(&e, &["GEORADIUS_RO", "s", "1", "1", "1", "km"]),
            err(WRONGTYPE)
        );
        assert_eq!(
            apply(&mut e, &["GEORADIUSBYMEMBER", "s", "m", "1", "km"]),
            err(WRONGTYPE)
        );
    }
}
