//! The node's ACL file (`--aclfile`): ACL LOAD reads it and puts its text in the log, where
//! every replica replaces its users with the file's, all or nothing (the engine's `acl-load`);
//! ACL SAVE writes the replicated users to it, atomically. A node started with a file loads it
//! once, when the cluster's users are still as a new cluster starts (docs/security.md).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use redraft_engine::{Argv, Reply, ACL_LOAD_COMMAND, ACL_LOAD_INITIAL};

use crate::cluster::Cluster;
use crate::delivery::{propose, Retry};
use crate::server::Server;
use crate::session::Session;

/// The largest ACL file a node reads: its text travels in one log entry.
pub const MAX_ACL_FILE_BYTES: u64 = 4 << 20;

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You \
    may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE \
    (assuming you have a Redis configuration file set) in order to store users in the Redis \
    configuration.";
const SAVE_FAILED: &str =
    "ERR There was an error trying to save the ACLs. Please check the server logs for more information";

/// The file's text, or why it cannot be read, in Redis's words.
pub async fn read_acl_file(path: &Path) -> Result<Vec<u8>, String> {
    let opening = |error: std::io::Error| {
        format!(
            "Error loading ACLs, opening file '{}': {}",
            path.display(),
            strerror(&error)
        )
    };
    let size = tokio::fs::metadata(path).await.map_err(opening)?.len();
    if size > MAX_ACL_FILE_BYTES {
        return Err(format!(
            "Error loading ACLs, the file '{}' is larger than {} MiB",
            path.display(),
            MAX_ACL_FILE_BYTES >> 20
        ));
    }
    tokio::fs::read(path).await.map_err(opening)
}

/// An I/O error as C's strerror says it (what Redis prints), without Rust's "(os error N)".
fn strerror(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The `acl-load` command that carries `content`, read from `path`.
fn load_command(path: &Path, content: Vec<u8>) -> Argv {
    let name = path.display().to_string().into_bytes();
    vec![ACL_LOAD_COMMAND.as_bytes().to_vec(), name, content]
}

impl<C: Cluster> Session<C> {
    /// ACL LOAD: the node's file through the log; Redis's error when it has none, cannot read
    /// it, or the file is wrong (then nothing changes).
    pub async fn acl_load(&self) -> Reply {
        let Some(path) = self.server.config.aclfile.clone() else {
            return Reply::error(NO_ACL_FILE);
        };
        let content = match read_acl_file(&path).await {
            Ok(content) => content,
            Err(error) => return Reply::error(format!("ERR {error}")),
        };
        match self
            .run_through_log(vec![load_command(&path, content)])
            .await
        {
            Ok(mut replies) => replies.pop().unwrap_or_else(Reply::ok),
            Err(error) => error.reply(),
        }
    }

    /// ACL SAVE: the users as of now (after a read barrier) into the node's file, replaced
    /// atomically and durably.
    pub async fn acl_save(&self) -> Reply {
        let Some(path) = self.server.config.aclfile.clone() else {
            return Reply::error(NO_ACL_FILE);
        };
        if let Err(error) = self.server.cluster.read_barrier().await {
            return error.reply();
        }
        let content = self.server.cluster.access().acl_file();
        let written =
            tokio::task::spawn_blocking(move || redraft_raft::atomic_write(&path, &content, true))
                .await;
        match written {
            Ok(Ok(())) => Reply::ok(),
            Ok(Err(error)) => {
                tracing::warn!(%error, "ACL SAVE failed");
                Reply::error(SAVE_FAILED)
            }
            Err(error) => {
                tracing::warn!(%error, "ACL SAVE failed");
                Reply::error(SAVE_FAILED)
            }
        }
    }
}

/// At start with an ACL file: proposes it as the cluster's users, applied only if they are
/// still as a new cluster starts (the first node to get there wins; a restart changes
/// nothing). Retried until the cluster takes it (bounded by `propose`).
pub fn load_at_start<C: Cluster>(server: Arc<Server<C>>, path: &Path, content: Vec<u8>) {
    let mut argv = load_command(path, content);
    argv.push(ACL_LOAD_INITIAL.as_bytes().to_vec());
    tokio::spawn(async move {
        // Let the node find its cluster before the first try.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let what = "loading the ACL file at start";
        propose(&server, 0, argv, Retry::Always, what).await;
    });
}
