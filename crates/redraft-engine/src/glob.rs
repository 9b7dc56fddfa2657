//! Redis's glob-style pattern matching (KEYS, SCAN MATCH): `*`, `?`, `[abc]`, `[^a]`, `[a-z]`
//! and `\x` escapes, case-sensitive. Follows stringmatchlen's behaviour on malformed patterns
//! (an unterminated `[` matches what it has read so far) so that replies agree with Redis.

/// Recursion guard against abusive patterns such as many `*`, as Redis has.
const NESTING_MAX: u32 = 1000;

/// Whether `string` matches `pattern` as a whole.
pub fn glob_match(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip_longer = false;
    Matcher {
        pattern,
        string,
        skip_longer: &mut skip_longer,
    }
    .run(0, 0, 0)
}

struct Matcher<'a, 'b> {
    pattern: &'a [u8],
    string: &'a [u8],
    /// Set once a `*` found no match for the rest of the pattern anywhere in the rest of the
    /// string: an earlier `*` then cannot help either, which bounds the work.
    skip_longer: &'b mut bool,
}

impl Matcher<'_, '_> {
    /// The pattern byte at `i`, or 0 past the end (C's terminator, which the logic relies on).
    fn pat(&self, i: usize) -> u8 {
        self.pattern.get(i).copied().unwrap_or(0)
    }

    fn run(&mut self, mut p: usize, mut s: usize, nesting: u32) -> bool {
        if nesting > NESTING_MAX {
            return false;
        }
        let plen = self.pattern.len();
        let slen = self.string.len();
        while p < plen && s < slen {
            match self.pattern[p] {
                b'*' => return self.star(p, s, nesting),
                b'?' => s += 1,
                b'[' => match self.class(p + 1, self.string[s]) {
                    Some(end) => {
                        p = end;
                        s += 1;
                    }
                    None => return false,
                },
                byte => {
                    let literal = if byte == b'\\' && plen - p >= 2 {
                        p += 1;
                        self.pattern[p]
                    } else {
                        byte
                    };
                    if literal != self.string[s] {
                        return false;
                    }
                    s += 1;
                }
            }
            p += 1;
            if s == slen {
                while self.pat(p) == b'*' {
                    p += 1;
                }
                break;
            }
        }
        p >= plen && s == slen
    }

    /// `*` at `p`: tries the rest of the pattern at every suffix of the string.
    fn star(&mut self, mut p: usize, mut s: usize, nesting: u32) -> bool {
        while p < self.pattern.len() && self.pat(p + 1) == b'*' {
            p += 1;
        }
        if p + 1 == self.pattern.len() {
            return true;
        }
        while s < self.string.len() {
            if self.run(p + 1, s, nesting + 1) {
                return true;
            }
            if *self.skip_longer {
                return false;
            }
            s += 1;
        }
        *self.skip_longer = true;
        false
    }

    /// A `[...]` class starting after the `[`: Some(index of its last pattern byte) if `c`
    /// matches, None otherwise.
    fn class(&self, mut p: usize, c: u8) -> Option<usize> {
        let plen = self.pattern.len();
        let negate = self.pat(p) == b'^';
        if negate {
            p += 1;
        }
        let mut matched = false;
        loop {
            if self.pat(p) == b'\\' && plen.saturating_sub(p) >= 2 {
                p += 1;
                matched |= self.pattern[p] == c;
            } else if self.pat(p) == b']' {
                break;
            } else if p >= plen {
                // Unterminated class: step back so the caller's advance lands at the end.
                p -= 1;
                break;
            } else if plen - p >= 3 && self.pattern[p + 1] == b'-' {
                let (a, b) = (self.pattern[p], self.pattern[p + 2]);
                let (low, high) = if a <= b { (a, b) } else { (b, a) };
                matched |= (low..=high).contains(&c);
                p += 2;
            } else {
                matched |= self.pattern[p] == c;
            }
            p += 1;
        }
        (matched != negate).then_some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(pattern: &str, string: &str) -> bool {
        glob_match(pattern.as_bytes(), string.as_bytes())
    }

    #[test]
    fn star_and_question_mark() {
        assert!(m("*", "anything"));
        assert!(m("h*o", "hello"));
        assert!(m("h*o", "ho"));
        assert!(!m("h*o", "hola"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("**a**", "bab"));
        assert!(m("a*", "a"));
        assert!(
            !m("*", ""),
            "Redis's matcher needs a byte for *; KEYS * short-cuts it"
        );
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn classes_ranges_and_negation() {
        assert!(m("h[ae]llo", "hello"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"), "reversed ranges are swapped");
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("[\\]]", "]"));
        assert!(m("x[ab", "xa"), "unterminated class ends the pattern");
        assert!(!m("x[ab", "xc"));
    }

    #[test]
    fn escapes_match_literally() {
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("a\\", "a\\"), "a trailing backslash is itself");
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "a"));
    }

    #[test]
    fn arbitrary_patterns_never_panic() {
        const ALPHABET: &[u8] = b"ab*?[]^-\\";
        let mut rng = crate::rng::Rng::new(0x2545_f491_4f6c_dd1d);
        let mut next = || rng.below(ALPHABET.len());
        for round in 0..20_000 {
            let pattern: Vec<u8> = (0..round % 9).map(|_| ALPHABET[next()]).collect();
            let string: Vec<u8> = (0..round % 5).map(|_| ALPHABET[next()]).collect();
            let _ = glob_match(&pattern, &string);
        }
        let stars = "*a".repeat(5000);
        assert!(!glob_match(stars.as_bytes(), "a".repeat(4000).as_bytes()));
    }

    #[test]
    fn pathological_patterns_terminate_quickly() {
        let string = "a".repeat(100);
        let pattern = format!("{}b", "a*".repeat(50));
        assert!(!m(&pattern, &string));
    }
}
