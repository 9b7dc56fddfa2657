//! One client connection: read requests, route each command, answer in order.
//!
//! A pipeline is answered in the order it was sent. Consecutive write commands of a pipeline
//! travel as ONE log entry (applied together, in order, with nothing in between), so a
//! pipeline of N writes costs one round through the log, not N; consecutive reads share one
//! read barrier. A read that follows a write waits for a barrier taken after that write was
//! applied, so it sees the write.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use redraft_engine::{may_wait, resolve, SCRIPT_COMMANDS};
use redraft_engine::{Argv, Kind, ReadContext, Reply, Watched};
use redraft_raft::long_running;

use crate::cluster::{Cluster, RouteError};
use crate::encode::{encode, Protocol};
use crate::frame::{Decoder, ProtocolError};
use crate::server::Server;
use crate::transaction::{argv_bytes, Queueing, Transaction};

/// Most commands taken from one read of the socket before they are executed.
const MAX_BATCH_COMMANDS: usize = 1024;
/// Most commands in one log entry, and most argument bytes (a single larger command still
/// goes alone).
const MAX_RUN_COMMANDS: usize = 256;
const MAX_RUN_BYTES: usize = 4 * 1024 * 1024;

/// Connection state that commands such as SELECT, HELLO and CLIENT SETNAME change.
pub struct Session<C: Cluster> {
    pub server: Arc<Server<C>>,
    pub id: u64,
    pub peer: SocketAddr,
    pub db: u32,
    pub protocol: Protocol,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    /// Set by QUIT: answer, then close.
    pub closing: bool,
    /// Open between MULTI and EXEC or DISCARD.
    pub transaction: Option<Transaction>,
    /// Keys watched by WATCH, until EXEC, DISCARD or UNWATCH.
    pub watched: Vec<Watched>,
}

/// How the session serves one command.
enum Route {
    /// Answered at once without the cluster (unknown command, wrong arity).
    Immediate(Reply),
    /// Answered by the session itself; the command's full name (`client|id`).
    Session(&'static str),
    /// Answered by the server against the cluster (RAFT's subcommands).
    Cluster(&'static str),
    /// MULTI, EXEC, DISCARD, WATCH.
    Transaction(&'static str),
    Read,
    Write,
    /// A command that may wait for data (BLPOP ...): alone through the log, then waiting.
    Block,
}

/// How the session serves `argv`: the table's kind, except that a script that cannot write
/// (EVAL of a `no-writes` script, EVALSHA of a cached one, FCALL of a no-writes function)
/// takes the read path.
fn route<C: Cluster>(cluster: &C, argv: &[Vec<u8>]) -> Route {
    match resolve(argv) {
        Err(reply) => Route::Immediate(reply),
        Ok(spec) => match spec.kind {
            Kind::Session => Route::Session(spec.name),
            Kind::Cluster => Route::Cluster(spec.name),
            Kind::Transaction => Route::Transaction(spec.name),
            // resolve() always descends into a container's subcommand.
            Kind::Container(_) => Route::Immediate(Reply::error(format!(
                "ERR '{}' needs a subcommand",
                spec.name
            ))),
            Kind::Read(_) | Kind::Write(_) if spec.is_blocking() && may_wait(argv) => Route::Block,
            Kind::Read(_) => Route::Read,
            Kind::Write(_)
                if SCRIPT_COMMANDS.contains(&spec.name) && cluster.script_is_read_only(argv) =>
            {
                Route::Read
            }
            Kind::Write(_) => Route::Write,
        },
    }
}

impl<C: Cluster> Session<C> {
    pub fn new(server: Arc<Server<C>>, id: u64, peer: SocketAddr) -> Session<C> {
        Session {
            server,
            id,
            peer,
            db: 0,
            protocol: Protocol::Resp2,
            name: None,
            lib_name: None,
            lib_ver: None,
            closing: false,
            transaction: None,
            watched: Vec::new(),
        }
    }

    /// Serves the connection until the client leaves, sends garbage, or QUITs.
    pub async fn run(mut self, mut socket: TcpStream) {
        let mut decoder = Decoder::new(self.server.config.limits);
        let mut input = BytesMut::with_capacity(16 * 1024);
        let mut output = Vec::with_capacity(16 * 1024);
        loop {
            let (batch, error) = take_batch(&mut input, &mut decoder);
            if batch.is_empty() && error.is_none() {
                if input.len() > self.server.config.max_query_bytes {
                    let error = ProtocolError("query buffer limit exceeded".into());
                    let _ = socket.write_all(&error_line(&error)).await;
                    return;
                }
                match socket.read_buf(&mut input).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
            for reply in self.execute(batch, &mut socket, &mut input).await {
                encode(&reply, self.protocol, &mut output);
            }
            if let Some(error) = &error {
                output.extend_from_slice(&error_line(error));
            }
            if socket.write_all(&output).await.is_err() {
                return;
            }
            output.clear();
            if self.closing || error.is_some() {
                let _ = socket.shutdown().await;
                return;
            }
        }
    }

    /// Executes a pipeline of commands; one reply per command executed, in order. Stops
    /// early only after QUIT, or when the client leaves while a command waits (`socket` and
    /// `input` are watched then, keeping what the client sends meanwhile).
    pub async fn execute(
        &mut self,
        batch: Vec<Argv>,
        socket: &mut TcpStream,
        input: &mut BytesMut,
    ) -> Vec<Reply> {
        let mut replies = Vec::with_capacity(batch.len());
        let mut pending = batch.into_iter().peekable();
        while let Some(argv) = pending.next() {
            self.server.stats.count_command();
            let routed = route(&self.server.cluster, &argv);
            if let Some(transaction) = self.transaction.as_mut() {
                if let Some(queueing) = queueing(&routed) {
                    replies.push(transaction.queue(argv, queueing));
                    continue;
                }
            }
            match routed {
                Route::Immediate(reply) => replies.push(reply),
                Route::Transaction(name) => {
                    replies.push(self.transaction_command(name, &argv).await)
                }
                Route::Cluster(name) => replies.push(self.raft_command(name, &argv).await),
                Route::Session("client|unblock") => replies.push(self.client_unblock(&argv).await),
                Route::Session(name) => {
                    replies.push(self.session_command(name, &argv));
                    if self.closing {
                        break;
                    }
                }
                Route::Block => {
                    replies.push(self.block(argv, socket, input).await);
                    if self.closing {
                        break;
                    }
                }
                Route::Write => {
                    let mut run = vec![argv];
                    let mut bytes = argv_bytes(&run[0]);
                    while let Some(next) = pending.next_if(|next| {
                        run.len() < MAX_RUN_COMMANDS
                            && bytes + argv_bytes(next) <= MAX_RUN_BYTES
                            && matches!(route(&self.server.cluster, next), Route::Write)
                    }) {
                        bytes += argv_bytes(&next);
                        run.push(next);
                    }
                    replies.extend(self.write_run(run).await);
                }
                Route::Read => {
                    let mut run = vec![argv];
                    while let Some(next) = pending
                        .next_if(|next| matches!(route(&self.server.cluster, next), Route::Read))
                    {
                        run.push(next);
                    }
                    replies.extend(self.read_run(&run).await);
                }
            }
        }
        replies
    }

    async fn write_run(&self, run: Vec<Argv>) -> Vec<Reply> {
        let count = run.len();
        self.run_through_log(run)
            .await
            .unwrap_or_else(|error| vec![error.reply(); count])
    }

    /// Sends `run` through the log (one entry, nothing between its commands): one reply per
    /// command, or the error that stopped it.
    pub(crate) async fn run_through_log(&self, run: Vec<Argv>) -> Result<Vec<Reply>, RouteError> {
        if run.is_empty() {
            return Ok(Vec::new());
        }
        let count = run.len();
        let replies = self.server.cluster.write(self.db, run).await?;
        if replies.len() == count {
            return Ok(replies);
        }
        // The replies may come from the leader over the network: a peer that answers with the
        // wrong count is a fault to report, not a reason to crash this node.
        tracing::error!(
            expected = count,
            got = replies.len(),
            "reply count mismatch"
        );
        Err(RouteError::TryAgain(
            "the leader answered with the wrong number of replies".into(),
        ))
    }

    async fn read_run(&self, run: &[Argv]) -> Vec<Reply> {
        let context = match self.server.cluster.read_barrier().await {
            Ok(context) => context,
            Err(error) => return vec![error.reply(); run.len()],
        };
        run.iter()
            .map(|argv| {
                let context = ReadContext {
                    seed: rand::random(),
                    ..context
                };
                if is_script(argv) {
                    return self.read_script(argv, context);
                }
                self.server.cluster.read(self.db, argv, context)
            })
            .collect()
    }

    /// A read-only script, stoppable by SCRIPT KILL, run where it cannot hold up other tasks.
    fn read_script(&self, argv: &[Vec<u8>], context: ReadContext) -> Reply {
        let running = self.server.scripts.start();
        let kill = running.kill.clone();
        long_running(|| {
            self.server
                .cluster
                .read_script(self.db, argv, context, kill)
        })
    }
}

fn is_script(argv: &[Vec<u8>]) -> bool {
    resolve(argv).is_ok_and(|spec| SCRIPT_COMMANDS.contains(&spec.name))
}

/// What an open transaction does with a command; None: it runs now (MULTI, EXEC, DISCARD and
/// QUIT, as in Redis).
fn queueing(route: &Route) -> Option<Queueing> {
    match route {
        Route::Transaction(_) | Route::Session("quit") => None,
        Route::Immediate(reply) => Some(Queueing::Refused(reply.clone())),
        // Inside a transaction a blocking command does not wait (Redis's rule).
        Route::Read | Route::Write | Route::Block => Some(Queueing::Keyspace),
        Route::Session("select" | "hello" | "client|unblock") | Route::Cluster(_) => {
            Some(Queueing::NotAllowed)
        }
        Route::Session(name) => Some(Queueing::Local(name)),
    }
}

/// Takes up to [`MAX_BATCH_COMMANDS`] whole commands off the input, and the protocol error
/// that stopped parsing, if any (the commands before it are still executed, as in Redis).
fn take_batch(input: &mut BytesMut, decoder: &mut Decoder) -> (Vec<Argv>, Option<ProtocolError>) {
    let mut batch = Vec::new();
    while batch.len() < MAX_BATCH_COMMANDS {
        match decoder.next_command(input) {
            Ok(Some(argv)) => batch.push(argv),
            Ok(None) => break,
            Err(error) => return (batch, Some(error)),
        }
    }
    (batch, None)
}

fn error_line(error: &ProtocolError) -> Vec<u8> {
    format!("-ERR {error}\r\n").into_bytes()
}
