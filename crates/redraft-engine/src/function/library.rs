//! The function libraries: replicated state in the keyspace, beside the script cache. FUNCTION
//! LOAD, DELETE, FLUSH and RESTORE change it through the log; snapshots carry it whole.
//!
//! A library keeps its code and what its body registered (each function's flags and
//! description), so that a replica restored from a snapshot answers FUNCTION LIST and decides
//! FCALL's path without running Lua. FCALL runs the code again in a fresh state.

use std::collections::BTreeMap;

use crate::wire::{put_bytes, Reader, SnapshotError};

/// The libraries by name (letters, digits and underscores; case-sensitive, as Redis's), in
/// the order of their names: the order of FUNCTION LIST, FUNCTION DUMP and snapshots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Libraries {
    libraries: BTreeMap<String, Library>,
    /// Every function's name in lower case → its library: FCALL finds a function whatever its
    /// letter case, and no two libraries may hold names that differ in case only. Derived from
    /// `libraries`, never encoded.
    index: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Library {
    pub code: Vec<u8>,
    /// By name, as registered.
    pub functions: BTreeMap<String, Function>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// Bits over the flag names of a shebang (`no-writes` is bit 0).
    pub flags: u8,
    pub description: Option<Vec<u8>>,
}

impl Library {
    /// The function `name`: that exact name, else one that differs in letter case only.
    pub fn function(&self, name: &str) -> Option<(&str, &Function)> {
        let exact = self.functions.get_key_value(name);
        exact
            .or_else(|| {
                let mut all = self.functions.iter();
                all.find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            })
            .map(|(name, function)| (name.as_str(), function))
    }
}

impl Libraries {
    pub fn get(&self, name: &str) -> Option<&Library> {
        self.libraries.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Library)> {
        self.libraries
            .iter()
            .map(|(name, library)| (name.as_str(), library))
    }

    pub fn len(&self) -> usize {
        self.libraries.len()
    }

    pub fn function_count(&self) -> usize {
        self.libraries.values().map(|lib| lib.functions.len()).sum()
    }

    /// The library that holds function `name` (in any letter case), and the function.
    pub fn find(&self, name: &[u8]) -> Option<(&Library, &str, &Function)> {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        let library = self.libraries.get(self.index.get(&lower)?)?;
        let (name, function) = library.function(&String::from_utf8_lossy(name))?;
        Some((library, name, function))
    }

    /// The first of `names` that a library other than `library` holds (in any letter case).
    pub fn taken<'n>(&self, library: &str, names: &'n [String]) -> Option<&'n str> {
        names
            .iter()
            .find(|name| {
                let owner = self.index.get(&name.to_ascii_lowercase());
                owner.is_some_and(|owner| owner != library)
            })
            .map(String::as_str)
    }

    /// Adds `library` as `name`, replacing one of that name.
    pub fn insert(&mut self, name: &str, library: Library) {
        self.remove(name);
        for function in library.functions.keys() {
            self.index
                .insert(function.to_ascii_lowercase(), name.to_string());
        }
        self.libraries.insert(name.to_string(), library);
    }

    pub fn remove(&mut self, name: &str) -> bool {
        let Some(library) = self.libraries.remove(name) else {
            return false;
        };
        for function in library.functions.keys() {
            self.index.remove(&function.to_ascii_lowercase());
        }
        true
    }

    pub fn clear(&mut self) {
        *self = Libraries::default();
    }

    /// The snapshot form: the count of libraries (u64), then each library's name and code
    /// (u32 length + bytes), its count of functions (u32), and each function's name, flags
    /// (u8) and description (u8 0/1, then u32 length + bytes), all in the order of names.
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.libraries.len() as u64).to_le_bytes());
        for (name, library) in &self.libraries {
            put_bytes(out, name.as_bytes());
            put_bytes(out, &library.code);
            out.extend_from_slice(&(library.functions.len() as u32).to_le_bytes());
            for (name, function) in &library.functions {
                put_bytes(out, name.as_bytes());
                out.push(function.flags);
                match &function.description {
                    Some(description) => {
                        out.push(1);
                        put_bytes(out, description);
                    }
                    None => out.push(0),
                }
            }
        }
    }

    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<Libraries, SnapshotError> {
        let mut libraries = Libraries::default();
        let count = reader.u64()?;
        for _ in 0..count {
            let library_name = read_name(reader)?;
            let code = reader.bytes()?.to_vec();
            let mut functions = BTreeMap::new();
            for _ in 0..reader.u32()? {
                let name = read_name(reader)?;
                let flags = reader.u8()?;
                let description = match reader.u8()? {
                    0 => None,
                    _ => Some(reader.bytes()?.to_vec()),
                };
                functions.insert(name, Function { flags, description });
            }
            libraries.insert(&library_name, Library { code, functions });
        }
        Ok(libraries)
    }
}

fn read_name(reader: &mut Reader) -> Result<String, SnapshotError> {
    String::from_utf8(reader.bytes()?.to_vec()).map_err(|_| SnapshotError::OutOfRange)
}
