//! The geohash arithmetic (geohash.c, geohash_helper.c): encode and decode cells, their
//! neighbours, the 9-cell cover of a search shape and Redis's haversine distance, with Redis's
//! exact floating-point steps so that scores and search results equal Redis's.

const STEP_MAX: u32 = 26;
pub(super) const LAT_MIN: f64 = -85.051_128_78;
pub(super) const LAT_MAX: f64 = 85.051_128_78;
pub(super) const LONG_MIN: f64 = -180.0;
pub(super) const LONG_MAX: f64 = 180.0;
const EARTH_RADIUS_IN_METERS: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;
/// The longitude bits of an interleaved cell (the odd bits); the latitude bits are the rest.
const LONG_BITS: u64 = 0xaaaa_aaaa_aaaa_aaaa;
const LAT_BITS: u64 = 0x5555_5555_5555_5555;

fn deg_rad(angle: f64) -> f64 {
    angle * D_R
}

fn rad_deg(angle: f64) -> f64 {
    angle / D_R
}

/// Whether a point lies within the coordinates Redis accepts (extractLongLatOrReply).
pub(super) fn valid(long: f64, lat: f64) -> bool {
    (LONG_MIN..=LONG_MAX).contains(&long) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

/// A geohash cell: `step` bits of latitude interleaved with `step` bits of longitude.
/// A zero cell (bits 0, step 0) stands for a neighbour excluded from the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) struct Cell {
    bits: u64,
    step: u32,
}

impl Cell {
    pub(super) fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The scores of the points inside the cell: `min..max` (geohashAlign52Bits of the cell
    /// and of the next one).
    pub(super) fn score_range(self) -> (f64, f64) {
        let next = Cell {
            bits: self.bits + 1,
            step: self.step,
        };
        (align52(self) as f64, align52(next) as f64)
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
    if !valid(long, lat) {
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
    let edges = |i: u32, min: f64, max: f64| {
        let edge = |plus: f64| min + ((f64::from(i) + plus) * 1.0 / div) * (max - min);
        Range {
            min: edge(0.0),
            max: edge(1.0),
        }
    };
    Some(Area {
        latitude: edges(ilat, LAT_MIN, LAT_MAX),
        longitude: edges(ilong, LONG_MIN, LONG_MAX),
    })
}

/// The point a sorted-set score stands for (decodeGeohash): the centre of its cell, clamped to
/// the valid coordinates, as [longitude, latitude]. C's cast of a double to uint64_t is
/// undefined outside its range; here it saturates.
pub(super) fn decode_score(score: f64) -> [f64; 2] {
    let cell = Cell {
        bits: score as u64,
        step: STEP_MAX,
    };
    let area = decode(cell).expect("step 26 is never the zero cell");
    let long = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [long, lat]
}

/// The 52-bit score of a cell (geohashAlign52Bits).
fn align52(cell: Cell) -> u64 {
    cell.bits << (52 - cell.step * 2)
}

/// The score GEOADD stores for a valid point.
pub(super) fn score_of(long: f64, lat: f64) -> Option<u64> {
    encode_wgs84(long, lat, STEP_MAX).map(align52)
}

/// The standard 11-character geohash of a score (GEOHASH): the point re-encoded with the
/// latitude range ±90 that other geohash implementations use.
pub(super) fn geohash_text(score: f64) -> Vec<u8> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [long, lat] = decode_score(score);
    let standard = Range {
        min: -90.0,
        max: 90.0,
    };
    let bits = encode(LONG_RANGE, standard, long, lat, STEP_MAX).map_or(0, |c| c.bits);
    // 52 bits make ten characters; the eleventh is '0', as in Redis.
    (0..11)
        .map(|i| match i {
            10 => ALPHABET[0],
            i => ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize],
        })
        .collect()
}

/// The cell's bits moved `d` (-1, 0 or 1) cells along the axis whose bits `axis` selects
/// (geohash_move_x with [`LONG_BITS`], geohash_move_y with [`LAT_BITS`]).
fn move_along(cell: Cell, d: i8, axis: u64) -> u64 {
    if d == 0 {
        return cell.bits;
    }
    let shift = 64 - cell.step * 2;
    let mut moved = cell.bits & axis;
    let zz = !axis >> shift;
    if d > 0 {
        moved = moved.wrapping_add(zz + 1);
    } else {
        moved |= zz;
        moved = moved.wrapping_sub(zz + 1);
    }
    moved &= axis >> shift;
    moved | (cell.bits & !axis)
}

/// The eight neighbours of a cell in the order Redis searches them after the cell itself:
/// north, south, east, west, north-east, north-west, south-east, south-west.
fn neighbours(cell: Cell) -> [Cell; 8] {
    let moved = |dx: i8, dy: i8| {
        let mut c = cell;
        c.bits = move_along(c, dx, LONG_BITS);
        c.bits = move_along(c, dy, LAT_BITS);
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
pub(super) fn distance(long1: f64, lat1: f64, long2: f64, lat2: f64) -> f64 {
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
pub(super) enum ShapeKind {
    Radius(f64),
    /// (width, height)
    Box(f64, f64),
}

/// What a search looks for: around `center` ([longitude, latitude]), sizes in the unit whose
/// length in meters is `conversion`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape {
    pub(super) center: [f64; 2],
    pub(super) kind: ShapeKind,
    pub(super) conversion: f64,
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
    pub(super) fn contains(&self, point: [f64; 2]) -> Option<f64> {
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

    /// The cells to search, in Redis's order (the centre cell, then its neighbours), zero cells
    /// for the neighbours left out (geohashCalculateAreasByShapeWGS84).
    pub(super) fn cells(&self) -> [Cell; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounds();
        let [long, lat] = self.center;
        let radius_meters = match self.kind {
            ShapeKind::Radius(r) => r,
            ShapeKind::Box(w, h) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
        } * self.conversion;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for bits in [0u64, 1, 0x5555, 0x000f_ffff_ffff_ffff] {
            let (a, b) = deinterleave(bits);
            assert_eq!(interleave(a, b), bits);
        }
    }
}
