//! Geo commands (geo.c, geohash.c, geohash_helper.c): points are members of a sorted set
//! whose score is the 52-bit interleaved geohash of (longitude, latitude), exactly as Redis
//! computes it, so scores, positions, distances and search results equal Redis's.
//!
//! [`geohash`] holds the arithmetic (encode, decode, neighbours, the 9-cell cover of a search
//! shape, the haversine distance); [`search`] the one search behind the GEORADIUS and
//! GEOSEARCH families; [`commands`] the commands, on top of the sorted-set value type.

mod commands;
mod geohash;
mod search;
#[cfg(test)]
mod tests;

pub(crate) use commands::COMMANDS;
