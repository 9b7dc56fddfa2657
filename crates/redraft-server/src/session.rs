//! One client connection: read requests, route each command, answer in order.
//!
//! A pipeline is answered in the order it was sent. Consecutive write commands of a pipeline
//! travel as ONE log entry (applied together, in order, with nothing in between), so a
//! pipeline of N writes costs one round through the log, not N; consecutive reads share one
//! read barrier. A read that follows a write waits for a barrier taken after that write was
//! applied, so it sees the write.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use redraft_engine::entry::TRANSACTION_COMMAND;
use redraft_engine::table::named;
use redraft_engine::{as_user, Argv, CommandSpec, Kind, ReadContext, Reply, Watched};
use redraft_engine::{may_wait, resolve, SCRIPT_COMMANDS, SUBSCRIPTION_COMMANDS};
use redraft_raft::long_running;
// Most commands in one log entry, and most argument bytes (a single larger command still goes
// alone): what a node accepts from a peer too.
use redraft_raft::{MAX_RUN_BYTES, MAX_RUN_COMMANDS};

use crate::auth::exec_abort;
use crate::block::client_gone;
use crate::caching::CachingOptions;
use crate::clients::{Client, Control, Marks};
use crate::cluster::{Cluster, RouteError};
use crate::debug::sleep_duration;
use crate::encode::{encode, Protocol};
use crate::frame::{Decoder, ProtocolError};
use crate::logins::Login;
use crate::node_params::is_node_param;
use crate::observe::Args;
use crate::outbox::Outbox;
use crate::server::Server;
use crate::subscribe::{allowed_when_subscribed, refused_when_subscribed};
use crate::transaction::{argv_bytes, Queueing, Transaction};

/// What a session talks to its client over: a TCP socket, or a TLS stream over one.
pub trait ClientSocket: AsyncRead + AsyncWrite + Unpin + Send {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> ClientSocket for S {}

/// Most commands taken from one read of the socket before they are executed.
const MAX_BATCH_COMMANDS: usize = 1024;

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
    /// Where this node pushes pub/sub messages to this client, once it used a subscription
    /// command.
    pub outbox: Option<Arc<Outbox>>,
    /// The number of this connection's last subscription request.
    pub subscription_seq: u64,
    /// Bytes of pushed frames taken from the outbox and not yet written to the socket.
    pub pushed_unwritten: usize,
    /// CLIENT TRACKING's OPTIN / OPTOUT and CLIENT CACHING.
    pub caching_options: CachingOptions,
    /// The user this connection runs as; None until it authenticates, when the default user
    /// needs a password.
    pub user: Option<Vec<u8>>,
    /// Failed AUTH attempts on this connection (each makes the next answer slower).
    pub failed_auths: u32,
    /// This connection's login as `user`, which the log may revoke (see logins.rs).
    pub login: Option<Login>,
    /// This connection in the node's registry (CLIENT LIST, CLIENT KILL; clients.rs).
    pub client: Arc<Client>,
    /// CLIENT REPLY, NO-EVICT, NO-TOUCH and MONITOR's switches.
    pub control: Control,
}

/// How the session serves one command.
pub(crate) enum Route {
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
    /// The connection's user was deleted (or replaced by ACL LOAD): it closes, unanswered.
    Revoked,
    /// EXEC refused (NOAUTH, NOPERM): the transaction is discarded and the refusal answered
    /// as EXECABORT, as Redis's rejectCommand does for EXEC, in MULTI or not.
    ExecRefused(Reply),
}

/// How the session serves `argv`: the table's kind, except that a script that cannot write
/// (EVAL of a `no-writes` script, EVALSHA of a cached one, FCALL of a no-writes function)
/// takes the read path.
fn route<C: Cluster>(cluster: &C, spec: &'static CommandSpec, argv: &[Vec<u8>]) -> Route {
    match spec.kind {
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
        // A CONFIG SET that names one of the node's own parameters is the session's (it sends
        // the replicated ones, if any, through the log itself).
        Kind::Write(_) if spec.name == "config|set" && names_node_param(argv) => {
            Route::Session("config|set")
        }
        Kind::Write(_)
            if SCRIPT_COMMANDS.contains(&spec.name) && cluster.script_is_read_only(argv) =>
        {
            Route::Read
        }
        Kind::Write(_) => Route::Write,
    }
}

impl<C: Cluster> Session<C> {
    pub fn new(server: Arc<Server<C>>, client: Arc<Client>) -> Session<C> {
        Session {
            server,
            id: client.id,
            peer: client.addr,
            db: 0,
            protocol: Protocol::Resp2,
            name: None,
            lib_name: None,
            lib_ver: None,
            closing: false,
            transaction: None,
            watched: Vec::new(),
            outbox: None,
            subscription_seq: 0,
            pushed_unwritten: 0,
            caching_options: CachingOptions::default(),
            user: None,
            failed_auths: 0,
            login: None,
            client,
            control: Control::default(),
        }
    }

    /// Serves the connection until the client leaves, sends garbage, or QUITs.
    pub async fn run(mut self, mut socket: impl ClientSocket) {
        if !self
            .server
            .cluster
            .access()
            .default_user_requires_password()
        {
            self.user = Some(crate::auth::DEFAULT_USER.to_vec());
        }
        self.serve(&mut socket).await;
        self.stop_tracking();
        self.leave_pubsub();
    }

    async fn serve(&mut self, socket: &mut dyn ClientSocket) {
        let mut decoder = Decoder::new(self.server.config.limits);
        let mut input = BytesMut::with_capacity(16 * 1024);
        let mut output = Vec::with_capacity(16 * 1024);
        loop {
            decoder.set_max_bulk_bytes(self.server.params.max_bulk_bytes());
            let (batch, error) = take_batch(&mut input, &mut decoder);
            if batch.is_empty() && error.is_none() {
                if input.len() > self.server.params.max_query_bytes() {
                    let error = ProtocolError("query buffer limit exceeded".into());
                    let _ = socket.write_all(&error_line(&error)).await;
                    return;
                }
                match self.wait_for_input(socket, &mut input).await {
                    Input::More => continue,
                    Input::Pushed => {}
                    Input::Closed => return,
                }
            }
            for reply in self.execute(batch, socket, &mut input).await {
                encode(&reply, self.protocol, &mut output);
            }
            if let Some(error) = &error {
                output.extend_from_slice(&error_line(error));
            }
            // Messages pushed meanwhile follow the replies.
            for frame in self.take_pushes() {
                encode(&frame, self.protocol, &mut output);
            }
            if self.write_out(socket, &output).await.is_err() {
                return;
            }
            output.clear();
            if self.closing || error.is_some() {
                let _ = socket.shutdown().await;
                return;
            }
        }
    }

    /// Waits for the client to send more, or, for a subscriber, for frames to push.
    /// A connection whose login the log revokes meanwhile is closed, and so is one idle for
    /// longer than `timeout` (not a subscriber's or a MONITOR's, which wait on their outbox,
    /// nor a blocked client's, which waits elsewhere: Redis's exceptions).
    async fn wait_for_input(&self, socket: &mut dyn ClientSocket, input: &mut BytesMut) -> Input {
        let revoked = self.ended();
        let Some(outbox) = self.outbox.clone() else {
            let idle = self.server.params.idle_timeout();
            let idle_out = async {
                match idle {
                    Some(idle) => tokio::time::sleep(idle).await,
                    None => std::future::pending().await,
                }
            };
            return tokio::select! {
                read = socket.read_buf(input) => match read {
                    Ok(0) | Err(_) => Input::Closed,
                    Ok(_) => Input::More,
                },
                () = revoked => Input::Closed,
                () = idle_out => {
                    tracing::debug!(client = self.id, "closing an idle client (timeout)");
                    Input::Closed
                }
            };
        };
        if outbox.has_frames() || outbox.closed().is_some() {
            return Input::Pushed;
        }
        tokio::select! {
            read = socket.read_buf(input) => match read {
                Ok(0) | Err(_) => Input::Closed,
                Ok(_) => Input::More,
            },
            () = outbox.changed() => Input::Pushed,
        }
    }

    /// Writes `output`; for a subscriber, gives up when its outbox is closed meanwhile (past
    /// its output limit, or cut off from the cluster) rather than wait on a client that does
    /// not read.
    async fn write_out(
        &mut self,
        socket: &mut dyn ClientSocket,
        output: &[u8],
    ) -> std::io::Result<()> {
        let outbox = self.outbox.clone();
        let closed = |why: &str| std::io::Error::other(why.to_string());
        if let Some(why) = outbox.as_ref().and_then(|outbox| outbox.closed()) {
            tracing::info!(client = self.id, why, "disconnecting a subscriber");
            return Err(closed(why));
        }
        let Some(outbox) = outbox else {
            socket.write_all(output).await?;
            // TLS holds what it encrypted until flushed (plain TCP has nothing to flush).
            return socket.flush().await;
        };
        let mut rest = output;
        while !rest.is_empty() {
            // `write` is cancel-safe: a wake-up for new frames loses nothing.
            let written = tokio::select! {
                written = socket.write(rest) => written?,
                () = outbox.changed() => match outbox.closed() {
                    Some(why) => return Err(closed(why)),
                    None => continue,
                },
            };
            if written == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            rest = &rest[written..];
        }
        // TLS may still hold what `write` took: flushing it waits on the client as writing
        // does, so it gives up the same way.
        loop {
            tokio::select! {
                flushed = socket.flush() => break flushed?,
                () = outbox.changed() => if let Some(why) = outbox.closed() {
                    return Err(closed(why));
                },
            }
        }
        outbox.written(std::mem::take(&mut self.pushed_unwritten));
        Ok(())
    }

    /// Executes a pipeline of commands; one reply per command executed, in order. Stops
    /// early only after QUIT, or when the client leaves while a command waits (`socket` and
    /// `input` are watched then, keeping what the client sends meanwhile).
    pub async fn execute(
        &mut self,
        batch: Vec<Argv>,
        socket: &mut dyn ClientSocket,
        input: &mut BytesMut,
    ) -> Vec<Reply> {
        let mut replies = Vec::with_capacity(batch.len());
        let mut timing = self.server.command_metrics.time(&batch);
        let mut pending = batch.into_iter().peekable();
        let mut marks = Marks::default();
        while let Some(argv) = pending.next() {
            timing.mark(pending.len() + 1, &replies);
            let (spec, routed) = self.route(&argv);
            self.begin_command(&argv, spec, &routed, &mut replies, &mut marks)
                .await;
            let started = Instant::now();
            // CLIENT CACHING speaks for the next command that is not a CLIENT command (and
            // stays set while a transaction queues, as in Redis).
            let caching = match &routed {
                _ if self.transaction.is_some() => None,
                Route::Session(name) if name.starts_with("client|") => None,
                _ => self.caching_options.caching.take(),
            };
            if let Some(transaction) = self.transaction.as_mut() {
                if let Some(queueing) = queueing(&routed, &argv) {
                    let reply = transaction.queue(argv, queueing);
                    if matches!(reply, Reply::Error(_)) {
                        self.observe_refused(spec, &reply);
                    }
                    replies.push(reply);
                    continue;
                }
            }
            // Time spent waiting for data (BLPOP ...) or replicas (WAIT), not counted.
            let mut waited = Duration::ZERO;
            let reply = match routed {
                Route::Immediate(reply) => {
                    self.observe_refused(spec, &reply);
                    replies.push(reply);
                    continue;
                }
                Route::Transaction(name) => self.transaction_command(name, &argv).await,
                Route::Cluster(name) => self.raft_command(name, &argv).await,
                Route::Session("client|unblock") => self.client_unblock(&argv).await,
                Route::Revoked => {
                    self.closing = true;
                    break;
                }
                Route::ExecRefused(reply) => {
                    self.transaction = None;
                    self.watched.clear();
                    self.observe_refused(spec, &reply);
                    replies.push(reply);
                    continue;
                }
                Route::Session("auth") => self.auth(&argv).await,
                Route::Session("reset") => self.reset().await,
                Route::Session("role") => self.role().await,
                Route::Session("acl|load") => self.acl_load().await,
                Route::Session("acl|save") => self.acl_save().await,
                Route::Session("hello") if self.transaction.is_none() => {
                    self.hello_authenticated(&argv).await
                }
                Route::Session("config|set") => self.config_set(&argv).await,
                // The replicated parameters as of a barrier, so that a CONFIG SET through the
                // log is seen here (without a leader, the replica's values as they are).
                Route::Session("config|get") => {
                    let _ = self.server.cluster.read_barrier().await;
                    self.session_command("config|get", &argv)
                }
                Route::Session("save") => self.save().await,
                Route::Session("debug|reload") => self.debug_reload(&argv).await,
                Route::Session("debug|sleep") => {
                    // Only this client's reply waits: the node and its other clients go on.
                    let limit = self.server.params.max_query_bytes();
                    tokio::select! {
                        () = tokio::time::sleep(sleep_duration(&argv[2])) => Reply::ok(),
                        () = client_gone(socket, input, limit) => {
                            self.closing = true;
                            Reply::ok()
                        }
                    }
                }
                Route::Session("wait") => {
                    let limit = self.server.params.max_query_bytes();
                    let reply = tokio::select! {
                        reply = self.wait_replicas(&argv) => reply,
                        () = client_gone(socket, input, limit) => {
                            self.closing = true;
                            Reply::Integer(0)
                        }
                    };
                    waited = started.elapsed();
                    reply
                }
                Route::Session(name) if SUBSCRIPTION_COMMANDS.contains(&name) => {
                    let answers = self.subscription(name, &argv).await;
                    if let (Some(spec), Some(first)) = (spec, answers.first()) {
                        self.observe(spec, Args::Whole(&argv), first, started.elapsed());
                    }
                    replies.extend(answers);
                    continue;
                }
                Route::Session(name) => self.session_command(name, &argv),
                Route::Block => {
                    let (reply, wait) = self.block(&argv, socket, input).await;
                    waited = wait;
                    reply
                }
                Route::Write => {
                    let (mut run, mut specs) = (vec![argv], vec![spec]);
                    let mut bytes = argv_bytes(&run[0]);
                    while let Some((next, spec)) =
                        self.next_of_run(&mut pending, &Route::Write, |next| {
                            run.len() < MAX_RUN_COMMANDS
                                && bytes + argv_bytes(next) <= MAX_RUN_BYTES
                        })
                    {
                        bytes += argv_bytes(&next);
                        run.push(next);
                        specs.push(spec);
                    }
                    // The arguments go into the log: the slow log's copy is taken first.
                    let kept: Vec<Args> = run
                        .iter()
                        .zip(&specs)
                        .map(|(argv, spec)| {
                            spec.map_or(Args::None, |spec| self.keep_args(spec, argv))
                        })
                        .collect();
                    let answers = self.write_run(run).await;
                    // The run went through the log as one: each command its share of the time.
                    let share = started.elapsed() / run_len(answers.len());
                    for ((spec, args), reply) in specs.into_iter().zip(kept).zip(&answers) {
                        if let Some(spec) = spec {
                            self.observe(spec, args, reply, share);
                        }
                    }
                    replies.extend(answers);
                    continue;
                }
                Route::Read => {
                    let (mut run, mut specs) = (vec![argv], vec![spec]);
                    while let Some((next, spec)) =
                        self.next_of_run(&mut pending, &Route::Read, |_| true)
                    {
                        run.push(next);
                        specs.push(spec);
                    }
                    let answers = self.read_run(&run, caching).await;
                    for ((argv, spec), (reply, took)) in run.iter().zip(specs).zip(&answers) {
                        if let Some(spec) = spec {
                            self.observe(spec, Args::Whole(argv), reply, *took);
                        }
                    }
                    replies.extend(answers.into_iter().map(|(reply, _)| reply));
                    continue;
                }
            };
            if let Some(spec) = spec {
                let took = started.elapsed().saturating_sub(waited);
                self.observe(spec, Args::Whole(&argv), &reply, took);
            }
            replies.push(reply);
            if self.closing {
                break;
            }
        }
        timing.mark(pending.len(), &replies);
        self.end_commands(&mut replies, &mut marks);
        replies
    }

    /// The next command of `pending` if it joins the run of `kind` and `fits`, with its spec.
    fn next_of_run(
        &self,
        pending: &mut std::iter::Peekable<std::vec::IntoIter<Argv>>,
        kind: &Route,
        fits: impl Fn(&Argv) -> bool,
    ) -> Option<(Argv, Option<&'static CommandSpec>)> {
        let mut joined = None;
        let next = pending.next_if(|next| {
            if !fits(next) {
                return false;
            }
            joined = self.joins_run(next, kind);
            joined.is_some()
        })?;
        Some((next, joined.flatten()))
    }

    async fn write_run(&self, run: Vec<Argv>) -> Vec<Reply> {
        let count = run.len();
        let changes_users = run.iter().any(|argv| {
            argv.first()
                .is_some_and(|name| name.eq_ignore_ascii_case(b"acl"))
        });
        let run = run.into_iter().map(|argv| self.as_caller(argv)).collect();
        let replies = self
            .run_through_log(run)
            .await
            .unwrap_or_else(|error| vec![error.reply(); count]);
        if changes_users {
            // This node checks the next commands against the users it has applied: a follower
            // catches up with the change first (without a leader, it checks what it has).
            let _ = self.server.cluster.read_barrier().await;
        }
        replies
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

    /// A run of reads after one barrier; `caching` (CLIENT CACHING) speaks for its first. Each
    /// reply with its time: its share of the barrier's and its own.
    async fn read_run(&self, run: &[Argv], caching: Option<bool>) -> Vec<(Reply, Duration)> {
        let started = Instant::now();
        let barrier = self.server.cluster.read_barrier().await;
        let share = started.elapsed() / run_len(run.len());
        let context = match barrier {
            Ok(context) => context,
            Err(error) => return vec![(error.reply(), share); run.len()],
        };
        run.iter()
            .enumerate()
            .map(|(i, argv)| {
                let started = Instant::now();
                let context = ReadContext {
                    seed: rand::random(),
                    // As Redis: a NO-TOUCH client's reads leave the keys' access clocks, but
                    // its TOUCH still touches.
                    no_touch: self.control.no_touch && !is_touch(argv),
                    ..context
                };
                let reply = if is_script(argv) {
                    self.read_script(argv, context)
                } else {
                    let keys = self.keys_to_track(argv, if i == 0 { caching } else { None });
                    if keys.is_empty() {
                        self.server.cluster.read(self.db, argv, context)
                    } else {
                        self.tracked_read(argv, &keys, context)
                    }
                };
                (reply, share + started.elapsed())
            })
            .collect()
    }

    /// A read-only script, stoppable by SCRIPT KILL, run where it cannot hold up other tasks.
    fn read_script(&self, argv: &[Vec<u8>], context: ReadContext) -> Reply {
        let running = self.server.scripts.start();
        let kill = running.kill.clone();
        let argv = self.as_caller(argv.to_vec());
        long_running(|| {
            self.server
                .cluster
                .read_script(self.db, &argv, context, kill)
        })
    }
}

fn is_touch(argv: &[Vec<u8>]) -> bool {
    argv.first()
        .is_some_and(|name| name.eq_ignore_ascii_case(b"touch"))
}

/// Whether `argv` names a script command or is a transaction, which the log carries with the
/// client's user (see `redraft_engine::as_user`). By name only: it was resolved already.
fn runs_as_caller(argv: &[Vec<u8>]) -> bool {
    argv.first().is_some_and(|name| {
        SCRIPT_COMMANDS
            .iter()
            .chain([&TRANSACTION_COMMAND])
            .any(|script| name.eq_ignore_ascii_case(script.as_bytes()))
    })
}

/// The parameters a CONFIG SET names (every other argument from the third).
fn config_set_names(argv: &[Vec<u8>]) -> impl Iterator<Item = &Vec<u8>> {
    argv.iter().skip(2).step_by(2)
}

fn names_node_param(argv: &[Vec<u8>]) -> bool {
    config_set_names(argv).any(|name| is_node_param(name))
}

fn names_replicated_param(argv: &[Vec<u8>]) -> bool {
    config_set_names(argv).any(|name| !is_node_param(name))
}

/// A run's length as a divisor of its time.
fn run_len(len: usize) -> u32 {
    u32::try_from(len.max(1)).unwrap_or(u32::MAX)
}

fn is_script(argv: &[Vec<u8>]) -> bool {
    resolve(argv).is_ok_and(|spec| SCRIPT_COMMANDS.contains(&spec.name))
}

/// What an open transaction does with a command; None: it runs now (MULTI, EXEC, DISCARD,
/// QUIT and RESET, as in Redis).
pub(crate) fn queueing(route: &Route, argv: &[Vec<u8>]) -> Option<Queueing> {
    match route {
        // Answered in EXEC's place when it sets the node's parameters only; one that also sets
        // replicated ones would need the log in the middle of EXEC: not in a transaction.
        Route::Session("config|set") if names_replicated_param(argv) => Some(Queueing::NotAllowed),
        Route::Transaction(_) | Route::Session("quit" | "reset") | Route::Revoked => None,
        Route::ExecRefused(_) => None,
        Route::Immediate(reply) => Some(Queueing::Refused(reply.clone())),
        // Inside a transaction a blocking command does not wait (Redis's rule).
        Route::Read | Route::Write | Route::Block => Some(Queueing::Keyspace),
        // WAIT in a transaction would answer without waiting (Redis's rule) a number that
        // only the leader knows: not in a transaction in redraft.
        // ACL LOAD and SAVE are the node's, on its file, and AUTH waits for the leader and
        // may pause: not in a transaction in redraft.
        // SAVE is refused in a transaction by Redis too; DEBUG RELOAD and SLEEP would need to
        // wait in the middle of EXEC: not in a transaction in redraft.
        Route::Session(
            "select" | "hello" | "client|unblock" | "wait" | "acl|load" | "acl|save" | "auth"
            | "save" | "debug|reload" | "debug|sleep",
        )
        | Route::Cluster(_) => Some(Queueing::NotAllowed),
        // A subscription changes the connection's mode: not in a transaction in redraft.
        Route::Session(name) if SUBSCRIPTION_COMMANDS.contains(name) => Some(Queueing::NotAllowed),
        Route::Session(name) => Some(Queueing::Local(name)),
    }
}

impl<C: Cluster> Session<C> {
    /// `argv` as the log carries it: a script or a transaction runs as this connection's
    /// user, whose rules the state machine applies to what it runs.
    pub(crate) fn as_caller(&self, argv: Argv) -> Argv {
        if !runs_as_caller(&argv) {
            return argv;
        }
        let user = self.user.as_deref().unwrap_or(crate::auth::DEFAULT_USER);
        as_user(user, argv)
    }

    /// Whether this connection's login ended: its user was deleted, or the log revoked it
    /// (ACL DELUSER, ACL LOAD) on this node.
    fn login_revoked(&self) -> bool {
        let Some(user) = &self.user else {
            return false;
        };
        self.login.as_ref().is_some_and(Login::is_revoked)
            || !self.server.cluster.access().has_user(user)
    }

    /// How this connection serves `argv` now: its route, unless RESP2's subscribed mode,
    /// authentication or the user's ACL refuses it. Every command of a pipeline passes here,
    /// those that join a run of reads or writes too.
    /// The command is resolved once here, for all three.
    fn route(&self, argv: &[Vec<u8>]) -> (Option<&'static CommandSpec>, Route) {
        self.route_noting(argv, true)
    }

    /// Whether `argv` would join a run of `kind` (Read or Write), asked before the run goes:
    /// nothing is written to ACL LOG here, since the command is routed again (and a refusal
    /// logged then) once the run is done and it is its turn.
    /// Its command when it does (a read or write is always a known command); a command that
    /// joins is noted for CLIENT LIST and shown to monitors.
    fn joins_run(&self, argv: &[Vec<u8>], kind: &Route) -> Option<Option<&'static CommandSpec>> {
        let (spec, routed) = self.route_noting(argv, false);
        let joins = std::mem::discriminant(&routed) == std::mem::discriminant(kind);
        if joins {
            self.joined_run(argv);
        }
        joins.then_some(spec)
    }

    /// [`Session::route`]; a refusal goes to ACL LOG when `note`.
    /// The command found (also when its arity is wrong, for its counters) and its route.
    fn route_noting(&self, argv: &[Vec<u8>], note: bool) -> (Option<&'static CommandSpec>, Route) {
        if let Some(refusal) = self.protected_refusal(argv) {
            return (named(argv), Route::Immediate(refusal));
        }
        let spec = match resolve(argv) {
            Ok(spec) => spec,
            Err(reply) => return (named(argv), Route::Immediate(reply)),
        };
        if self.login_revoked() || self.client.is_killed() {
            return (Some(spec), Route::Revoked);
        }
        let subscribed = self.protocol == Protocol::Resp2 && self.subscribed();
        if subscribed && !allowed_when_subscribed(spec.name) {
            return (
                Some(spec),
                Route::Immediate(refused_when_subscribed(spec.name)),
            );
        }
        let routed = match self.refusal(spec, argv, note) {
            Some(refusal) if spec.name == "exec" => Route::ExecRefused(exec_abort(refusal)),
            Some(refusal) => Route::Immediate(refusal),
            None => route(&self.server.cluster, spec, argv),
        };
        (Some(spec), routed)
    }

    /// HELLO, authenticating first when it carries AUTH; before authentication, only with it.
    async fn hello_authenticated(&mut self, argv: &[Vec<u8>]) -> Reply {
        match hello_auth(argv) {
            Some((user, password)) => {
                let (user, password) = (user.to_vec(), password.to_vec());
                if !self.log_in(&user, &password).await {
                    return Reply::error(
                        "WRONGPASS invalid username-password pair or user is disabled.",
                    );
                }
            }
            None if self.user.is_none() => {
                return Reply::error(
                    "NOAUTH HELLO must be called with the client already authenticated, \
                     otherwise the HELLO AUTH <user> <pass> option can be used to \
                     authenticate the client and select the RESP protocol version at the same time",
                )
            }
            None => {}
        }
        self.session_command("hello", argv)
    }
}

/// HELLO's AUTH option, read option by option after the protocol version (`HELLO 3 SETNAME
/// auth AUTH u p` names the client "auth"); None without one, or when the options are
/// malformed (HELLO itself then answers the syntax error).
fn hello_auth(argv: &[Vec<u8>]) -> Option<(&[u8], &[u8])> {
    let mut options = argv.get(2..)?;
    loop {
        match options {
            [option, user, password, ..] if option.eq_ignore_ascii_case(b"auth") => {
                return Some((user, password))
            }
            [option, _, rest @ ..] if option.eq_ignore_ascii_case(b"setname") => options = rest,
            _ => return None,
        }
    }
}

/// What a connection waiting for input got.
enum Input {
    More,
    Pushed,
    Closed,
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
