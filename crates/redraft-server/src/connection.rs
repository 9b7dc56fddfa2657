//! Commands a session answers itself: connection state (PING ECHO HELLO QUIT SELECT CLIENT)
//! and server information (COMMAND INFO CONFIG TIME SLOWLOG LATENCY). None of them touches the
//! keyspace.

use std::time::{SystemTime, UNIX_EPOCH};

use redraft_engine::args::{db_index, parse_i64};
use redraft_engine::Reply;

use crate::cluster::Cluster;
use crate::encode::Protocol;
use crate::info::{self, REDIS_VERSION};
use crate::session::Session;

impl<C: Cluster> Session<C> {
    pub fn session_command(&mut self, name: &str, argv: &[Vec<u8>]) -> Reply {
        match name {
            "ping" if self.protocol == Protocol::Resp2 && self.subscribed() => {
                subscribed_ping(argv)
            }
            "ping" => ping(argv),
            "echo" => Reply::bulk(argv[1].clone()),
            "quit" => {
                self.closing = true;
                Reply::ok()
            }
            "select" => self.select(argv),
            "hello" => self.hello(argv),
            "client|id" => Reply::Integer(self.id as i64),
            "acl|whoami" => self.acl_whoami(),
            "acl|log" => self.acl_log(argv),
            "acl|genpass" => redraft_engine::acl_genpass(argv, &mut |bytes| {
                rand::RngCore::fill_bytes(&mut rand::rng(), bytes)
            }),
            "client|tracking" => self.client_tracking(argv),
            "client|caching" => self.client_caching(argv),
            "client|getredir" => self.client_getredir(),
            "client|trackinginfo" => self.client_trackinginfo(),
            "client|getname" => self.name.clone().map(Reply::Bulk).unwrap_or(Reply::Nil),
            "client|setname" => self.client_setname(&argv[2]),
            "client|setinfo" => self.client_setinfo(&argv[2], &argv[3]),
            "client|info" => Reply::bulk(self.client_line() + "\n"),
            "client|list" => self.client_list(argv),
            "client|kill" => self.client_kill(argv),
            "client|pause" => self.client_pause(argv),
            "client|unpause" => self.client_unpause(),
            "client|reply" => self.client_reply(&argv[2]),
            "client|no-evict" | "client|no-touch" => self.client_switch(name, &argv[2]),
            "monitor" => self.monitor(),
            "lastsave" => self.lastsave(),
            "bgsave" => self.bgsave(argv),
            "debug|help"
            | "debug|protocol"
            | "debug|set-active-expire"
            | "debug|quicklist-packed-threshold"
            | "debug|change-repl-id" => self.debug_command(name, argv),
            "command" => redraft_engine::introspect::command(argv),
            "info" => info::reply(self, argv),
            "config|get" => self.config_get(argv),
            "config|set" => self.config_set_node(argv),
            "config|rewrite" => self.config_rewrite(),
            "config|help" => crate::config_command::config_help(),
            "config|resetstat" => {
                self.server.stats.reset();
                self.server.command_stats.reset();
                Reply::ok()
            }
            "slowlog|get" => self.server.slowlog.get(argv.get(2).map(Vec::as_slice)),
            "slowlog|len" => Reply::Integer(self.server.slowlog.len() as i64),
            "slowlog|reset" => {
                self.server.slowlog.reset();
                Reply::ok()
            }
            "slowlog|help" => slowlog_help(),
            "latency|latest" => self.server.latency.latest(),
            "latency|history" => self.server.latency.history(&argv[2]),
            "latency|reset" => self.server.latency.reset(&argv[2..]),
            "latency|doctor" => {
                let threshold = self.server.params.latency_monitor_threshold_ms();
                self.server.latency.doctor(threshold.unwrap_or(0))
            }
            "latency|histogram" => self.server.command_stats.histograms(&argv[2..]),
            "latency|help" => latency_help(),
            "raft|help" => crate::admin::raft_help(),
            "memory|stats" => crate::memory::stats(self.server.cluster.dataset()),
            "memory|doctor" => crate::memory::doctor(self.server.cluster.dataset()),
            "memory|malloc-stats" => Reply::bulk(crate::allocator::report()),
            "memory|purge" => {
                crate::allocator::purge();
                Reply::ok()
            }
            "time" => time(),
            "script|kill" | "function|kill" => match self.server.scripts.kill_all() {
                true => Reply::ok(),
                false => Reply::error("NOTBUSY No scripts in execution right now."),
            },
            "unwatch" => {
                self.watched.clear();
                Reply::ok()
            }
            other => Reply::error(format!("ERR '{other}' is not served by sessions")),
        }
    }

    /// SELECT index, with Redis 7.0's errors (args::db_index, shared with MOVE and COPY).
    fn select(&mut self, argv: &[Vec<u8>]) -> Reply {
        match db_index(&argv[1], self.server.config.databases) {
            Err(refused) => refused,
            Ok(db) => {
                self.db = db as u32;
                Reply::ok()
            }
        }
    }

    /// HELLO [protover [AUTH username password] [SETNAME clientname]]
    fn hello(&mut self, argv: &[Vec<u8>]) -> Reply {
        let mut protocol = self.protocol;
        if let Some(version) = argv.get(1) {
            protocol = match parse_i64(version) {
                None => {
                    return Reply::error("ERR Protocol version is not an integer or out of range")
                }
                Some(2) => Protocol::Resp2,
                Some(3) => Protocol::Resp3,
                Some(_) => return Reply::error("NOPROTO unsupported protocol version"),
            };
        }
        let mut name = None;
        let mut i = 2;
        while i < argv.len() {
            let option = argv[i].to_ascii_uppercase();
            let left = argv.len() - i - 1;
            if option == b"AUTH" && left >= 2 {
                // Authenticated before (Session::hello_authenticated), as HELLO's first step.
                i += 3;
            } else if option == b"SETNAME" && left >= 1 {
                if !valid_client_name(&argv[i + 1]) {
                    return invalid_client_name();
                }
                name = Some(argv[i + 1].clone());
                i += 2;
            } else {
                return Reply::error(format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(&argv[i])
                ));
            }
        }
        self.protocol = protocol;
        self.protocol_changed();
        if name.is_some() {
            self.name = name;
        }
        let version = if protocol == Protocol::Resp3 { 3 } else { 2 };
        Reply::Map(vec![
            (Reply::bulk("server"), Reply::bulk("redis")),
            (Reply::bulk("version"), Reply::bulk(REDIS_VERSION)),
            (Reply::bulk("proto"), Reply::Integer(version)),
            (Reply::bulk("id"), Reply::Integer(self.id as i64)),
            (Reply::bulk("mode"), Reply::bulk("standalone")),
            (Reply::bulk("role"), Reply::bulk("master")),
            (Reply::bulk("modules"), Reply::Array(Vec::new())),
        ])
    }

    fn client_setname(&mut self, name: &[u8]) -> Reply {
        if !valid_client_name(name) {
            return invalid_client_name();
        }
        self.name = (!name.is_empty()).then(|| name.to_vec());
        Reply::ok()
    }

    fn client_setinfo(&mut self, attribute: &[u8], value: &[u8]) -> Reply {
        if !valid_client_name(value) {
            return Reply::error(format!(
                "ERR {} cannot contain spaces, newlines or special characters.",
                String::from_utf8_lossy(attribute).to_ascii_lowercase()
            ));
        }
        match attribute.to_ascii_lowercase().as_slice() {
            b"lib-name" => self.lib_name = Some(value.to_vec()),
            b"lib-ver" => self.lib_ver = Some(value.to_vec()),
            _ => {
                return Reply::error(format!(
                    "ERR Unrecognized option '{}'",
                    String::from_utf8_lossy(attribute)
                ))
            }
        }
        Reply::ok()
    }
}

fn ping(argv: &[Vec<u8>]) -> Reply {
    match argv.len() {
        1 => Reply::Simple("PONG".into()),
        2 => Reply::bulk(argv[1].clone()),
        _ => Reply::error("ERR wrong number of arguments for 'ping' command"),
    }
}

/// PING in RESP2's subscribed mode: a `pong` frame and the argument (empty without one).
fn subscribed_ping(argv: &[Vec<u8>]) -> Reply {
    match argv.len() {
        1 | 2 => Reply::Array(vec![
            Reply::bulk("pong"),
            Reply::bulk(argv.get(1).cloned().unwrap_or_default()),
        ]),
        _ => Reply::error("ERR wrong number of arguments for 'ping' command"),
    }
}

fn slowlog_help() -> Reply {
    Reply::help(&[
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    The newest <count> entries of this node's slow log (10 without <count>, all with -1).",
        "    Each entry: id, unix time, duration in microseconds, arguments, client address,",
        "    client name.",
        "LEN",
        "    How many entries this node's slow log holds.",
        "RESET",
        "    Empties this node's slow log.",
        "HELP",
        "    This text.",
    ])
}

fn latency_help() -> Reply {
    Reply::help(&[
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    A report in words on this node's latency events.",
        "HISTORY <event>",
        "    The samples of <event> kept on this node: unix time and milliseconds.",
        "LATEST",
        "    For each event: its latest sample's time and milliseconds, and its worst.",
        "RESET [<event> ...]",
        "    Forgets the samples of the events named, or of every event.",
        "HISTOGRAM [<command> ...]",
        "    Calls and cumulative latency buckets (microseconds) of the commands named, or of",
        "    every command called on this node.",
        "HELP",
        "    This text.",
    ])
}

fn time() -> Reply {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Reply::Array(vec![
        Reply::bulk(now.as_secs().to_string()),
        Reply::bulk(now.subsec_micros().to_string()),
    ])
}

fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|b| (b'!'..=b'~').contains(b))
}

fn invalid_client_name() -> Reply {
    Reply::error("ERR Client names cannot contain spaces, newlines or special characters.")
}
