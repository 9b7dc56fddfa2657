//! The one search behind GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH and
//! GEOSEARCHSTORE (geo.c's georadiusGeneric): the options in Redis's order of checks, the scan
//! of the cells that cover the shape, and the ordering and cut to COUNT.

use std::cmp::Ordering;

use super::geohash::{decode_score, valid, Shape, ShapeKind};
use crate::args::{client_error, is, syntax_error, text, Args, NOT_FLOAT};
use crate::pqsort;
use crate::reply::Reply;
use crate::score::parse_score;
use crate::zset::ZSetValue;

/// The commands of the family, by how they name the centre (georadiusGeneric's flags).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Form {
    /// GEORADIUS key longitude latitude radius unit ... (RADIUS_COORDS)
    Coords,
    /// GEORADIUSBYMEMBER key member radius unit ... (RADIUS_MEMBER)
    Member,
    /// GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit ...
    Search,
}

#[derive(Clone, Copy, PartialEq)]
enum Order {
    None,
    Asc,
    Desc,
}

/// A search's parsed arguments.
pub(super) struct Search<'a> {
    pub(super) shape: Shape,
    pub(super) withdist: bool,
    pub(super) withhash: bool,
    pub(super) withcoord: bool,
    order: Order,
    any: bool,
    count: usize,
    /// Where the matches go instead of the reply (STORE/STOREDIST, GEOSEARCHSTORE's
    /// destination), scored by distance with STOREDIST, by geohash otherwise.
    pub(super) store: Option<&'a [u8]>,
    pub(super) storedist: bool,
}

/// A point found by a search.
pub(super) struct Found {
    pub(super) member: Vec<u8>,
    pub(super) score: f64,
    pub(super) point: [f64; 2],
    /// In the search's unit once [`run`] returns.
    pub(super) dist: f64,
}

/// A double argument as getDoubleFromObjectOrReply reads it, with its error line.
fn double_arg(arg: &[u8], error: &str) -> Result<f64, Reply> {
    parse_score(arg).ok_or_else(|| Reply::error(error))
}

/// A (longitude, latitude) pair of arguments, validated (extractLongLatOrReply).
pub(super) fn lon_lat(args: &[Vec<u8>]) -> Result<[f64; 2], Reply> {
    let long = double_arg(&args[0], NOT_FLOAT)?;
    let lat = double_arg(&args[1], NOT_FLOAT)?;
    if !valid(long, lat) {
        return Err(Reply::error(format!(
            "ERR invalid longitude,latitude pair {long:.6},{lat:.6}"
        )));
    }
    Ok([long, lat])
}

/// Meters per unit (extractUnitOrReply).
pub(super) fn unit(arg: &[u8]) -> Result<f64, Reply> {
    const UNITS: [(&str, f64); 4] = [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)];
    UNITS
        .iter()
        .find(|(name, _)| is(arg, name))
        .map(|&(_, meters)| meters)
        .ok_or_else(|| Reply::error("ERR unsupported unit provided. please use M, KM, FT, MI"))
}

/// A radius and its unit (extractDistanceOrReply).
fn radius(args: &[Vec<u8>]) -> Result<(ShapeKind, f64), Reply> {
    let radius = double_arg(&args[0], "ERR need numeric radius")?;
    if radius < 0.0 {
        return Err(Reply::error("ERR radius cannot be negative"));
    }
    Ok((ShapeKind::Radius(radius), unit(&args[1])?))
}

/// A box's width, height and unit (extractBoxOrReply).
fn bounding_box(args: &[Vec<u8>]) -> Result<(ShapeKind, f64), Reply> {
    let width = double_arg(&args[0], "ERR need numeric width")?;
    let height = double_arg(&args[1], "ERR need numeric height")?;
    if height < 0.0 || width < 0.0 {
        return Err(Reply::error("ERR height or width cannot be negative"));
    }
    Ok((ShapeKind::Box(width, height), unit(&args[2])?))
}

/// The centre a member names (longLatFromMember).
fn member_center(zset: &ZSetValue, member: &[u8]) -> Result<[f64; 2], Reply> {
    let score = zset.score(member);
    let score = score.ok_or_else(|| Reply::error("ERR could not decode requested zset member"))?;
    Ok(decode_score(score))
}

/// Parses a search's arguments in Redis's order of checks. `store` is whether the command may
/// store: GEOSEARCHSTORE for [`Form::Search`], GEORADIUS[BYMEMBER] (not _RO) otherwise. The
/// centre member is looked up in `zset` only when it exists: without a source key the
/// options are still checked, so that the right reply (empty or 0) follows.
pub(super) fn parse<'a>(
    argv: &'a [Vec<u8>],
    form: Form,
    store: bool,
    zset: Option<&ZSetValue>,
) -> Result<Search<'a>, Reply> {
    let mut search = Search {
        shape: Shape {
            center: [0.0, 0.0],
            kind: ShapeKind::Radius(0.0),
            conversion: 1.0,
        },
        withdist: false,
        withhash: false,
        withcoord: false,
        order: Order::None,
        any: false,
        count: 0,
        store: None,
        storedist: false,
    };
    let shape = &mut search.shape;
    let base = match (form, zset) {
        (Form::Coords, _) => {
            shape.center = lon_lat(&argv[2..4])?;
            (shape.kind, shape.conversion) = radius(&argv[4..6])?;
            6
        }
        (Form::Member, None) => 5,
        (Form::Member, Some(zset)) => {
            shape.center = member_center(zset, &argv[2])?;
            (shape.kind, shape.conversion) = radius(&argv[3..5])?;
            5
        }
        (Form::Search, _) if store => {
            search.store = Some(&argv[1]);
            3
        }
        (Form::Search, _) => 2,
    };
    let geosearch = form == Form::Search;
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut args = Args::new(argv, base);
    // Redis tests that an option's values are there before it reads them, and an option
    // short of them is a syntax error: the cursor's `bytes` and `take` answer the same.
    while let Some(arg) = args.next_arg() {
        if is(arg, "withdist") {
            search.withdist = true;
        } else if is(arg, "withhash") {
            search.withhash = true;
        } else if is(arg, "withcoord") {
            search.withcoord = true;
        } else if is(arg, "any") {
            search.any = true;
        } else if is(arg, "asc") {
            search.order = Order::Asc;
        } else if is(arg, "desc") {
            search.order = Order::Desc;
        } else if is(arg, "count") {
            let count = args.int()?;
            if count <= 0 {
                return Err(Reply::error("ERR COUNT must be > 0"));
            }
            search.count = usize::try_from(count).unwrap_or(usize::MAX);
        } else if (is(arg, "store") || is(arg, "storedist")) && store && !geosearch {
            search.store = Some(args.bytes()?);
            search.storedist = is(arg, "storedist");
        } else if is(arg, "storedist") && store && geosearch {
            search.storedist = true;
        } else if is(arg, "frommember") && geosearch && !fromloc {
            let member = args.bytes()?;
            if let Some(zset) = zset {
                search.shape.center = member_center(zset, member)?;
            }
            frommember = true;
        } else if is(arg, "fromlonlat") && geosearch && !frommember {
            search.shape.center = lon_lat(args.take(2)?)?;
            fromloc = true;
        } else if is(arg, "byradius") && geosearch && !bybox {
            (search.shape.kind, search.shape.conversion) = radius(args.take(2)?)?;
            byradius = true;
        } else if is(arg, "bybox") && geosearch && !byradius {
            (search.shape.kind, search.shape.conversion) = bounding_box(args.take(3)?)?;
            bybox = true;
        } else {
            return Err(syntax_error());
        }
    }
    if search.store.is_some() && (search.withdist || search.withhash || search.withcoord) {
        let what = if geosearch {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Reply::error(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = text(&argv[0]);
    if geosearch && !(frommember || fromloc) {
        return Err(client_error(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if geosearch && !(byradius || bybox) {
        return Err(client_error(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if search.any && search.count == 0 {
        return Err(Reply::error("ERR the ANY argument requires COUNT argument"));
    }
    Ok(search)
}

/// Members of `zset` inside `shape`, cell by cell in Redis's order (membersOfAllNeighbors);
/// with a `limit` (ANY) the scan stops as soon as that many were found.
fn scan(zset: &ZSetValue, shape: &Shape, limit: usize) -> Vec<Found> {
    let mut found = Vec::new();
    let mut last = None;
    let full = |found: &Vec<Found>| limit != 0 && found.len() >= limit;
    for cell in shape.cells() {
        if cell.is_zero() || last == Some(cell) {
            continue;
        }
        if full(&found) {
            break;
        }
        last = Some(cell);
        let (min, max) = cell.score_range();
        let first = zset.partition_point(|score, _| score < min);
        for (score, member) in zset.iter_from(first) {
            if score >= max {
                break;
            }
            let point = decode_score(score);
            if let Some(dist) = shape.contains(point) {
                let member = member.to_vec();
                found.push(Found {
                    member,
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

/// The matches of a search, ordered and cut to COUNT as Redis returns them, distances in the
/// search's unit.
pub(super) fn run(zset: &ZSetValue, search: &Search) -> Vec<Found> {
    let mut order = search.order;
    // COUNT keeps the nearest ones, so it sorts (ANY keeps the first found instead).
    if search.count != 0 && order == Order::None && !search.any {
        order = Order::Asc;
    }
    let limit = if search.any { search.count } else { 0 };
    let mut found = scan(zset, &search.shape, limit);
    let count = search.count;
    match order {
        Order::None => {}
        Order::Asc => sort(&mut found, count, |a, b| a.dist.total_cmp(&b.dist)),
        Order::Desc => sort(&mut found, count, |a, b| b.dist.total_cmp(&a.dist)),
    }
    if count != 0 {
        found.truncate(count);
    }
    for item in &mut found {
        item.dist /= search.shape.conversion;
    }
    found
}

/// Sorts the matches as Redis does, so that equal distances come out in Redis's order: a
/// full sort is glibc's qsort, stable for arrays like these; keeping only the first `count` of
/// more is Redis's partial quicksort.
fn sort(found: &mut [Found], count: usize, cmp: impl Fn(&Found, &Found) -> Ordering) {
    if count == 0 || found.len() <= count {
        found.sort_by(cmp);
    } else {
        pqsort::partial_sort(found, 0, count - 1, &cmp);
    }
}
