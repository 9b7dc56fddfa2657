//! The table of users, replicated state: ACL SETUSER and DELUSER change it through the log,
//! snapshots carry it, and every node authenticates and checks its own clients against it.

use super::catalog::Catalog;
use super::selector::{RuleError, Selector};
use super::user::{hash_password, User};
use crate::wire::{put_bytes, Reader, SnapshotError};
use std::collections::BTreeMap;

/// The user every connection starts as.
pub const DEFAULT_USER: &[u8] = b"default";

/// Users by name, in name order (ACL LIST's and USERS' order, and the snapshot's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Users {
    by_name: BTreeMap<Vec<u8>, User>,
}

impl Default for Users {
    /// Only the default user, as a server starts.
    fn default() -> Self {
        let mut by_name = BTreeMap::new();
        by_name.insert(DEFAULT_USER.to_vec(), User::default_user());
        Users { by_name }
    }
}

impl Users {
    /// No user at all, not even the default one (an ACL file being read).
    pub fn empty() -> Users {
        Users {
            by_name: BTreeMap::new(),
        }
    }

    pub fn get(&self, name: &[u8]) -> Option<&User> {
        self.by_name.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &User)> {
        self.by_name.iter()
    }

    /// Puts `user` in place of the user `name` (or adds it).
    pub fn put(&mut self, name: &[u8], user: User) {
        self.by_name.insert(name.to_vec(), user);
    }

    /// Removes the user `name`; whether it was there. The default user stays (the caller
    /// refuses it first).
    pub fn remove(&mut self, name: &[u8]) -> bool {
        name != DEFAULT_USER && self.by_name.remove(name).is_some()
    }

    /// CONFIG SET requirepass: the default user's passwords become exactly `password`, or
    /// none with nopass when it is empty (Redis's ACLUpdateDefaultUserPassword).
    pub fn set_default_password(&mut self, password: &[u8]) {
        let user = self.by_name.entry(DEFAULT_USER.to_vec()).or_default();
        user.passwords.clear();
        user.nopass = password.is_empty();
        if !password.is_empty() {
            user.passwords.push(hash_password(password));
        }
    }

    /// Snapshot form: the user count (u32), then for each user in name order its name, its
    /// flag and password rules (u32 count, each rule as bytes), its root selector's rules and
    /// each selector's (a u32 count of selectors, then per selector its rules). Rules by name,
    /// as ACL LIST writes them (but `%RW~*` for a pattern `*`, which `~*` would make allkeys),
    /// so that a later command table reads them as Redis reads an ACL file.
    pub(crate) fn encode_snapshot(&self, catalog: &Catalog, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.by_name.len() as u32).to_le_bytes());
        for (name, user) in &self.by_name {
            put_bytes(out, name);
            put_rules(out, &user.head_rules());
            put_rules(out, &user.root.exact_rules(catalog));
            out.extend_from_slice(&(user.selectors.len() as u32).to_le_bytes());
            for selector in &user.selectors {
                put_rules(out, &selector.exact_rules(catalog));
            }
        }
    }

    pub(crate) fn decode_snapshot(
        catalog: &Catalog,
        reader: &mut Reader,
    ) -> Result<Users, SnapshotError> {
        let mut by_name = BTreeMap::new();
        for _ in 0..reader.u32()? {
            let name = reader.bytes()?.to_vec();
            let mut user = User::new();
            for rule in get_rules(reader)? {
                user.apply(catalog, rule).map_err(bad_rule)?;
            }
            for rule in get_rules(reader)? {
                user.root.apply(catalog, rule).map_err(bad_rule)?;
            }
            for _ in 0..reader.u32()? {
                let mut selector = Selector::default();
                for rule in get_rules(reader)? {
                    selector.apply(catalog, rule).map_err(bad_rule)?;
                }
                user.selectors.push(selector);
            }
            if by_name.insert(name, user).is_some() {
                return Err(SnapshotError::OutOfRange);
            }
        }
        if !by_name.contains_key(DEFAULT_USER) {
            return Err(SnapshotError::OutOfRange);
        }
        Ok(Users { by_name })
    }
}

fn bad_rule(_: RuleError) -> SnapshotError {
    SnapshotError::OutOfRange
}

fn put_rules(out: &mut Vec<u8>, rules: &[Vec<u8>]) {
    out.extend_from_slice(&(rules.len() as u32).to_le_bytes());
    for rule in rules {
        put_bytes(out, rule);
    }
}

fn get_rules<'a>(reader: &mut Reader<'a>) -> Result<Vec<&'a [u8]>, SnapshotError> {
    (0..reader.u32()?).map(|_| reader.bytes()).collect()
}
