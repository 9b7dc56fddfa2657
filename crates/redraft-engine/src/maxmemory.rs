//! The values of the memory parameters of the replicated configuration (maxmemory,
//! maxmemory-policy), read and shown as Redis 7.0 reads and shows them. They are stored and
//! replicated; eviction itself is not done yet (docs/operations.md), but the policy decides
//! already which access clock OBJECT FREQ and OBJECT IDLETIME report (see access.rs).

/// Redis's maxmemory-policy values, in the order its error message lists them; a policy is
/// stored as its position here.
pub const POLICIES: [&str; 8] = [
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// The default policy: its position in [`POLICIES`].
pub const NOEVICTION: u64 = 7;

const POLICY_ERROR: &str = "argument(s) must be one of the following: volatile-lru, \
     volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, \
     noeviction";

/// A policy name, any case, as its position in [`POLICIES`].
pub fn parse_policy(text: &[u8]) -> Result<u64, &'static str> {
    POLICIES
        .iter()
        .position(|name| text.eq_ignore_ascii_case(name.as_bytes()))
        .map(|at| at as u64)
        .ok_or(POLICY_ERROR)
}

pub fn show_policy(policy: u64) -> String {
    let name = usize::try_from(policy).ok().and_then(|at| POLICIES.get(at));
    name.copied().unwrap_or("noeviction").to_string()
}

/// Whether `policy` is one of the LFU ones, under which keys keep an access frequency rather
/// than an access time (OBJECT FREQ rather than OBJECT IDLETIME).
pub fn is_lfu(policy: u64) -> bool {
    show_policy(policy).ends_with("-lfu")
}

/// A memory amount as Redis 7.0's memtoull reads it: leading ASCII digits (none reads as 0,
/// too many saturate at 2^64-1, as strtoull does) then one of the units b, k, kb, m, mb, g, gb
/// in any case, or none; the product wraps around 2^64 as Redis's does. No sign, space or
/// fraction.
pub fn parse_memory(text: &[u8]) -> Result<u64, &'static str> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = text[digits..].to_ascii_lowercase();
    let multiplier: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return Err("argument must be a memory value"),
    };
    let number = text[..digits].iter().fold(0u64, |acc, byte| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(byte - b'0'))
    });
    Ok(number.wrapping_mul(multiplier))
}

pub fn show_memory(bytes: u64) -> String {
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_values_read_as_redis_reads_them() {
        let read = |text: &str| parse_memory(text.as_bytes());
        assert_eq!(read("100mb"), Ok(100 << 20));
        assert_eq!(read("2M"), Ok(2_000_000));
        assert_eq!(read("1Kb"), Ok(1024));
        assert_eq!(read("1k"), Ok(1000));
        assert_eq!(read("3GB"), Ok(3 << 30));
        assert_eq!(read("7b"), Ok(7));
        assert_eq!(read(""), Ok(0));
        assert_eq!(read("mb"), Ok(0));
        assert_eq!(read("99999999999999999999"), Ok(u64::MAX));
        assert_eq!(read("17179869184gb"), Ok(0));
        for bad in ["1.5gb", "-1", "+5", " 5", "5 ", "0x10", "1tb", "5mbb", "-0"] {
            assert_eq!(read(bad), Err("argument must be a memory value"), "{bad}");
        }
    }

    #[test]
    fn policies_read_in_any_case_and_show_in_lower_case() {
        assert_eq!(
            parse_policy(b"ALLKEYS-LFU").map(show_policy),
            Ok("allkeys-lfu".into())
        );
        assert_eq!(show_policy(NOEVICTION), "noeviction");
        assert!(parse_policy(b"allkeys-lru volatile-lru").is_err());
        assert!(is_lfu(parse_policy(b"volatile-lfu").unwrap()));
        assert!(!is_lfu(NOEVICTION));
    }
}
