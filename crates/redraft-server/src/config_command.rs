//! CONFIG GET, SET (when it names one of the node's own parameters), REWRITE and HELP, as the
//! session answers them. The replicated parameters live in the engine (its config.rs) and
//! change through the log; the node's own in node_params.rs. See docs/operations.md,
//! Parameters.

use redraft_engine::config::{self as replicated, set_failed, unknown_option};
use redraft_engine::glob::glob_match;
use redraft_engine::Reply;

use crate::cluster::Cluster;
use crate::config_file::{self, Setting};
use crate::node_params::{is_node_param, Checked, NodeParams};
use crate::session::Session;

/// A CONFIG SET checked: the node's values to apply, and the replicated pairs for the log.
struct Plan {
    node: Vec<Checked>,
    replicated: Vec<Vec<u8>>,
}

impl<C: Cluster> Session<C> {
    /// CONFIG GET pattern [pattern ...]: every parameter (the node's and the replicated ones)
    /// whose name matches any pattern, once.
    pub(crate) fn config_get(&self, argv: &[Vec<u8>]) -> Reply {
        let patterns: Vec<Vec<u8>> = argv[2..].iter().map(|p| p.to_ascii_lowercase()).collect();
        let all = self
            .server
            .params
            .matching(b"*")
            .into_iter()
            .chain(self.server.cluster.encoding_config().matching(b"*"));
        let pairs = all
            .filter(|(name, _)| patterns.iter().any(|p| glob_match(p, name.as_bytes())))
            .map(|(name, value)| (Reply::bulk(name), Reply::bulk(value)))
            .collect();
        Reply::Map(pairs)
    }

    /// CONFIG SET naming the node's parameters only, in EXEC's place (routed here only
    /// without a replicated one).
    pub(crate) fn config_set_node(&self, argv: &[Vec<u8>]) -> Reply {
        match self.plan_config_set(&argv[2..]) {
            Ok(plan) if plan.replicated.is_empty() => {
                self.server.params.apply(&plan.node);
                Reply::ok()
            }
            Ok(_) => Reply::error("ERR CONFIG SET of a replicated parameter is not allowed here"),
            Err(refused) => refused,
        }
    }

    /// CONFIG SET naming one of the node's own parameters: every pair is checked first, the
    /// replicated ones (if any) go through the log, and the node's are applied once the log
    /// accepted the rest; a refusal on either side applies nothing.
    pub(crate) async fn config_set(&mut self, argv: &[Vec<u8>]) -> Reply {
        let plan = match self.plan_config_set(&argv[2..]) {
            Ok(plan) => plan,
            Err(refused) => return refused,
        };
        if !plan.replicated.is_empty() {
            let set = argv[..2].iter().cloned().chain(plan.replicated).collect();
            let reply = match self.run_through_log(vec![set]).await {
                Ok(mut replies) => replies.pop().unwrap_or(Reply::Nil),
                Err(error) => return error.reply(),
            };
            if matches!(reply, Reply::Error(_)) {
                return reply;
            }
        }
        self.server.params.apply(&plan.node);
        Reply::ok()
    }

    /// Checks CONFIG SET's pairs in Redis 7.0's order: first every name (unknown, immutable,
    /// repeated), then every value, reporting the first refusal.
    fn plan_config_set(&self, pairs: &[Vec<u8>]) -> Result<Plan, Reply> {
        if !pairs.len().is_multiple_of(2) {
            return Err(redraft_engine::args::syntax_error());
        }
        let names: Vec<&Vec<u8>> = pairs.iter().step_by(2).collect();
        for (i, name) in names.iter().enumerate() {
            if !is_node_param(name) && !replicated::is_replicated(name) {
                return Err(unknown_option(name));
            }
            if let Some(why) = NodeParams::refusal(name) {
                return Err(set_failed(name, why));
            }
            if names[..i]
                .iter()
                .any(|seen| seen.eq_ignore_ascii_case(name))
            {
                return Err(set_failed(name, "duplicate parameter"));
            }
        }
        let mut plan = Plan {
            node: Vec::new(),
            replicated: Vec::new(),
        };
        for pair in pairs.chunks(2) {
            let (name, value) = (&pair[0], &pair[1]);
            if is_node_param(name) {
                let checked = self.server.params.check(name, value);
                plan.node
                    .push(checked.map_err(|why| set_failed(name, &why))?);
            } else {
                replicated::check_value(name, value).map_err(|why| set_failed(name, why))?;
                plan.replicated.extend([name.clone(), value.clone()]);
            }
        }
        Ok(plan)
    }

    /// CONFIG REWRITE: the node's parameters and the replicated ones, as they are now, into
    /// the config file the node started with.
    pub(crate) fn config_rewrite(&self) -> Reply {
        let Some(path) = &self.server.config.config_file else {
            return Reply::error("ERR The server is running without a config file");
        };
        let node = self.server.params.rewritable().into_iter();
        let node = node.map(|(name, value, default)| Setting {
            name,
            alias: None,
            value,
            default,
        });
        let current = self.server.cluster.encoding_config();
        let defaults = replicated::EncodingConfig::default().named_values();
        let shared = current.named_values().into_iter().zip(defaults);
        let shared = shared.map(|((name, alias, value), (_, _, default))| Setting {
            name,
            alias,
            default: value == default,
            value,
        });
        let settings: Vec<Setting> = node.chain(shared).collect();
        match config_file::rewrite(path, &settings) {
            Ok(()) => Reply::ok(),
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "CONFIG REWRITE failed");
                Reply::error(format!("ERR Rewriting config file: {error}"))
            }
        }
    }
}

pub(crate) fn config_help() -> Reply {
    Reply::help(&[
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern> [<pattern> ...]",
        "    The parameters whose names match any glob-style <pattern>, with their values.",
        "SET <parameter> <value> [<parameter> <value> ...]",
        "    Sets every <parameter> to its <value>, or none of them. Replicated parameters",
        "    change on every node (through the log), the node's own on this node.",
        "RESETSTAT",
        "    Zeroes this node's statistics (INFO stats and commandstats).",
        "REWRITE",
        "    Writes this node's parameters into the config file it started with (--config).",
        "HELP",
        "    This text.",
    ])
}
