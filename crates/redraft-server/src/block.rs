//! The session's side of blocking commands (BLPOP, BLMOVE, BZPOPMIN ...; the state machine's
//! side is the engine's `blocking` module): the command goes through the log for this client's
//! waiter id; when it waits, the session waits for the reply an applied entry serves it, or for
//! the client to leave (then the waiter is removed through the log, and whatever an entry
//! served it meanwhile is put back). CLIENT UNBLOCK is here too.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::AsyncReadExt;

use redraft_engine::entry::BLOCKED;
use redraft_engine::{Reply, WaiterId};

use crate::cluster::Cluster;
use crate::delivery::{propose, put_back, Retry};
use crate::session::{ClientSocket, Session};

impl<C: Cluster> Session<C> {
    /// Runs a blocking command: its reply, at once or when an entry serves it, and how long it
    /// waited for that entry.
    pub async fn block(
        &mut self,
        argv: &[Vec<u8>],
        socket: &mut dyn ClientSocket,
        input: &mut BytesMut,
    ) -> (Reply, Duration) {
        let waiting = &self.server.waiting;
        let (id, delivered) = waiting.register(self.server.cluster.node_id(), self.id);
        let reply = match self.run_through_log(vec![id.block(argv)]).await {
            Ok(mut replies) => replies.pop().unwrap_or(Reply::Nil),
            Err(error) => {
                // Unknown outcome (TRYAGAIN): had it registered, it is removed; whatever is
                // served to it meanwhile comes here, to nobody, and is put back.
                self.leave(id);
                return (error.reply(), Duration::ZERO);
            }
        };
        if !matches!(&reply, Reply::Simple(line) if line == BLOCKED) {
            waiting.forget(&id);
            return (reply, Duration::ZERO);
        }
        let mut delivered = delivered;
        let waiting_since = Instant::now();
        let client = self.client.clone();
        let limit = self.server.params.max_query_bytes();
        // A client killed while it waits (CLIENT KILL) leaves as one that closed.
        let gone = async {
            tokio::select! {
                () = client_gone(socket, input, limit) => {}
                () = client.killed() => {}
            }
        };
        let reply = tokio::select! {
            served = &mut delivered => served
                .map_or_else(|_| Reply::error("ERR the wait was dropped"), |served| served.reply),
            () = gone => {
                self.closing = true;
                // A reply may have arrived as the client left: what it took goes back.
                if let Some(undo) = delivered.try_recv().ok().and_then(|served| served.undo) {
                    put_back(self.server.clone(), self.db, undo);
                }
                self.leave(id);
                // Killed, it closes unanswered, as Redis closes it.
                self.control.silent = client.is_killed();
                Reply::NilArray
            }
        };
        (reply, waiting_since.elapsed())
    }

    /// The client left while waiting: its waiter is removed through the log (anything served
    /// to it before that is put back by the delivery router, which finds nobody to hand it to).
    fn leave(&self, id: WaiterId) {
        let server = self.server.clone();
        let db = self.db;
        tokio::spawn(async move {
            propose(
                &server,
                db,
                id.unblock("GONE"),
                Retry::Always,
                "removing a waiter whose client left",
            )
            .await;
            server.waiting.forget(&id);
        });
    }

    /// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: 1 if that client (on this node) was waiting.
    pub async fn client_unblock(&mut self, argv: &[Vec<u8>]) -> Reply {
        let Some(client) = redraft_engine::args::parse_i64(&argv[2]) else {
            return Reply::error("ERR value is not an integer or out of range");
        };
        let how = match argv.get(3).map(|how| how.to_ascii_uppercase()) {
            None => "TIMEOUT",
            Some(how) if how == b"TIMEOUT" => "TIMEOUT",
            Some(how) if how == b"ERROR" => "ERROR",
            Some(_) => return Reply::error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
        };
        let Some(id) = u64::try_from(client)
            .ok()
            .and_then(|c| self.server.waiting.waiter_of(c))
        else {
            return Reply::Integer(0);
        };
        match self.run_through_log(vec![id.unblock(how)]).await {
            Ok(mut replies) => replies.pop().unwrap_or(Reply::Integer(0)),
            Err(error) => error.reply(),
        }
    }
}

/// Resolves when the client closes its connection (or sends past the query bound); what it
/// sends meanwhile stays in `input` for after the wait.
pub(crate) async fn client_gone(
    socket: &mut dyn ClientSocket,
    input: &mut BytesMut,
    max_query_bytes: usize,
) {
    loop {
        match socket.read_buf(input).await {
            Ok(0) | Err(_) => return,
            Ok(_) if input.len() > max_query_bytes => return,
            Ok(_) => continue,
        }
    }
}
