//! The script cache: every script body EVAL ran or SCRIPT LOAD loaded, by its SHA-1 name, for
//! EVALSHA. Replicated state: it changes only through the log and travels in snapshots.

use std::collections::BTreeMap;

/// Script bodies by the lower-case hex of their SHA-1.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScriptCache {
    bodies: BTreeMap<String, Vec<u8>>,
}

/// The name of a script: the lower-case hex of its body's SHA-1, as Redis names it.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

impl ScriptCache {
    /// Caches `body` (again, if it is there) and returns its name.
    pub fn insert(&mut self, body: &[u8]) -> String {
        let sha = sha1_hex(body);
        self.insert_named(&sha, body);
        sha
    }

    /// Caches `body` under `sha`, its name (computed by the caller: [`sha1_hex`] of it).
    pub fn insert_named(&mut self, sha: &str, body: &[u8]) {
        debug_assert_eq!(sha, sha1_hex(body));
        if !self.bodies.contains_key(sha) {
            self.bodies.insert(sha.to_string(), body.to_vec());
        }
    }

    /// The body named `sha`, in any letter case; a name of the wrong length names nothing.
    pub fn get(&self, sha: &[u8]) -> Option<&[u8]> {
        if sha.len() != 40 {
            return None;
        }
        let lower = String::from_utf8_lossy(&sha.to_ascii_lowercase()).into_owned();
        self.bodies.get(&lower).map(Vec::as_slice)
    }

    pub fn clear(&mut self) {
        self.bodies.clear();
    }

    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    /// The bodies in the order of their names (the snapshot's order).
    pub fn bodies(&self) -> impl Iterator<Item = &[u8]> {
        self.bodies.values().map(Vec::as_slice)
    }
}
