//! COMMAND DOCS, from each table entry's `docs:` (group, since, doc flags) and `args:`, the
//! arguments in a compact form of our own. Each argument is one word; nested ones follow in
//! parentheses, separated by spaces:
//!
//! `[flags]name:type[=TOKEN][#key spec index][@since][!deprecated since][(arguments)]`
//!
//! where flags are `?` optional, `*` multiple, `+` multiple_token, and type one of Redis's
//! (`key`, `string`, `integer`, `double`, `pattern`, `unix-time`, `pure-token`, `oneof`,
//! `block`). So SET's `key:key#0 value:string ?condition:oneof@2.6.12(nx:pure-token=NX
//! xx:pure-token=XX) ...`.
//!
//! The prose (summary, complexity, what replaces a deprecated command, its history) is each
//! entry's own `summary:`, `complexity:`, `replaced_by:` and `history:` parts, in our words.

use super::find;
use crate::reply::Reply;
use crate::spec::CommandSpec;
use crate::table::all;

/// One argument of a command, as COMMAND DOCS describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Argument {
    pub name: String,
    pub kind: String,
    pub token: Option<String>,
    pub key_spec_index: Option<u32>,
    pub since: Option<String>,
    pub deprecated_since: Option<String>,
    pub flags: Vec<&'static str>,
    pub arguments: Vec<Argument>,
}

/// The argument types Redis names.
const TYPES: [&str; 9] = [
    "key",
    "string",
    "integer",
    "double",
    "pattern",
    "unix-time",
    "pure-token",
    "oneof",
    "block",
];

/// COMMAND DOCS [name ...]: a map from each command named (every command when none is; the
/// names not known are left out) to its documentation.
pub fn reply(names: &[Vec<u8>]) -> Reply {
    let specs: Vec<&CommandSpec> = match names {
        [] => all().to_vec(),
        names => names.iter().filter_map(|name| find(name)).collect(),
    };
    Reply::Map(
        specs
            .into_iter()
            .map(|spec| (Reply::bulk(spec.name), docs(spec)))
            .collect(),
    )
}

/// One command's documentation, its fields in redis-server 7.0's order: summary, since,
/// group, complexity, doc_flags, deprecated_since, replaced_by, history, arguments,
/// subcommands (each left out when the entry has none).
fn docs(spec: &CommandSpec) -> Reply {
    let mut words = spec.docs.split_whitespace();
    let (group, since) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (deprecated, doc_flags): (Vec<&str>, Vec<&str>) =
        words.partition(|word| word.starts_with("deprecated_since:"));
    let deprecated_since = deprecated.first().and_then(|word| word.split_once(':'));
    let mut fields = Fields(Vec::new());
    fields.text("summary", spec.summary);
    fields.text("since", since);
    fields.text("group", group);
    fields.text("complexity", spec.complexity);
    if !doc_flags.is_empty() {
        let flags = doc_flags.iter().map(|flag| Reply::Simple(flag.to_string()));
        fields.push("doc_flags", Reply::Set(flags.collect()));
    }
    fields.text(
        "deprecated_since",
        deprecated_since.map_or("", |(_, version)| version),
    );
    fields.text("replaced_by", spec.replaced_by);
    let history = history(spec.history);
    if !history.is_empty() {
        fields.push("history", Reply::Set(history));
    }
    let arguments = parse(spec.arguments).unwrap_or_default();
    if !arguments.is_empty() {
        fields.push("arguments", arguments_reply(&arguments));
    }
    let subcommands = spec.subcommands();
    if !subcommands.is_empty() {
        let docs = subcommands
            .iter()
            .map(|sub| (Reply::bulk(sub.name), docs(sub)));
        fields.push("subcommands", Reply::Map(docs.collect()));
    }
    Reply::Map(fields.0)
}

/// A documentation map's fields, in the order pushed.
struct Fields(Vec<(Reply, Reply)>);

impl Fields {
    fn push(&mut self, name: &str, value: Reply) {
        self.0.push((Reply::bulk(name), value));
    }

    /// A text field, left out when the entry has no such text.
    fn text(&mut self, name: &str, value: &str) {
        if !value.is_empty() {
            self.push(name, Reply::bulk(value));
        }
    }
}

/// An entry's `history:` text (`version text` items, `;`-separated) as Redis's pairs.
pub fn history(text: &str) -> Vec<Reply> {
    text.split(';')
        .filter_map(|item| item.trim().split_once(' '))
        .map(|(version, change)| Reply::Array(vec![Reply::bulk(version), Reply::bulk(change)]))
        .collect()
}

fn arguments_reply(arguments: &[Argument]) -> Reply {
    Reply::Array(arguments.iter().map(Argument::reply).collect())
}

impl Argument {
    fn reply(&self) -> Reply {
        let mut fields = vec![
            (Reply::bulk("name"), Reply::bulk(self.name.as_str())),
            (Reply::bulk("type"), Reply::bulk(self.kind.as_str())),
        ];
        let mut field = |name: &str, value: Reply| fields.push((Reply::bulk(name), value));
        if let Some(index) = self.key_spec_index {
            field("key_spec_index", Reply::Integer(index.into()));
        }
        if let Some(token) = &self.token {
            field("token", Reply::bulk(token.as_str()));
        }
        if let Some(since) = &self.since {
            field("since", Reply::bulk(since.as_str()));
        }
        if let Some(version) = &self.deprecated_since {
            field("deprecated_since", Reply::bulk(version.as_str()));
        }
        if !self.flags.is_empty() {
            let flags = self
                .flags
                .iter()
                .map(|flag| Reply::Simple(flag.to_string()));
            field("flags", Reply::Set(flags.collect()));
        }
        if !self.arguments.is_empty() {
            field("arguments", arguments_reply(&self.arguments));
        }
        Reply::Map(fields)
    }
}

/// Reads an entry's `args:` text; Err says what is malformed (a table test reads every entry).
pub fn parse(text: &str) -> Result<Vec<Argument>, String> {
    let words = split_words(text)?;
    words.into_iter().map(parse_word).collect()
}

/// The words of one level: split at spaces outside parentheses.
fn split_words(text: &str) -> Result<Vec<&str>, String> {
    let mut words = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (at, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1).ok_or("unbalanced `)`")?,
            ' ' if depth == 0 => {
                words.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced `(` in {text:?}"));
    }
    words.push(&text[start..]);
    Ok(words.into_iter().filter(|word| !word.is_empty()).collect())
}

fn parse_word(word: &str) -> Result<Argument, String> {
    let (head, nested) = match word.find('(') {
        Some(open) if word.ends_with(')') => {
            (&word[..open], parse(&word[open + 1..word.len() - 1])?)
        }
        Some(_) => return Err(format!("{word:?}: text after `)`")),
        None => (word, Vec::new()),
    };
    let flag_count = head.find(|c| !"?*+".contains(c)).unwrap_or(head.len());
    let flags = head[..flag_count]
        .chars()
        .map(|c| match c {
            '?' => "optional",
            '*' => "multiple",
            _ => "multiple_token",
        })
        .collect();
    let rest = &head[flag_count..];
    let (rest, deprecated_since) = split_off(rest, '!');
    let (rest, since) = split_off(rest, '@');
    let (rest, index) = split_off(rest, '#');
    let (name_kind, token) = match rest.find('=') {
        Some(at) => (&rest[..at], Some(rest[at + 1..].to_string())),
        None => (rest, None),
    };
    let (name, kind) = name_kind
        .rsplit_once(':')
        .ok_or_else(|| format!("{word:?}: no `name:type`"))?;
    if !TYPES.contains(&kind) {
        return Err(format!("{word:?}: unknown type {kind}"));
    }
    let key_spec_index = match index {
        Some(index) => Some(index.parse().map_err(|_| format!("{word:?}: bad index"))?),
        None => None,
    };
    Ok(Argument {
        name: name.to_string(),
        kind: kind.to_string(),
        token,
        key_spec_index,
        since,
        deprecated_since,
        flags,
        arguments: nested,
    })
}

/// `text` without its last `mark`-introduced part, and that part. Tokens never hold the
/// marks, so the parts come off from the right.
fn split_off(text: &str, mark: char) -> (&str, Option<String>) {
    match text.rfind(mark) {
        Some(at) => (&text[..at], Some(text[at + 1..].to_string())),
        None => (text, None),
    }
}
