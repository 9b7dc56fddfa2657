//! The geo commands: GEOADD (a ZADD of encoded scores), the per-member reads GEOPOS, GEOHASH
//! and GEODIST, and the search family as thin wrappers of one generic search
//! ([`search_generic`], Redis's georadiusGeneric).

use super::geohash::{decode_score, distance, geohash_text, score_of};
use super::search::{self, lon_lat, unit, Form, Found, Search};
use crate::args::{syntax_error, Args};
use crate::reply::{CmdResult, Reply};
use crate::spec::{
    cmd, CommandSpec,
    Kind::{Read, Write},
    DENYOOM,
};
use crate::spec::{ReadCtx, WriteCtx};
use crate::zset::{self, ZSetValue};

/// A distance as Redis prints it: rounded (half to even) to 4 decimals.
pub(super) fn format_distance(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".into();
    }
    let scaled = (d * 10000.0).round_ties_even();
    let negative = scaled < 0.0;
    let value = scaled.abs() as u64;
    let sign = if negative { "-" } else { "" };
    format!("{sign}{}.{:04}", value / 10000, value % 10000)
}

/// A coordinate as Redis prints it: `%.17Lf` of the value, trailing zeros dropped.
pub(super) fn format_coord(value: f64) -> String {
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

fn distance_reply(d: f64) -> Reply {
    Reply::bulk(format_distance(d))
}

fn point_reply([long, lat]: [f64; 2]) -> Reply {
    Reply::Array(vec![
        Reply::bulk(format_coord(long)),
        Reply::bulk(format_coord(lat)),
    ])
}

/// GEOADD key [NX|XX] [CH] longitude latitude member ...: ZADD of the encoded scores.
pub fn geoadd(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let mut args = Args::new(argv, 2);
    let (mut nx, mut xx) = (false, false);
    loop {
        if args.eat("NX") {
            nx = true;
        } else if args.eat("XX") {
            xx = true;
        } else if !args.eat("CH") {
            break;
        }
    }
    let triples = args.rest();
    if !triples.len().is_multiple_of(3) || (nx && xx) {
        return Err(syntax_error());
    }
    // Redis rewrites the command into a ZADD with the same key and options.
    let options = &argv[1..argv.len() - triples.len()];
    let mut zadd_argv = Vec::with_capacity(1 + options.len() + triples.len() / 3 * 2);
    zadd_argv.push(b"zadd".to_vec());
    zadd_argv.extend_from_slice(options);
    for triple in triples.chunks(3) {
        let [long, lat] = lon_lat(&triple[..2])?;
        let score = score_of(long, lat).expect("validated point");
        zadd_argv.push(score.to_string().into_bytes());
        zadd_argv.push(triple[2].clone());
    }
    zset::zadd(ctx, &zadd_argv)
}

/// One reply per member named from `argv[2]` on: `found` of its score, `missing` where the
/// member (or the key) is not there.
fn per_member(
    ctx: &ReadCtx,
    argv: &[Vec<u8>],
    missing: Reply,
    found: impl Fn(f64) -> Reply,
) -> CmdResult {
    let zset = ctx.db().get_as::<ZSetValue>(&argv[1], ctx.now_ms)?;
    let score = |member: &Vec<u8>| zset.and_then(|zset| zset.score(member));
    let items = argv[2..].iter().map(score);
    Ok(Reply::Array(
        items
            .map(|score| score.map_or_else(|| missing.clone(), &found))
            .collect(),
    ))
}

/// GEOPOS key member ...
pub fn geopos(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    per_member(ctx, argv, Reply::NilArray, |score| {
        point_reply(decode_score(score))
    })
}

/// GEOHASH key member ...: the standard 11-character geohash (latitude range ±90).
pub fn geohash(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    per_member(ctx, argv, Reply::Nil, |score| {
        Reply::Bulk(geohash_text(score))
    })
}

/// GEODIST key member1 member2 [unit]
pub fn geodist(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    let to_meters = match argv {
        [_, _, _, _] => 1.0,
        [_, _, _, _, to] => unit(to)?,
        _ => return Err(syntax_error()),
    };
    let Some(zset) = ctx.db().get_as::<ZSetValue>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    let (Some(s1), Some(s2)) = (zset.score(&argv[2]), zset.score(&argv[3])) else {
        return Ok(Reply::Nil);
    };
    let [x1, y1] = decode_score(s1);
    let [x2, y2] = decode_score(s2);
    Ok(distance_reply(distance(x1, y1, x2, y2) / to_meters))
}

/// What a search ends in: a reply, or entries to store at a key.
enum Outcome<'a> {
    Reply(Reply),
    Store(&'a [u8], Vec<(f64, Vec<u8>)>),
}

/// Every search command (georadiusGeneric): `store` says whether the command may store
/// (GEOSEARCHSTORE, GEORADIUS and GEORADIUSBYMEMBER; not GEOSEARCH nor the _RO forms).
fn search_generic<'a>(
    ctx: &ReadCtx,
    argv: &'a [Vec<u8>],
    form: Form,
    store: bool,
) -> Result<Outcome<'a>, Reply> {
    let source = if form == Form::Search && store {
        &argv[2]
    } else {
        &argv[1]
    };
    let zset = ctx.db().get_as::<ZSetValue>(source, ctx.now_ms)?;
    let search = search::parse(argv, form, store, zset)?;
    let found = zset.map_or_else(Vec::new, |zset| search::run(zset, &search));
    Ok(match search.store {
        None => Outcome::Reply(search_reply(found, &search)),
        Some(key) => Outcome::Store(key, stored_entries(found, search.storedist)),
    })
}

/// A search command that may store: GEORADIUS, GEORADIUSBYMEMBER, GEOSEARCHSTORE.
fn search_write(ctx: &mut WriteCtx, argv: &[Vec<u8>], form: Form) -> CmdResult {
    match search_generic(&ctx.as_read(), argv, form, true)? {
        Outcome::Reply(reply) => Ok(reply),
        Outcome::Store(key, entries) => {
            let event = match form {
                Form::Search => "geosearchstore",
                _ => "georadiusstore",
            };
            // Redis counts each member stored (an empty result deletes: one change).
            if !entries.is_empty() {
                ctx.changed(entries.len() as u64);
            }
            Ok(zset::store(ctx, key, entries, event))
        }
    }
}

/// A search command that only replies: GEOSEARCH and the _RO forms.
fn search_read(ctx: &ReadCtx, argv: &[Vec<u8>], form: Form) -> CmdResult {
    match search_generic(ctx, argv, form, false)? {
        Outcome::Reply(reply) => Ok(reply),
        Outcome::Store(..) => unreachable!("a search that may not store has no destination"),
    }
}

/// The reply to a search: members, or one array per member with the requested extras.
fn search_reply(found: Vec<Found>, search: &Search) -> Reply {
    let extras = search.withdist || search.withhash || search.withcoord;
    let items = found.into_iter().map(|item| {
        let member = Reply::Bulk(item.member);
        if !extras {
            return member;
        }
        let mut parts = vec![member];
        if search.withdist {
            parts.push(distance_reply(item.dist));
        }
        if search.withhash {
            parts.push(Reply::Integer(item.score as i64));
        }
        if search.withcoord {
            parts.push(point_reply(item.point));
        }
        Reply::Array(parts)
    });
    Reply::Array(items.collect())
}

/// The matches as sorted-set entries in order: scored by geohash, or by distance.
fn stored_entries(found: Vec<Found>, storedist: bool) -> Vec<(f64, Vec<u8>)> {
    let mut entries: Vec<(f64, Vec<u8>)> = found
        .into_iter()
        .map(|item| {
            let score = if storedist { item.dist } else { item.score };
            (score, item.member)
        })
        .collect();
    entries.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    entries
}

/// GEORADIUS key longitude latitude radius unit [WITH...] [COUNT n [ANY]] [ASC|DESC]
/// [STORE key|STOREDIST key]
pub fn georadius(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    search_write(ctx, argv, Form::Coords)
}

/// GEORADIUSBYMEMBER key member radius unit ...
pub fn georadiusbymember(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    search_write(ctx, argv, Form::Member)
}

/// GEOSEARCHSTORE destination source ... [STOREDIST]: the matches as a sorted set scored by
/// geohash (or by distance in the search's unit with STOREDIST).
pub fn geosearchstore(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    search_write(ctx, argv, Form::Search)
}

/// GEORADIUS_RO: GEORADIUS without STORE, a read.
pub fn georadius_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    search_read(ctx, argv, Form::Coords)
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE, a read.
pub fn georadiusbymember_ro(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    search_read(ctx, argv, Form::Member)
}

/// GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [ASC|DESC]
/// [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
pub fn geosearch(ctx: &ReadCtx, argv: &[Vec<u8>]) -> CmdResult {
    search_read(ctx, argv, Form::Search)
}

pub(crate) static COMMANDS: &[CommandSpec] = &[
    cmd!(
        "geoadd", -5, DENYOOM, 1, 1, 1, Write(geoadd),
        keys: "RW update @1",
        docs: "geo 3.2.0",
        summary: "Adds named places, by longitude and latitude, to a geospatial index",
        complexity: "O(log N) per place, N being the index's size",
        history: "6.2.0 CH, NX and XX were introduced.",
        args: "key:key#0 ?condition:oneof@6.2.0(nx:pure-token=NX xx:pure-token=XX) ?change:pure-token=CH@6.2.0 *longitude_latitude_member:block(longitude:double latitude:double member:string)",
    ),
    cmd!(
        "geodist", -4, 0, 1, 1, 1, Read(geodist),
        keys: "RO access @1",
        docs: "geo 3.2.0",
        summary: "Gives the distance between two places of an index",
        complexity: "O(1)",
        args: "key:key#0 member1:string member2:string ?unit:oneof(m:pure-token=M km:pure-token=KM ft:pure-token=FT mi:pure-token=MI)",
    ),
    cmd!(
        "geohash", -2, 0, 1, 1, 1, Read(geohash),
        keys: "RO access @1",
        docs: "geo 3.2.0",
        summary: "Gives each place's position as a geohash string",
        complexity: "O(1) per place",
        args: "key:key#0 *member:string",
    ),
    cmd!(
        "geopos", -2, 0, 1, 1, 1, Read(geopos),
        keys: "RO access @1",
        docs: "geo 3.2.0",
        summary: "Gives each place's longitude and latitude",
        complexity: "O(1) per place",
        args: "key:key#0 *member:string",
    ),
    cmd!(
        "georadius", -6, DENYOOM, 1, 1, 1, Write(georadius),
        keys: "RO access @1; OW update STORE@6; OW update STOREDIST@6",
        docs: "geo 3.2.0 deprecated deprecated_since:6.2.0",
        summary: "Finds the places within a radius of a point, optionally storing them",
        complexity: "O(N+log(M)): N places in the searched cells, M the index's size",
        replaced_by: "GEOSEARCH or GEOSEARCHSTORE with BYRADIUS",
        history: "6.2.0 COUNT takes ANY.; 7.0.0 Unit names may be given in upper case too.",
        args: "key:key#0 longitude:double latitude:double radius:double unit:oneof(m:pure-token=M km:pure-token=KM ft:pure-token=FT mi:pure-token=MI) ?withcoord:pure-token=WITHCOORD ?withdist:pure-token=WITHDIST ?withhash:pure-token=WITHHASH ?count:block(count:integer=COUNT ?any:pure-token=ANY@6.2.0) ?order:oneof(asc:pure-token=ASC desc:pure-token=DESC) ?key:key=STORE#1 ?key:key=STOREDIST#2",
    ),
    cmd!(
        "georadius_ro", -6, 0, 1, 1, 1, Read(georadius_ro),
        keys: "RO access @1",
        docs: "geo 3.2.10 deprecated deprecated_since:6.2.0",
        summary: "GEORADIUS without STORE, for read-only contexts",
        complexity: "O(N+log(M)): N places in the searched cells, M the index's size",
        replaced_by: "GEOSEARCH with BYRADIUS",
        history: "6.2.0 COUNT takes ANY.",
        args: "key:key#0 longitude:double latitude:double radius:double unit:oneof(m:pure-token=M km:pure-token=KM ft:pure-token=FT mi:pure-token=MI) ?withcoord:pure-token=WITHCOORD ?withdist:pure-token=WITHDIST ?withhash:pure-token=WITHHASH ?count:block(count:integer=COUNT ?any:pure-token=ANY@6.2.0) ?order:oneof(asc:pure-token=ASC desc:pure-token=DESC)",
    ),
    cmd!(
        "georadiusbymember", -5, DENYOOM, 1, 1, 1, Write(georadiusbymember),
        keys: "RO access @1; OW update STORE@5; OW update STOREDIST@5",
        docs: "geo 3.2.0 deprecated deprecated_since:6.2.0",
        summary: "Finds the places within a radius of a member, optionally storing them",
        complexity: "O(N+log(M)): N places in the searched cells, M the index's size",
        replaced_by: "GEOSEARCH or GEOSEARCHSTORE with FROMMEMBER and BYRADIUS",
        history: "7.0.0 Unit names may be given in upper case too.",
        args: "key:key#0 member:string radius:double unit:oneof(m:pure-token=M km:pure-token=KM ft:pure-token=FT mi:pure-token=MI) ?withcoord:pure-token=WITHCOORD ?withdist:pure-token=WITHDIST ?withhash:pure-token=WITHHASH ?count:block(count:integer=COUNT ?any:pure-token=ANY) ?order:oneof(asc:pure-token=ASC desc:pure-token=DESC) ?key:key=STORE#1 ?key:key=STOREDIST#2",
    ),
    cmd!(
        "georadiusbymember_ro", -5, 0, 1, 1, 1, Read(georadiusbymember_ro),
        keys: "RO access @1",
        docs: "geo 3.2.10 deprecated deprecated_since:6.2.0",
        summary: "GEORADIUSBYMEMBER without STORE, for read-only contexts",
        complexity: "O(N+log(M)): N places in the searched cells, M the index's size",
        replaced_by: "GEOSEARCH with FROMMEMBER and BYRADIUS",
        args: "key:key#0 member:string radius:double unit:oneof(m:pure-token=M km:pure-token=KM ft:pure-token=FT mi:pure-token=MI) ?withcoord:pure-token=WITHCOORD ?withdist:pure-token=WITHDIST ?withhash:pure-token=WITHHASH ?count:block(count:integer=COUNT ?any:pure-token=ANY) ?order:oneof(asc:pure-token=ASC desc:pure-token=DESC)",
    ),
    cmd!(
        "geosearch", -7, 0, 1, 1, 1, Read(geosearch),
        keys: "RO access @1",
        docs: "geo 6.2.0",
        summary: "Finds the places inside a circle or a box around a point or a member",
        complexity: "O(N+log(M)): N places in the searched cells, M the index's size",
        history: "7.0.0 Unit names may be given in upper case too.",
        args: "key:key#0 from:oneof(member:string=FROMMEMBER longitude_latitude:block=FROMLONLAT(longitude:double latitude:double)) by:oneof(circle:block(radius:double=BYRADIUS unit:oneof(m:pure-token=M km:pure-token=KM ft:pure-token=FT mi:pure-token=MI)) box:block(width:double=BYBOX height:double unit:oneof(m:pure-token=M km:pure-token=KM ft:pure-token=FT mi:pure-token=MI))) ?order:oneof(asc:pure-token=ASC desc:pure-token=DESC) ?count:block(count:integer=COUNT ?any:pure-token=ANY) ?withcoord:pure-token=WITHCOORD ?withdist:pure-token=WITHDIST ?withhash:pure-token=WITHHASH",
    ),
    cmd!(
        "geosearchstore", -8, DENYOOM, 1, 2, 1, Write(geosearchstore),
        keys: "OW update @1; RO access @2",
        docs: "geo 6.2.0",
        summary: "Stores the places inside a circle or a box around a point or a member",
        complexity: "O(N+log(M)): N places in the searched cells, M the index's size",
        history: "7.0.0 Unit names may be given in upper case too.",
        args: "destination:key#0 source:key#1 from:oneof(member:string=FROMMEMBER longitude_latitude:block=FROMLONLAT(longitude:double latitude:double)) by:oneof(circle:block(radius:double=BYRADIUS unit:oneof(m:pure-token=M km:pure-token=KM ft:pure-token=FT mi:pure-token=MI)) box:block(width:double=BYBOX height:double unit:oneof(m:pure-token=M km:pure-token=KM ft:pure-token=FT mi:pure-token=MI))) ?order:oneof(asc:pure-token=ASC desc:pure-token=DESC) ?count:block(count:integer=COUNT ?any:pure-token=ANY) ?storedist:pure-token=STOREDIST",
    ),
];
