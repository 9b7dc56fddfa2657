//! The sampling rules of the commands that pick at random (HRANDFIELD, SRANDMEMBER, SPOP,
//! ZRANDMEMBER): what a signed count asks for, and which indices a seeded draw picks.

use crate::args::{int_arg, is, syntax_error};
use crate::reply::Reply;
use crate::rng::Rng;

/// Repeated picks (a negative count) that one reply may hold at most. Redis would try to build
/// any size and close the client when its output buffer limit is hit; a replicated state
/// machine must bound its reply instead (docs/commands.md notes this difference).
pub(crate) const REPEATED_PICKS_MAX: u64 = 1_000_000;

/// What a count argument of HRANDFIELD/SRANDMEMBER asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sample {
    /// `n` distinct elements (all of them when there are fewer).
    Distinct(usize),
    /// `n` elements drawn with repetition.
    Repeated(usize),
}

/// Parses a count as Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX): an integer
/// other than i64::MIN.
pub(crate) fn signed_count(arg: &[u8]) -> Result<i64, Reply> {
    let count = int_arg(arg)?;
    if count == i64::MIN {
        return Err(Reply::error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    Ok(count)
}

/// The `count [option]` arguments of HRANDFIELD (WITHVALUES) and ZRANDMEMBER (WITHSCORES),
/// checked in Redis's order: the count, the option, then that a count with the option stays
/// within what a reply of pairs can hold.
pub(crate) fn count_and_option(
    count: &[u8],
    rest: &[Vec<u8>],
    option: &str,
) -> Result<(i64, bool), Reply> {
    let count = signed_count(count)?;
    let with = match rest {
        [] => false,
        [given] if is(given, option) => true,
        _ => return Err(syntax_error()),
    };
    if with && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(Reply::error("ERR value is out of range"));
    }
    Ok((count, with))
}

/// The sample a signed count asks for; a negative count beyond [`REPEATED_PICKS_MAX`] is an
/// error. A count of 1 is the same single pick either way.
pub(crate) fn sample(count: i64) -> Result<Sample, Reply> {
    if count >= 0 {
        return Ok(Sample::Distinct(
            usize::try_from(count).unwrap_or(usize::MAX),
        ));
    }
    let picks = count.unsigned_abs();
    if picks > REPEATED_PICKS_MAX {
        return Err(Reply::error("ERR value is out of range"));
    }
    Ok(Sample::Repeated(picks as usize))
}

/// The element indices a sample draws from `len` elements (len > 0): with repetition, every
/// index when the count covers them all (in order, as Redis replies the whole collection), or
/// distinct indices in random order.
pub(crate) fn sample_indices(rng: &mut Rng, len: usize, sample: Sample) -> Vec<usize> {
    match sample {
        Sample::Repeated(picks) => (0..picks).map(|_| rng.below(len)).collect(),
        Sample::Distinct(count) if count >= len => (0..len).collect(),
        Sample::Distinct(count) => rng.distinct(len, count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args;

    #[test]
    fn counts_map_to_samples_like_redis() {
        assert_eq!(sample(3), Ok(Sample::Distinct(3)));
        assert_eq!(sample(-3), Ok(Sample::Repeated(3)));
        assert!(sample(-(REPEATED_PICKS_MAX as i64) - 1).is_err());
        assert!(signed_count(b"-9223372036854775808").is_err());
        assert_eq!(signed_count(b"x"), Err(Reply::error(args::NOT_INTEGER)));
        let mut rng = Rng::new(3);
        assert_eq!(
            sample_indices(&mut rng, 3, Sample::Distinct(5)),
            vec![0, 1, 2]
        );
        assert_eq!(sample_indices(&mut rng, 3, Sample::Repeated(7)).len(), 7);
    }
}
