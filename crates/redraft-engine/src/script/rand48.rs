//! math.random as Redis 7.0 draws it: a 48-bit linear congruential generator (the POSIX
//! `rand48` recurrence) scaled to [0, 1). Redis's generator starts from a fixed state and
//! `math.randomseed(n)` sets a state derived from n; redraft starts every script from that same
//! fixed state, so a script's draws are a pure function of the script (a freshly started
//! redis-server's first script draws the same numbers; later ones in Redis continue the
//! process's sequence, which no replica could share).

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const INCREMENT: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// The generator's state before any seed (the classic rand48 default).
const INITIAL_STATE: u64 = 0x1234_ABCD_330E;
/// The draws are reduced modulo this and divided by it (Redis's `REDIS_LRAND48_MAX`).
const RANGE: u64 = i32::MAX as u64;

pub struct Rand48 {
    state: u64,
}

impl Default for Rand48 {
    fn default() -> Self {
        Rand48 {
            state: INITIAL_STATE,
        }
    }
}

impl Rand48 {
    /// `math.randomseed(seed)`: the seed's low 32 bits above the fixed low word.
    pub fn seed(&mut self, seed: i32) {
        self.state = ((u64::from(seed as u32)) << 16) | 0x330E;
    }

    /// The next draw in [0, 1).
    pub fn next_unit(&mut self) -> f64 {
        self.state = (MULTIPLIER.wrapping_mul(self.state).wrapping_add(INCREMENT)) & MASK;
        let draw = self.state >> 17;
        (draw % RANGE) as f64 / RANGE as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lua's `tostring` of a number (`%.14g`), for comparing with redis-server's output.
    fn g14(value: f64) -> String {
        let text = format!("{value:.14}");
        let text = text.trim_end_matches('0');
        text.to_string()
    }

    #[test]
    fn draws_match_a_fresh_redis_server_and_its_randomseed() {
        // redis-server 7.0.15, first script after start: tostring(math.random()) x4.
        let mut fresh = Rand48::default();
        let draws: Vec<String> = (0..4).map(|_| g14(fresh.next_unit())).collect();
        assert_eq!(
            draws,
            [
                "0.39646477363839",
                "0.84048536971234",
                "0.35333609737146",
                "0.44658343468168"
            ]
        );
        // math.randomseed(42) then three draws.
        let mut seeded = Rand48::default();
        seeded.seed(42);
        let draws: Vec<String> = (0..3).map(|_| g14(seeded.next_unit())).collect();
        assert_eq!(
            draws,
            ["0.74452500033403", "0.34270147855519", "0.11108528222474"]
        );
    }
}
