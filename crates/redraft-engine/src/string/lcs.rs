//! The longest common subsequence of two strings, as Redis 7's LCS finds it: the classic
//! dynamic-programming table, walked back from its last cell, preferring to drop a byte of
//! the second string when both ways keep the same length. The walk decides which of several
//! equally long subsequences (and which ranges) the reply shows, so it follows Redis's order.
//!
//! Redis keeps the whole table of 32-bit lengths, (len1 + 1) * (len2 + 1) * 4 bytes. The
//! walk needs less: at a cell whose bytes differ, only whether the cell above holds the
//! longer subsequence. So the table here is one bit per cell, built row by row from two rows
//! of lengths; LEN alone needs only the rows. The work is len1 * len2 steps either way, so
//! both are bounded by [`LCS_CELLS_MAX`].

/// The most cells (length of one string times length of the other) an LCS may work through:
/// 2^26, e.g. two strings of 8 KiB. Its table of directions then takes 8 MiB (Redis's would
/// take 256 MiB), and the work, which holds the replica for reading, stays near a quarter of
/// a second on a slow core; beyond it LCS answers [`TOO_LARGE`].
pub(super) const LCS_CELLS_MAX: u64 = 1 << 26;

pub(super) const TOO_LARGE: &str = "ERR LCS would compare more than 67108864 pairs of bytes \
     (redraft bounds the product of the two strings' lengths)";

/// A run of bytes common to both strings: inclusive ranges of positions in each, as Redis's
/// IDX reports them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Match {
    pub a: (usize, usize),
    pub b: (usize, usize),
}

impl Match {
    pub fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }
}

/// The subsequence and its runs, from the last run to the first (Redis's order).
pub(super) struct Lcs {
    pub text: Vec<u8>,
    pub matches: Vec<Match>,
}

/// Whether the strings are small enough for LCS (see [`LCS_CELLS_MAX`]).
pub(super) fn within_bound(a: &[u8], b: &[u8]) -> bool {
    (a.len() as u64).saturating_mul(b.len() as u64) <= LCS_CELLS_MAX
}

/// Works through the table row by row (a row per byte of `a`), keeping two rows of lengths
/// (LCS(a[..i], b[..j]) at `j`), and calls `goes_up(cell)` for each cell (i, j), numbered
/// (i - 1) * b.len() + (j - 1), whose bytes differ and whose cell above, LCS(i - 1, j), is
/// longer than the cell to its left, LCS(i, j - 1): the walk back leaves such a cell upwards.
/// Answers the length of the longest common subsequence.
fn fill(a: &[u8], b: &[u8], mut goes_up: impl FnMut(usize)) -> usize {
    let mut previous = vec![0u32; b.len() + 1];
    let mut current = vec![0u32; b.len() + 1];
    for (i, &byte) in a.iter().enumerate() {
        let row = i * b.len();
        for (j, &other) in b.iter().enumerate() {
            current[j + 1] = if byte == other {
                previous[j] + 1
            } else if previous[j + 1] > current[j] {
                goes_up(row + j);
                previous[j + 1]
            } else {
                current[j]
            };
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()] as usize
}

/// The length of the longest common subsequence (LCS ... LEN). The caller checked the bound.
pub(super) fn lcs_len(a: &[u8], b: &[u8]) -> usize {
    fill(a, b, |_| {})
}

/// The subsequence and its runs of at least `min_len` bytes. The caller checked the bound.
pub(super) fn lcs(a: &[u8], b: &[u8], min_len: usize) -> Lcs {
    let width = b.len();
    let mut up = vec![0u64; (a.len() * width).div_ceil(64)];
    let total = fill(a, b, |cell| up[cell / 64] |= 1 << (cell % 64));
    let goes_up = |i: usize, j: usize| {
        let bit = (i - 1) * width + (j - 1);
        up[bit / 64] & (1 << (bit % 64)) != 0
    };
    let mut text = vec![0u8; total];
    let mut matches = Vec::new();
    let mut run: Option<Match> = None;
    let (mut i, mut j, mut left) = (a.len(), b.len(), total);
    while i > 0 && j > 0 {
        let ends_run = if a[i - 1] == b[j - 1] {
            left -= 1;
            text[left] = a[i - 1];
            // Runs are found backwards: a match right after one extends it to the left.
            let grown = match run {
                Some(found) => Match {
                    a: (i - 1, found.a.1),
                    b: (j - 1, found.b.1),
                },
                None => Match {
                    a: (i - 1, i - 1),
                    b: (j - 1, j - 1),
                },
            };
            run = Some(grown);
            i -= 1;
            j -= 1;
            // A run that reached the start of either string is complete.
            i == 0 || j == 0
        } else {
            if goes_up(i, j) {
                i -= 1;
            } else {
                j -= 1;
            }
            run.is_some()
        };
        if ends_run {
            if let Some(found) = run.take().filter(|found| found.len() >= min_len) {
                matches.push(found);
            }
        }
    }
    debug_assert_eq!(left, 0);
    Lcs { text, matches }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Redis's table, whole, as the reference the one-bit table must agree with.
    fn lengths(a: &[u8], b: &[u8]) -> Vec<Vec<u32>> {
        let mut table = vec![vec![0u32; b.len() + 1]; a.len() + 1];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                table[i][j] = if a[i - 1] == b[j - 1] {
                    table[i - 1][j - 1] + 1
                } else {
                    table[i - 1][j].max(table[i][j - 1])
                };
            }
        }
        table
    }

    /// The walk over the full table, as Redis takes it.
    fn reference_text(a: &[u8], b: &[u8]) -> Vec<u8> {
        let table = lengths(a, b);
        let (mut i, mut j, mut out) = (a.len(), b.len(), Vec::new());
        while i > 0 && j > 0 {
            if a[i - 1] == b[j - 1] {
                out.push(a[i - 1]);
                i -= 1;
                j -= 1;
            } else if table[i - 1][j] > table[i][j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
        }
        out.reverse();
        out
    }

    #[test]
    fn the_one_bit_table_walks_as_the_full_table_does() {
        let samples: [&[u8]; 7] = [
            b"",
            b"a",
            b"ohmytext",
            b"mynewtext",
            b"abcabcabc",
            b"cbacbacba",
            b"aaaaabbbbb",
        ];
        for a in samples {
            for b in samples {
                let found = lcs(a, b, 0);
                assert_eq!(found.text, reference_text(a, b), "{a:?} {b:?}");
                assert_eq!(lcs_len(a, b), found.text.len());
                let covered: usize = found.matches.iter().map(Match::len).sum();
                assert_eq!(covered, found.text.len(), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn runs_are_reported_from_the_last_and_filtered_by_length() {
        let found = lcs(b"ohmytext", b"mynewtext", 0);
        assert_eq!(found.text, b"mytext");
        let runs = [
            Match {
                a: (4, 7),
                b: (5, 8),
            },
            Match {
                a: (2, 3),
                b: (0, 1),
            },
        ];
        assert_eq!(found.matches, runs);
        assert_eq!(lcs(b"ohmytext", b"mynewtext", 4).matches, runs[..1]);
    }

    #[test]
    fn the_bound_is_on_the_product_of_the_lengths() {
        let side = vec![b'x'; 1 << 13];
        assert!(within_bound(&side, &side));
        assert!(!within_bound(&side, &[side.as_slice(), b"x"].concat()));
        // An empty string makes any other small enough: there is nothing to compare. (Zeroed
        // memory: its pages are never touched.)
        let long = vec![0u8; (1 << 26) + 1];
        assert!(within_bound(b"", &long));
        assert!(!within_bound(b"x", &long));
    }
}
