//! The node's config file (`--config FILE`), in redis.conf's syntax: one `name value...`
//! directive a line, `#` comments, arguments quoted as redis.conf quotes them. A directive
//! names a flag (without its dashes) or a Redis parameter; cli.rs decides what each does.
//! CONFIG REWRITE writes the node's parameters back into it, keeping everything else.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use redraft_engine::config::CONFIG_SET_INITIAL_COMMAND;

use crate::cluster::Cluster;
use crate::delivery::{propose, Retry};
use crate::server::Server;

/// Largest config file read (a redis.conf with every comment is about 100 KiB).
const MAX_FILE_BYTES: u64 = 16 << 20;

/// One directive: where it is, and its words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line number.
    pub line: usize,
    /// The line as written, for errors.
    pub text: String,
    /// The name, lower-cased.
    pub name: String,
    pub args: Vec<String>,
}

impl Directive {
    /// The arguments as one value (redis.conf's `save 3600 1 300 100` is "3600 1 300 100").
    pub fn value(&self) -> String {
        self.args.join(" ")
    }
}

/// Redis's report of a bad line, with the file's name.
pub fn fatal(path: &Path, line: usize, text: &str, why: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR ***\nReading the configuration file {}, at line {line}\n>>> '{}'\n{why}",
        path.display(),
        text.trim()
    )
}

/// Reads and splits the config file at `path`.
pub fn read(path: &Path) -> Result<Vec<Directive>, String> {
    let cannot = |e: std::io::Error| format!("cannot read the config file {}: {e}", path.display());
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "the config file {} is larger than 16 MiB",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(cannot)?;
    parse(&text).map_err(|(line, text, why)| fatal(path, line, &text, &why))
}

/// The directives of a config file's text; Err(line, its text, why) for the first bad one.
pub fn parse(text: &str) -> Result<Vec<Directive>, (usize, String, String)> {
    let mut directives = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = split_args(trimmed).ok_or_else(|| {
            (
                i + 1,
                raw.to_string(),
                "Unbalanced quotes in configuration line".to_string(),
            )
        })?;
        let Some((name, args)) = words.split_first() else {
            continue;
        };
        directives.push(Directive {
            line: i + 1,
            text: raw.to_string(),
            name: name.to_ascii_lowercase(),
            args: args.to_vec(),
        });
    }
    Ok(directives)
}

/// Splits a line into words as redis.conf does: spaces separate, "double quotes" take
/// escapes (\n \r \t \b \a \\ \" \xHH), 'single quotes' take \' only; a closing quote must end
/// its word. None when quotes do not balance.
pub fn split_args(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            return Some(words);
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                let c = chars.next()?;
                match c {
                    '\\' if first == '"' => word.push(unescape(&mut chars)?),
                    '\\' if chars.peek() == Some(&'\'') => {
                        chars.next();
                        word.push('\'');
                    }
                    c if c == first => break,
                    c => word.push(c),
                }
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                return None;
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        words.push(word);
    }
}

fn unescape(chars: &mut std::iter::Peekable<std::str::Chars>) -> Option<char> {
    Some(match chars.next()? {
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'b' => '\u{8}',
        'a' => '\u{7}',
        'x' => {
            let high = chars.next()?.to_digit(16)?;
            let low = chars.next()?.to_digit(16)?;
            char::from(u8::try_from(high * 16 + low).ok()?)
        }
        other => other,
    })
}

/// A value as a config file's word: as it is when plain, else double-quoted with escapes.
pub fn quote(value: &str) -> String {
    let plain = |c: char| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | '#');
    if !value.is_empty() && value.chars().all(plain) {
        return value.to_string();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c) & 0xff)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One parameter CONFIG REWRITE writes: its name, its alias, its value now, and whether that
/// value is the default (then a line is written only to replace one the file has).
pub struct Setting {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub value: String,
    pub default: bool,
}

/// The comment above the lines CONFIG REWRITE appends.
const GENERATED: &str = "# Generated by CONFIG REWRITE";

/// The file's new text: each setting replaces the first line that names it (or its alias),
/// its other lines go, and settings off their default that the file lacks are appended.
/// Comments, flags and every other line stay as they are.
pub fn rewritten(old: &str, settings: &[Setting]) -> String {
    let mut lines: Vec<Option<String>> = old.lines().map(|line| Some(line.to_string())).collect();
    let name_of = |line: &str| {
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            return None;
        }
        split_args(trimmed)?
            .first()
            .map(|name| name.to_ascii_lowercase())
    };
    let names: Vec<Option<String>> = old.lines().map(name_of).collect();
    let mut appended = Vec::new();
    for setting in settings {
        let line = format!("{} {}", setting.name, quote(&setting.value));
        let names_it = |name: &Option<String>| {
            name.as_deref()
                .is_some_and(|name| name == setting.name || Some(name) == setting.alias)
        };
        let mut found = names.iter().enumerate().filter(|(_, name)| names_it(name));
        match found.next() {
            Some((first, _)) => {
                lines[first] = Some(line);
                for (other, _) in found {
                    lines[other] = None;
                }
            }
            None if !setting.default => appended.push(line),
            None => {}
        }
    }
    let mut out: Vec<String> = lines.into_iter().flatten().collect();
    if !appended.is_empty() && !out.iter().any(|line| line == GENERATED) {
        out.push(GENERATED.to_string());
    }
    out.extend(appended);
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// CONFIG REWRITE: the file at `path` with `settings`, written whole to a temporary file that
/// is synced and renamed over it (a crash leaves the old file or the new one).
pub fn rewrite(path: &Path, settings: &[Setting]) -> std::io::Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error),
    };
    let text = rewritten(&old, settings);
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    let dir = dir.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.rewrite-{}", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// At start with replicated parameters in the config file: proposes them, applied only while
/// the cluster's configuration and users are as a new cluster starts (the first node to get
/// there wins; a restart changes nothing). Retried until the cluster takes it.
pub fn propose_at_start<C: Cluster>(server: Arc<Server<C>>, pairs: Vec<Vec<u8>>) {
    if pairs.is_empty() {
        return;
    }
    let mut argv = vec![CONFIG_SET_INITIAL_COMMAND.as_bytes().to_vec()];
    argv.extend(pairs);
    tokio::spawn(async move {
        // Let the node find its cluster before the first try.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let what = "setting the config file's replicated parameters at start";
        propose(&server, 0, argv, Retry::Always, what).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_as_redis_conf_quotes_them() {
        let text = "# comment\n\n  maxclients 100\nsave \"\"\nlogfile \"a b\\x41\"\nname 'it\\'s'\nSAVE 3600 1 300 100\n";
        let directives = parse(text).unwrap();
        let words: Vec<(usize, &str, Vec<&str>)> = directives
            .iter()
            .map(|d| {
                (
                    d.line,
                    d.name.as_str(),
                    d.args.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            words,
            [
                (3, "maxclients", vec!["100"]),
                (4, "save", vec![""]),
                (5, "logfile", vec!["a bA"]),
                (6, "name", vec!["it's"]),
                (7, "save", vec!["3600", "1", "300", "100"]),
            ]
        );
        let (line, _, why) = parse("port 1\nbind \"x\n").unwrap_err();
        assert_eq!(
            (line, why.as_str()),
            (2, "Unbalanced quotes in configuration line")
        );
        assert!(parse("dir \"a\"b\n").is_err());
        for value in ["", "plain", "a b", "q\"uote\\", "tab\there"] {
            assert_eq!(split_args(&quote(value)).unwrap(), [value], "{value}");
        }
    }

    #[test]
    fn rewrite_replaces_named_lines_keeps_the_rest_and_appends_the_changed() {
        let old = "# my node\nport 7000\ntimeout 5\n# why\nslave-read-only yes\nTIMEOUT 6\nunknown-to-us 1\n";
        let setting = |name, alias, value: &str, default| Setting {
            name,
            alias,
            value: value.to_string(),
            default,
        };
        let settings = [
            setting("timeout", None, "9", false),
            setting("replica-read-only", Some("slave-read-only"), "no", false),
            setting("save", None, "", false),
            setting("hz", None, "10", true),
        ];
        assert_eq!(
            rewritten(old, &settings),
            "# my node\nport 7000\ntimeout 9\n# why\nreplica-read-only no\nunknown-to-us 1\n# Generated by CONFIG REWRITE\nsave \"\"\n"
        );
        let dir = std::env::temp_dir().join(format!("redraft-rewrite-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("redraft.conf");
        std::fs::write(&path, old).unwrap();
        rewrite(&path, &settings).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            rewritten(old, &settings)
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
