//! A user (Redis 7.0's ACL user): on or off, its passwords as SHA-256 hex digests, its root
//! selector and its other selectors, and the rules of ACL SETUSER that change them.

use super::catalog::Catalog;
use super::selector::{RuleError, Selector};
use sha2::{Digest, Sha256};

/// Whether Redis may check RESTORE payloads of this user (`sanitize-payload`,
/// `skip-sanitize-payload`); kept and shown only: redraft checks every payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sanitize {
    Unset,
    On,
    Skip,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub enabled: bool,
    pub nopass: bool,
    pub sanitize: Sanitize,
    /// SHA-256 digests, lower-case hex, in the order they were added.
    pub passwords: Vec<String>,
    pub root: Selector,
    pub selectors: Vec<Selector>,
}

impl User {
    /// A user as ACL SETUSER creates it: off, no password, no command, no key, no channel
    /// (Redis 7.0's default `acl-pubsub-default resetchannels`).
    pub fn new() -> User {
        User {
            enabled: false,
            nopass: false,
            sanitize: Sanitize::Unset,
            passwords: Vec::new(),
            root: Selector::default(),
            selectors: Vec::new(),
        }
    }

    /// The default user as a server starts with it: on, nopass, everything allowed.
    pub fn default_user() -> User {
        User {
            enabled: true,
            nopass: true,
            root: Selector::everything(),
            ..User::new()
        }
    }

    /// Applies one rule of ACL SETUSER (after selector arguments were merged: a selector is
    /// one rule, `(...)`).
    pub fn apply(&mut self, catalog: &Catalog, rule: &[u8]) -> Result<(), RuleError> {
        let lower = rule.to_ascii_lowercase();
        match lower.as_slice() {
            b"on" => self.enabled = true,
            b"off" => self.enabled = false,
            b"nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            b"resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            b"sanitize-payload" => self.sanitize = Sanitize::On,
            b"skip-sanitize-payload" => self.sanitize = Sanitize::Skip,
            b"clearselectors" => self.selectors.clear(),
            b"reset" => self.reset(),
            _ => return self.apply_other(catalog, rule),
        }
        Ok(())
    }

    fn apply_other(&mut self, catalog: &Catalog, rule: &[u8]) -> Result<(), RuleError> {
        match rule.first() {
            Some(b'>') => self.add_hash(hash_password(&rule[1..])),
            Some(b'#') => self.add_hash(checked_hash(&rule[1..])?),
            Some(b'<') => self.remove_hash(&hash_password(&rule[1..]))?,
            Some(b'!') => self.remove_hash(&checked_hash(&rule[1..])?)?,
            Some(b'(') if rule.ends_with(b")") && rule.len() >= 2 => {
                let selector = parse_selector(catalog, &rule[1..rule.len() - 1])?;
                self.selectors.push(selector);
            }
            _ => self.root.apply(catalog, rule)?,
        }
        Ok(())
    }

    /// `reset`: as Redis 7.0 spells it, resetpass resetkeys resetchannels off
    /// sanitize-payload clearselectors -@all.
    fn reset(&mut self) {
        *self = User {
            sanitize: Sanitize::On,
            ..User::new()
        };
    }

    fn add_hash(&mut self, hash: String) {
        self.nopass = false;
        if !self.passwords.contains(&hash) {
            self.passwords.push(hash);
        }
    }

    fn remove_hash(&mut self, hash: &str) -> Result<(), RuleError> {
        let at = self.passwords.iter().position(|known| known == hash);
        let at = at.ok_or(RuleError::NoSuchPassword)?;
        self.passwords.remove(at);
        Ok(())
    }

    /// Whether `password` logs this user in (on, and nopass or one of its passwords).
    pub fn accepts(&self, password: &[u8]) -> bool {
        self.enabled && (self.nopass || self.passwords.contains(&hash_password(password)))
    }

    /// Redis's flag names, in its order (ACL GETUSER's `flags`, the start of ACL LIST's line).
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        match self.sanitize {
            Sanitize::Skip => flags.push("skip-sanitize-payload"),
            Sanitize::On => flags.push("sanitize-payload"),
            Sanitize::Unset => {}
        }
        flags
    }

    /// The rules that rebuild this user from a new one, as ACL LIST writes them after
    /// `user <name>`: flags, `#<hash>` per password, the root selector, then each selector in
    /// parentheses.
    pub fn describe(&self, catalog: &Catalog) -> Vec<Vec<u8>> {
        let mut rules: Vec<Vec<u8>> = self.head_rules();
        rules.extend(self.root.describe(catalog));
        for selector in &self.selectors {
            rules.push(describe_selector(catalog, selector));
        }
        rules
    }

    /// Flags and passwords as rules.
    pub fn head_rules(&self) -> Vec<Vec<u8>> {
        let flags = self.flag_names().into_iter().map(|f| f.as_bytes().to_vec());
        let hashes = self.passwords.iter().map(|h| format!("#{h}").into_bytes());
        flags.chain(hashes).collect()
    }

    /// Every selector, the root first: a command runs if one of them allows it.
    pub fn all_selectors(&self) -> impl Iterator<Item = &Selector> {
        std::iter::once(&self.root).chain(&self.selectors)
    }
}

impl Default for User {
    fn default() -> Self {
        User::new()
    }
}

/// A selector in parentheses, as ACL LIST writes it.
pub fn describe_selector(catalog: &Catalog, selector: &Selector) -> Vec<u8> {
    [
        b"(",
        selector.describe(catalog).join(&b' ').as_slice(),
        b")",
    ]
    .concat()
}

/// A selector from its rules separated by spaces (the inside of `(...)`). It starts as a new
/// selector does in Redis 7.0: nothing allowed.
pub fn parse_selector(catalog: &Catalog, rules: &[u8]) -> Result<Selector, RuleError> {
    let mut selector = Selector::default();
    for rule in rules.split(|&b| b == b' ').filter(|rule| !rule.is_empty()) {
        selector.apply(catalog, rule)?;
    }
    Ok(selector)
}

/// The SHA-256 of `password`, as Redis keeps it: 64 lower-case hex digits.
pub fn hash_password(password: &[u8]) -> String {
    Sha256::digest(password)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A hash given as `#<hash>` or `!<hash>`: exactly 64 lower-case hex digits.
fn checked_hash(hash: &[u8]) -> Result<String, RuleError> {
    let hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    if hash.len() != 64 || !hash.iter().all(hex) {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(hash).into_owned())
}

/// ACL SETUSER's arguments with each selector that spans several of them (`(+get` `~k*)`)
/// joined into one, as Redis 7.0 joins them; the error names the argument that opens a
/// selector never closed.
pub fn merge_selector_args(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Vec<u8>> {
    let mut merged = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (at, arg) in args.iter().enumerate() {
        let closes = arg.last() == Some(&b')');
        if let Some((_, selector)) = open.as_mut() {
            selector.push(b' ');
            selector.extend_from_slice(arg);
            if closes {
                merged.push(open.take().map(|(_, s)| s).unwrap_or_default());
            }
        } else if arg.first() == Some(&b'(') && !closes {
            open = Some((at, arg.clone()));
        } else {
            merged.push(arg.clone());
        }
    }
    match open {
        Some((at, _)) => Err(args[at].clone()),
        None => Ok(merged),
    }
}
