//! What every SCAN-like command shares (SCAN, HSCAN, SSCAN, ZSCAN): the cursor, the MATCH /
//! COUNT / TYPE options, and paging over a hash-ordered sequence.

use crate::args::{self, int_arg, is, syntax_error};
use crate::glob::glob_match;
use crate::reply::Reply;

/// Elements visited per call, by default (Redis's COUNT default).
const SCAN_COUNT_DEFAULT: usize = 10;

/// Which options a scan takes: SCAN alone filters by TYPE.
#[derive(Clone, Copy, PartialEq)]
pub enum Options {
    MatchCount,
    MatchCountType,
}

/// The parsed options of a scan.
pub struct ScanOptions<'a> {
    pub count: usize,
    pattern: Option<&'a [u8]>,
    /// Compared case-insensitively with each key's type name; as in Redis 7, a name that is
    /// no type at all is not an error, it just matches nothing.
    pub type_name: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    /// Parses the option pairs after the cursor.
    pub fn parse(options: &'a [Vec<u8>], allowed: Options) -> Result<ScanOptions<'a>, Reply> {
        let mut parsed = ScanOptions {
            count: SCAN_COUNT_DEFAULT,
            pattern: None,
            type_name: None,
        };
        for pair in options.chunks(2) {
            match pair {
                [opt, value] if is(opt, "COUNT") => parsed.count = scan_count(value)?,
                // A lone `*` matches everything (Redis short-cuts it too).
                [opt, value] if is(opt, "MATCH") => {
                    parsed.pattern = Some(value.as_slice()).filter(|p| *p != b"*")
                }
                [opt, value] if is(opt, "TYPE") && allowed == Options::MatchCountType => {
                    parsed.type_name = Some(value)
                }
                _ => return Err(syntax_error()),
            }
        }
        Ok(parsed)
    }

    pub fn matches(&self, element: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, element))
    }
}

fn scan_count(value: &[u8]) -> Result<usize, Reply> {
    let count = int_arg(value)?;
    if count < 1 {
        return Err(syntax_error());
    }
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// A scan cursor argument, or Redis's error for one that is not.
pub fn scan_cursor(arg: &[u8]) -> Result<u64, Reply> {
    args::parse_cursor(arg).ok_or_else(|| Reply::error("ERR invalid cursor"))
}

/// The reply of a scan: the next cursor and the elements found.
pub fn scan_reply(cursor: u64, found: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk(cursor.to_string()), Reply::Array(found)])
}

/// Takes about `count` items from a hash-ordered sequence, never splitting a group of items that
/// share a hash: the items and the hash to resume from (0 at the end). A page holds at least one
/// whole group, so the next cursor is strictly greater than every hash returned and a scan
/// always progresses; an element present for the whole scan is returned exactly once.
pub fn scan_page<T>(items: impl Iterator<Item = (u64, T)>, count: usize) -> (Vec<T>, u64) {
    let mut page = Vec::new();
    let mut last_hash = None;
    for (hash, item) in items {
        if page.len() >= count && last_hash != Some(hash) {
            return (page, hash);
        }
        last_hash = Some(hash);
        page.push(item);
    }
    (page, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::argv;

    #[test]
    fn scan_options_parse_like_redis() {
        let ok = argv(&["count", "5", "MATCH", "a*"]);
        let parsed = ScanOptions::parse(&ok, Options::MatchCount).unwrap();
        assert_eq!(parsed.count, 5);
        assert!(parsed.matches(b"ab") && !parsed.matches(b"ba"));
        for bad in [
            &["COUNT"][..],
            &["COUNT", "0"],
            &["TYPE", "string"],
            &["MATCH"],
        ] {
            assert!(
                ScanOptions::parse(&argv(bad), Options::MatchCount).is_err(),
                "{bad:?}"
            );
        }
        let typed = argv(&["TYPE", "string"]);
        let parsed = ScanOptions::parse(&typed, Options::MatchCountType).unwrap();
        assert_eq!(parsed.type_name, Some(&b"string"[..]));
        assert!(matches!(
            ScanOptions::parse(&argv(&["COUNT", "x"]), Options::MatchCount),
            Err(Reply::Error(e)) if e == args::NOT_INTEGER
        ));
        assert_eq!(scan_cursor(b" 1"), Err(Reply::error("ERR invalid cursor")));
    }

    #[test]
    fn scan_page_never_splits_keys_that_share_a_hash() {
        let items = [(1, "a"), (5, "b"), (5, "c"), (5, "d"), (9, "e")];
        assert_eq!(
            scan_page(items.into_iter(), 2),
            (vec!["a", "b", "c", "d"], 9)
        );
        assert_eq!(
            scan_page(items[1..].iter().copied(), 1),
            (vec!["b", "c", "d"], 9)
        );
        assert_eq!(scan_page(items[4..].iter().copied(), 1), (vec!["e"], 0));
        assert_eq!(scan_page(std::iter::empty::<(u64, &str)>(), 3), (vec![], 0));
    }
}
