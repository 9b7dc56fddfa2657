//! Whether a user may run a command: Redis 7.0's ACLCheckAllUserCommandPerm. Each selector
//! checks the command, then its keys, then its channels; the command runs if one selector
//! allows all three. Otherwise the error reported is the gravest any selector met (a channel
//! over a key over the command), the last argument among equals.

use super::selector::Selector;
use super::user::User;
use crate::glob::glob_match;
use crate::reply::Reply;

/// A command call as the check sees it.
pub struct Call<'a> {
    /// The command's name, `container|sub` for a subcommand.
    pub name: &'a str,
    /// Its first argument, for rules such as `+select|0`.
    pub first_arg: Option<&'a [u8]>,
    /// The keys it names, and whether it writes them (else it reads them).
    pub keys: Vec<&'a [u8]>,
    pub writes: bool,
    /// The channels it publishes or subscribes to, and whether they are patterns.
    pub channels: Vec<&'a [u8]>,
    pub channel_patterns: bool,
}

/// Why a call was refused, and the argument that no selector allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied<'a> {
    Command,
    Key(usize, &'a [u8]),
    Channel(usize, &'a [u8]),
}

impl Denied<'_> {
    /// The error a client gets (Redis 7.0's processCommand).
    pub fn noperm(&self, command: &str) -> Reply {
        Reply::error(match self {
            Denied::Command => {
                format!("NOPERM this user has no permissions to run the '{command}' command")
            }
            Denied::Key(..) => {
                "NOPERM this user has no permissions to access one of the keys used as arguments"
                    .to_string()
            }
            Denied::Channel(..) => "NOPERM this user has no permissions to access one of the channels used as arguments".to_string(),
        })
    }

    /// ACL DRYRUN's answer, which names the argument.
    pub fn explained(&self, command: &str) -> String {
        let show = |arg: &[u8]| String::from_utf8_lossy(arg).into_owned();
        match self {
            Denied::Command => {
                format!("This user has no permissions to run the '{command}' command")
            }
            Denied::Key(_, key) => format!(
                "This user has no permissions to access the '{}' key",
                show(key)
            ),
            Denied::Channel(_, channel) => format!(
                "This user has no permissions to access the '{}' channel",
                show(channel)
            ),
        }
    }
}

/// Whether `user` may make `call`.
pub fn check<'a>(user: &User, call: &Call<'a>) -> Result<(), Denied<'a>> {
    let mut gravest = Denied::Command;
    for selector in user.all_selectors() {
        match check_selector(selector, call) {
            Ok(()) => return Ok(()),
            Err(denied) => gravest = gravest.max(denied),
        }
    }
    Err(gravest)
}

fn check_selector<'a>(selector: &Selector, call: &Call<'a>) -> Result<(), Denied<'a>> {
    if !selector.commands.allows_call(call.name, call.first_arg) {
        return Err(Denied::Command);
    }
    if !selector.all_keys {
        for (at, key) in call.keys.iter().enumerate() {
            if !key_allowed(selector, key, call.writes) {
                return Err(Denied::Key(at, key));
            }
        }
    }
    if !selector.all_channels {
        for (at, channel) in call.channels.iter().enumerate() {
            if !channel_allowed(selector, channel, call.channel_patterns) {
                return Err(Denied::Channel(at, channel));
            }
        }
    }
    Ok(())
}

fn key_allowed(selector: &Selector, key: &[u8], writes: bool) -> bool {
    selector.keys.iter().any(|allowed| {
        let permitted = if writes { allowed.write } else { allowed.read };
        permitted && glob_match(&allowed.pattern, key)
    })
}

/// A channel matches an allowed pattern; a pattern subscribed to (PSUBSCRIBE) must be one of
/// the allowed patterns, literally, as Redis checks it.
fn channel_allowed(selector: &Selector, channel: &[u8], is_pattern: bool) -> bool {
    selector.channels.iter().any(|allowed| match is_pattern {
        true => allowed == channel,
        false => glob_match(allowed, channel),
    })
}

/// The channels a command publishes or subscribes to, and whether they are patterns (Redis
/// checks those; the unsubscribe commands and PUBSUB's are free).
pub fn channels_of<'a>(name: &str, argv: &'a [Vec<u8>]) -> (Vec<&'a [u8]>, bool) {
    let from = |at: usize| argv.iter().skip(at).map(Vec::as_slice).collect();
    match name {
        "publish" | "spublish" => (argv.get(1).map(Vec::as_slice).into_iter().collect(), false),
        "subscribe" | "ssubscribe" => (from(1), false),
        "psubscribe" => (from(1), true),
        _ => (Vec::new(), false),
    }
}
