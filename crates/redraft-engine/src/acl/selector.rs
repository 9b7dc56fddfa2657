//! A selector: which commands, keys and channels it allows (Redis 7.0's `aclSelector`). A user
//! has a root selector and any number of others in parentheses; a command runs if one of them
//! allows it.

use super::catalog::{Catalog, CatalogEntry};
use super::category;
use std::collections::{BTreeMap, BTreeSet};

/// Why a rule was refused; [`RuleError::text`] is Redis's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    Syntax,
    UnknownCommand,
    KeysAfterAllKeys,
    ChannelsAfterAllChannels,
    NoSuchPassword,
    BadHash,
}

impl RuleError {
    pub fn text(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::KeysAfterAllKeys => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            RuleError::ChannelsAfterAllChannels => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        }
    }
}

/// Which commands a selector allows, as Redis's bitmap of command IDs would: `future` is the
/// bit that `+@all` sets and `-@all` clears (commands no rule names since follow it), and
/// `flipped` holds the commands whose permission differs from it. Kept by name, so that a
/// command added to the table later follows `+@all` as in Redis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commands {
    future: bool,
    flipped: BTreeSet<&'static str>,
    /// `+select|0`: a command whose bit is off, allowed with these first arguments only.
    first_args: BTreeMap<&'static str, Vec<Vec<u8>>>,
}

impl Commands {
    pub fn all() -> Commands {
        Commands {
            future: true,
            ..Commands::default()
        }
    }

    /// Whether the command (or subcommand) `name` is allowed whatever its arguments.
    pub fn allows(&self, name: &str) -> bool {
        self.future != self.flipped.contains(name)
    }

    /// Whether `name` is allowed with `first_arg` as its first argument.
    pub fn allows_call(&self, name: &str, first_arg: Option<&[u8]>) -> bool {
        if self.allows(name) {
            return true;
        }
        let (Some(arg), Some(args)) = (first_arg, self.first_args.get(name)) else {
            return false;
        };
        args.iter().any(|allowed| allowed.eq_ignore_ascii_case(arg))
    }

    fn set(&mut self, name: &'static str, allowed: bool) {
        self.first_args.remove(name);
        if allowed == self.future {
            self.flipped.remove(name);
        } else {
            self.flipped.insert(name);
        }
    }

    /// Allows or denies `entry` and, for a container, each of its subcommands.
    fn set_command(&mut self, catalog: &Catalog, entry: &CatalogEntry, allowed: bool) {
        self.set(entry.name, allowed);
        for sub in catalog.subcommands_of(entry.name) {
            self.set(sub.name, allowed);
        }
    }

    fn set_category(&mut self, catalog: &Catalog, category: u32, allowed: bool) {
        for entry in catalog.in_category(category) {
            self.set(entry.name, allowed);
        }
    }

    fn reset_to(&mut self, allowed: bool) {
        *self = Commands {
            future: allowed,
            ..Commands::default()
        };
    }

    /// Redis's greedy choice of categories: again and again, of the categories not taken, the
    /// one with more commands like these permissions than unlike (allowed after `-@all`,
    /// denied after `+@all`), the fewest unlike, then the most alike; a category taken counts
    /// as undone for the next rounds.
    fn best_categories(&self, catalog: &Catalog) -> Vec<(&'static str, u32)> {
        let additive = !self.future;
        let mut left = self.clone();
        let mut taken = Vec::new();
        loop {
            let mut best: Option<((&'static str, u32), usize, usize)> = None;
            for (name, bit) in category::CATEGORIES {
                if taken.iter().any(|(_, known)| *known == bit) {
                    continue;
                }
                let (on, off) = left.count(catalog, bit);
                let (same, diff) = if additive { (on, off) } else { (off, on) };
                let better = best.is_none_or(|(_, least_diff, most_same)| {
                    diff < least_diff || (diff == least_diff && same > most_same)
                });
                if same > diff && better {
                    best = Some(((name, bit), diff, same));
                }
            }
            let Some(((name, bit), _, _)) = best else {
                return taken;
            };
            left.set_category(catalog, bit, !additive);
            taken.push((name, bit));
        }
    }

    /// How many commands of `category` are allowed and denied.
    fn count(&self, catalog: &Catalog, category: u32) -> (usize, usize) {
        let allowed = catalog
            .in_category(category)
            .filter(|entry| self.allows(entry.name))
            .count();
        (allowed, catalog.in_category(category).count() - allowed)
    }

    /// Applies `+...` / `-...` / allcommands / nocommands; false for another rule.
    fn apply(&mut self, catalog: &Catalog, rule: &[u8]) -> Result<bool, RuleError> {
        if rule.eq_ignore_ascii_case(b"allcommands") || rule.eq_ignore_ascii_case(b"+@all") {
            self.reset_to(true);
        } else if rule.eq_ignore_ascii_case(b"nocommands") || rule.eq_ignore_ascii_case(b"-@all") {
            self.reset_to(false);
        } else if let Some(name) = rule.strip_prefix(b"+@").or(rule.strip_prefix(b"-@")) {
            let category = category::by_name(name).ok_or(RuleError::UnknownCommand)?;
            self.set_category(catalog, category, rule[0] == b'+');
        } else if let Some(name) = rule.strip_prefix(b"+") {
            self.allow_named(catalog, name)?;
        } else if let Some(name) = rule.strip_prefix(b"-") {
            let entry = catalog.find(name).ok_or(RuleError::UnknownCommand)?;
            self.set_command(catalog, entry, false);
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// `+name`: a command, a container's subcommand, or a first argument of a command that is
    /// no container (`+select|0`), as Redis 7.0 allows.
    fn allow_named(&mut self, catalog: &Catalog, name: &[u8]) -> Result<(), RuleError> {
        if let Some(entry) = catalog.find(name) {
            self.set_command(catalog, entry, true);
            return Ok(());
        }
        let at = name.iter().position(|&b| b == b'|');
        let (command, first_arg) = match at {
            Some(at) => (&name[..at], &name[at + 1..]),
            None => return Err(RuleError::UnknownCommand),
        };
        let entry = catalog.find(command).ok_or(RuleError::UnknownCommand)?;
        if catalog.subcommands_of(entry.name).next().is_some() {
            return Err(RuleError::UnknownCommand);
        }
        if first_arg.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !self.allows(entry.name) {
            let args = self.first_args.entry(entry.name).or_default();
            if !args.iter().any(|arg| arg.eq_ignore_ascii_case(first_arg)) {
                args.push(first_arg.to_vec());
            }
        }
        Ok(())
    }

    /// The rules that give these permissions, as Redis 7.0 writes them: `+@all` or `-@all`,
    /// then the categories [`Self::best_categories`] picks, then the single commands that
    /// still differ (by name: Redis follows its hash table), then the allowed first arguments.
    pub fn describe(&self, catalog: &Catalog) -> Vec<Vec<u8>> {
        let additive = !self.future;
        let mut rules = vec![if additive { "-@all" } else { "+@all" }.to_string()];
        let mut fake = Commands::default();
        fake.reset_to(self.future);
        for (name, bit) in self.best_categories(catalog) {
            fake.set_category(catalog, bit, additive);
            rules.push(format!("{}@{name}", if additive { '+' } else { '-' }));
        }
        for entry in catalog.entries() {
            let wanted = self.allows(entry.name);
            if wanted != fake.allows(entry.name) {
                rules.push(format!("{}{}", if wanted { '+' } else { '-' }, entry.name));
                fake.set_command(catalog, entry, wanted);
            }
        }
        let mut rules: Vec<Vec<u8>> = rules.into_iter().map(String::into_bytes).collect();
        // A first argument is bytes, kept as they are: a lossy copy would read back as
        // another argument after a snapshot, and replicas would disagree.
        for (name, args) in &self.first_args {
            for arg in args {
                rules.push([format!("+{name}|").as_bytes(), arg].concat());
            }
        }
        rules
    }
}

/// A key pattern and what it allows: `~p` both, `%R~p` reading, `%W~p` writing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    pub read: bool,
    pub write: bool,
    pub pattern: Vec<u8>,
}

impl KeyPattern {
    /// As Redis writes it (ACL LIST, GETUSER): a pattern `*` for reading and writing as `~*`,
    /// like the allkeys flag.
    fn describe(&self) -> Vec<u8> {
        let prefix: &[u8] = match (self.read, self.write) {
            (true, false) => b"%R~",
            (false, true) => b"%W~",
            _ => b"~",
        };
        [prefix, &self.pattern].concat()
    }

    /// As it reads back as this pattern: `%RW~*` for `*`, since `~*` reads back as allkeys,
    /// which refuses the patterns after it.
    fn exact_rule(&self) -> Vec<u8> {
        match (self.read, self.write, self.pattern.as_slice()) {
            (true, true, b"*") => b"%RW~*".to_vec(),
            _ => self.describe(),
        }
    }
}

/// Commands, keys and channels allowed together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    pub commands: Commands,
    pub all_keys: bool,
    pub keys: Vec<KeyPattern>,
    pub all_channels: bool,
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    /// Whether this selector allows every command on every key and channel (the default
    /// user's, `+@all ~* &*`): then nothing about a call needs looking at.
    pub fn allows_everything(&self) -> bool {
        self.commands.future
            && self.commands.flipped.is_empty()
            && self.all_keys
            && self.all_channels
    }

    /// What the default user's root allows: everything.
    pub fn everything() -> Selector {
        Selector {
            commands: Commands::all(),
            all_keys: true,
            all_channels: true,
            ..Selector::default()
        }
    }

    /// Applies one selector rule (Redis's ACLSetSelector).
    pub fn apply(&mut self, catalog: &Catalog, rule: &[u8]) -> Result<(), RuleError> {
        let lower = rule.to_ascii_lowercase();
        // `~*` and `&*` are the flags' other names (Redis 7.0 checks them first, so they are
        // accepted after the flag); `%RW~*` is a pattern, after which others may follow.
        match lower.as_slice() {
            b"allkeys" | b"~*" => self.allow_all_keys(),
            b"resetkeys" => {
                self.all_keys = false;
                self.keys.clear();
            }
            b"allchannels" | b"&*" => self.allow_all_channels(),
            b"resetchannels" => {
                self.all_channels = false;
                self.channels.clear();
            }
            _ if rule.starts_with(b"~") || rule.starts_with(b"%") => self.add_key_pattern(rule)?,
            _ if rule.starts_with(b"&") => self.add_channel(&rule[1..])?,
            _ => {
                if !self.commands.apply(catalog, rule)? {
                    return Err(RuleError::Syntax);
                }
            }
        }
        Ok(())
    }

    fn allow_all_keys(&mut self) {
        self.all_keys = true;
        self.keys.clear();
    }

    fn allow_all_channels(&mut self) {
        self.all_channels = true;
        self.channels.clear();
    }

    /// `~pattern`, `%R~pattern`, `%W~pattern`, `%RW~pattern`.
    /// After allkeys any of them is refused as such, its flags unread (Redis 7.0's order).
    fn add_key_pattern(&mut self, rule: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeysAfterAllKeys);
        }
        let tilde = rule
            .iter()
            .position(|&b| b == b'~')
            .ok_or(RuleError::Syntax)?;
        let (mut read, mut write) = (tilde == 0, tilde == 0);
        if tilde > 0 {
            for &flag in &rule[1..tilde] {
                match flag.to_ascii_uppercase() {
                    b'R' => read = true,
                    b'W' => write = true,
                    _ => return Err(RuleError::Syntax),
                }
            }
            if !read && !write {
                return Err(RuleError::Syntax);
            }
        }
        let pattern = &rule[tilde + 1..];
        match self.keys.iter_mut().find(|known| known.pattern == pattern) {
            Some(known) => {
                known.read |= read;
                known.write |= write;
            }
            None => self.keys.push(KeyPattern {
                read,
                write,
                pattern: pattern.to_vec(),
            }),
        }
        Ok(())
    }

    fn add_channel(&mut self, pattern: &[u8]) -> Result<(), RuleError> {
        if self.all_channels {
            return Err(RuleError::ChannelsAfterAllChannels);
        }
        if !self.channels.iter().any(|known| known == pattern) {
            self.channels.push(pattern.to_vec());
        }
        Ok(())
    }

    /// The keys part as ACL GETUSER shows it: `~*`, or each pattern, space-separated.
    pub fn describe_keys(&self) -> Vec<Vec<u8>> {
        self.key_rules(KeyPattern::describe)
    }

    fn key_rules(&self, rule: fn(&KeyPattern) -> Vec<u8>) -> Vec<Vec<u8>> {
        match self.all_keys {
            true => vec![b"~*".to_vec()],
            false => self.keys.iter().map(rule).collect(),
        }
    }

    /// The channels part as ACL GETUSER shows it: `&*`, or each pattern.
    pub fn describe_channels(&self) -> Vec<Vec<u8>> {
        match self.all_channels {
            true => vec![b"&*".to_vec()],
            false => self
                .channels
                .iter()
                .map(|channel| [b"&", channel.as_slice()].concat())
                .collect(),
        }
    }

    /// The rules that rebuild this selector from an empty one, as ACL LIST writes them: keys,
    /// channels (after `resetchannels` unless all are allowed), commands.
    pub fn describe(&self, catalog: &Catalog) -> Vec<Vec<u8>> {
        self.rules(catalog, KeyPattern::describe)
    }

    /// The rules that rebuild exactly this selector (a snapshot's): [`Self::describe`]'s, but
    /// for a pattern `*` that must not read back as allkeys.
    pub fn exact_rules(&self, catalog: &Catalog) -> Vec<Vec<u8>> {
        self.rules(catalog, KeyPattern::exact_rule)
    }

    fn rules(&self, catalog: &Catalog, key_rule: fn(&KeyPattern) -> Vec<u8>) -> Vec<Vec<u8>> {
        let mut rules = self.key_rules(key_rule);
        if !self.all_channels {
            rules.push(b"resetchannels".to_vec());
        }
        rules.extend(self.describe_channels());
        rules.extend(self.commands.describe(catalog));
        rules
    }
}
