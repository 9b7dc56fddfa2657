//! Where the node's settings come from: the command line, then REDRAFT_* environment
//! variables, then the config file (--config), then the defaults. A flag given on the command
//! line or in the environment is not taken from the file; the file's flags are put before the
//! command line's arguments and the whole parsed again, so that clap checks everything once.

use std::ffi::OsString;
use std::path::Path;

use clap::parser::ValueSource;
use clap::{ArgMatches, Command, CommandFactory, FromArgMatches};

use crate::cli::Cli;
use crate::config_file::{self, fatal, Directive};
use crate::node_params::{is_node_param, NodeParams};

/// Why the node cannot start with these settings.
#[derive(Debug)]
pub enum SettingsError {
    /// A bad flag (or --help, --version): clap prints and exits.
    Flags(clap::Error),
    /// A bad config file, in Redis's words.
    File(String),
}

/// Redis parameters that name a flag of ours under another name.
const FLAG_SYNONYMS: &[(&str, &str)] = &[("maxclients", "max-clients"), ("appendfsync", "fsync")];

/// The environment variable of a flag: REDRAFT_ and its name in upper snake case.
pub fn env_name(id: &str) -> String {
    format!("REDRAFT_{}", id.to_ascii_uppercase().replace('-', "_"))
}

/// The flags, each also read from its environment variable.
pub fn command() -> Command {
    Cli::command().mut_args(|arg| {
        let id = arg.get_id().as_str().to_string();
        match id.as_str() {
            "help" | "version" => arg,
            _ => arg.env(env_name(&id)),
        }
    })
}

/// The node's settings from `args` (the program's name first), the environment and the
/// config file.
pub fn load(args: Vec<OsString>) -> Result<Cli, SettingsError> {
    let first = command()
        .try_get_matches_from(&args)
        .map_err(SettingsError::Flags)?;
    let Some(path) = first.get_one::<std::path::PathBuf>("config").cloned() else {
        return Cli::from_arg_matches(&first).map_err(SettingsError::Flags);
    };
    let directives = config_file::read(&path).map_err(SettingsError::File)?;
    let from_file = FileSettings::sort(&path, &directives, &first)?;
    let mut merged = vec![args.first().cloned().unwrap_or_else(|| "redraft".into())];
    merged.extend(from_file.flag_args);
    merged.extend(args.into_iter().skip(1));
    let matches = command()
        .try_get_matches_from(merged)
        .map_err(SettingsError::Flags)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(SettingsError::Flags)?;
    cli.file_params = from_file.node_params;
    cli.initial_config = from_file.replicated;
    Ok(cli)
}

/// A config file's directives, sorted by what they set.
#[derive(Default)]
struct FileSettings {
    /// `--flag value` for the flags neither the command line nor the environment gave.
    flag_args: Vec<OsString>,
    node_params: Vec<(String, String)>,
    /// CONFIG SET's pairs of the replicated parameters.
    replicated: Vec<Vec<u8>>,
}

impl FileSettings {
    fn sort(
        path: &Path,
        directives: &[Directive],
        given: &ArgMatches,
    ) -> Result<Self, SettingsError> {
        let command = command();
        let mut settings = FileSettings::default();
        let mut flags: Vec<(String, Vec<OsString>)> = Vec::new();
        for directive in directives {
            let fail =
                |why: &str| SettingsError::File(fatal(path, directive.line, &directive.text, why));
            let name = FLAG_SYNONYMS
                .iter()
                .find(|(redis, _)| *redis == directive.name)
                .map_or(directive.name.as_str(), |(_, flag)| flag);
            let value = flag_value(&directive.name, directive.value());
            if let Some(arg) = command
                .get_arguments()
                .find(|arg| arg.get_long() == Some(name))
            {
                let id = arg.get_id().as_str();
                if id == "config" || directive.args.is_empty() {
                    return Err(fail("Bad directive or wrong number of arguments"));
                }
                let words = flag_words(&command, arg, &value).map_err(|why| fail(&why))?;
                let source = given.value_source(id);
                if !matches!(
                    source,
                    Some(ValueSource::CommandLine | ValueSource::EnvVariable)
                ) {
                    // A flag given twice in the file: the later line wins, as in redis.conf.
                    flags.retain(|(seen, _)| seen != id);
                    flags.push((id.to_string(), words));
                }
            } else if is_node_param(name.as_bytes()) {
                NodeParams::check_at_start(name.as_bytes(), value.as_bytes())
                    .map_err(|why| fail(&why))?;
                settings.node_params.push((name.to_string(), value));
            } else if redraft_engine::config::is_replicated(name.as_bytes()) {
                redraft_engine::config::check_value(name.as_bytes(), value.as_bytes())
                    .map_err(fail)?;
                settings
                    .replicated
                    .extend([name.as_bytes().to_vec(), value.into_bytes()]);
            } else {
                return Err(fail("Bad directive or wrong number of arguments"));
            }
        }
        settings.flag_args = flags.into_iter().flat_map(|(_, words)| words).collect();
        Ok(settings)
    }
}

/// A directive's value as its flag reads it: appendfsync's everysec is always (redraft has no
/// once-a-second fsync; it keeps the safer policy, docs/operations.md).
fn flag_value(directive: &str, value: String) -> String {
    match (directive, value.to_ascii_lowercase().as_str()) {
        ("appendfsync", "everysec") => "always".to_string(),
        ("appendfsync", _) => value.to_ascii_lowercase(),
        _ => value,
    }
}

/// The command-line words of a flag the file sets to `value`, checked with the flag's own
/// parser: `--flag value`, or for a switch `--flag` when yes and nothing when no.
fn flag_words(command: &Command, arg: &clap::Arg, value: &str) -> Result<Vec<OsString>, String> {
    let long = format!("--{}", arg.get_long().unwrap_or_default());
    if !arg.get_action().takes_values() {
        return match value.to_ascii_lowercase().as_str() {
            "yes" => Ok(vec![long.into()]),
            "no" => Ok(Vec::new()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        };
    }
    // The flag alone on a command line: only an error about its value counts here (the
    // whole is checked again once merged).
    let alone = command
        .clone()
        .try_get_matches_from(["redraft", long.as_str(), value]);
    if let Err(error) = alone {
        use clap::error::ErrorKind::{InvalidUtf8, InvalidValue, ValueValidation};
        if matches!(error.kind(), InvalidValue | ValueValidation | InvalidUtf8) {
            let text = error.to_string();
            return Err(text.lines().next().unwrap_or_default().to_string());
        }
    }
    Ok(vec![long.into(), value.into()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn write(text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("redraft-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}.conf", rand::random::<u64>()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_file_sets_flags_and_parameters_below_the_command_line() {
        let path = write(
            "# a node\nport 7001\nraft-addr 127.0.0.1:17001\nmaxclients 50\ninsecure-peers yes\n\
             timeout 30\nhash-max-listpack-entries 9\nappendfsync everysec\nport 7002\n",
        );
        let file = path.display().to_string();
        let cli = load(args(&[
            "redraft",
            "--config",
            &file,
            "--raft-addr",
            "127.0.0.1:17009",
        ]))
        .unwrap();
        assert_eq!(cli.port, 7002, "the later line wins");
        assert_eq!(
            cli.raft_addr.as_deref(),
            Some("127.0.0.1:17009"),
            "the command line wins"
        );
        assert_eq!(cli.max_clients, 50);
        assert!(cli.insecure_peers);
        assert_eq!(cli.fsync, crate::cli::Fsync::Always);
        assert_eq!(cli.file_params, [("timeout".to_string(), "30".to_string())]);
        assert_eq!(
            cli.initial_config,
            [b"hash-max-listpack-entries".to_vec(), b"9".to_vec()]
        );
    }

    #[test]
    fn bad_lines_are_fatal_and_name_the_file_and_line() {
        for (text, why) in [
            (
                "port 1\nnosuch 1\n",
                "Bad directive or wrong number of arguments",
            ),
            ("port 1\nmaxclients x\n", "invalid value"),
            (
                "port 1\ntimeout -1\n",
                "argument must be between 0 and 2147483647 inclusive",
            ),
            (
                "port 1\nhash-max-listpack-value -1\n",
                "argument must be a memory value",
            ),
            (
                "port 1\ninsecure-peers maybe\n",
                "argument must be 'yes' or 'no'",
            ),
            (
                "port 1\nraft-addr\n",
                "Bad directive or wrong number of arguments",
            ),
        ] {
            let path = write(text);
            let file = path.display().to_string();
            let Err(SettingsError::File(message)) = load(args(&["redraft", "--config", &file]))
            else {
                panic!("{text} was accepted");
            };
            assert!(
                message.contains("*** FATAL CONFIG FILE ERROR ***"),
                "{message}"
            );
            assert!(message.contains(&format!("{file}, at line 2")), "{message}");
            assert!(message.contains(why), "{text}: {message}");
        }
    }

    #[test]
    fn every_flag_has_its_environment_variable() {
        let command = command();
        let raft_addr = command
            .get_arguments()
            .find(|arg| arg.get_long() == Some("raft-addr"))
            .unwrap();
        assert_eq!(raft_addr.get_env(), Some(OsStr::new("REDRAFT_RAFT_ADDR")));
        let without: Vec<&str> = command
            .get_arguments()
            .filter(|arg| arg.get_long().is_some() && arg.get_env().is_none())
            .filter_map(|arg| arg.get_long())
            .collect();
        assert!(
            without
                .iter()
                .all(|long| ["help", "version"].contains(long)),
            "{without:?}"
        );
    }
}
