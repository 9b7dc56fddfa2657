//! What ACL rules know of the command table: every command and subcommand by name, with its
//! categories. The table (table.rs, above every command) builds it once and hands it down in
//! the command contexts, as it hands down its dispatcher, so that the ACL commands below the
//! table can name other commands without importing it.

/// One command (`get`) or subcommand (`config|get`) and its category bits (see
/// [`super::category`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatalogEntry {
    pub name: &'static str,
    pub categories: u32,
}

/// Every command and subcommand, sorted by name.
#[derive(Debug, Default)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
}

impl Catalog {
    /// The catalog of `entries` in any order.
    pub fn new(mut entries: Vec<CatalogEntry>) -> Catalog {
        entries.sort_by_key(|entry| entry.name);
        Catalog { entries }
    }

    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The entry named `name` (case-insensitively; `container|sub` for a subcommand).
    pub fn find(&self, name: &[u8]) -> Option<&CatalogEntry> {
        let lower = name.to_ascii_lowercase();
        let at = self
            .entries
            .binary_search_by(|entry| entry.name.as_bytes().cmp(&lower))
            .ok()?;
        Some(&self.entries[at])
    }

    /// The subcommands of the container `name` (none for another command).
    pub fn subcommands_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a CatalogEntry> {
        self.entries.iter().filter(move |entry| {
            entry
                .name
                .split_once('|')
                .is_some_and(|(container, _)| container == name)
        })
    }

    /// The commands and subcommands of `category` (a bit of [`super::category`]).
    pub fn in_category(&self, category: u32) -> impl Iterator<Item = &CatalogEntry> {
        self.entries
            .iter()
            .filter(move |entry| entry.categories & category != 0)
    }
}
