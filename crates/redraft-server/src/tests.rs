//! Session tests over real sockets against an in-process engine (no Raft): exact reply bytes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use redraft_engine::entry::UNBLOCK_NODE_COMMAND;
use redraft_engine::{Access, Argv, Engine, LogCommand, ReadContext, Reply};
use redraft_raft::Output;
use tokio::sync::mpsc;

use crate::cluster::{Cluster, DbStats, RouteError};
use crate::server::{Server, ServerConfig};

/// One engine applying writes directly, at a fixed time.
struct LocalCluster {
    engine: Mutex<Engine>,
    index: AtomicU64,
    entries: AtomicU64,
    outputs_tx: mpsc::UnboundedSender<Output>,
    /// The users as last applied (kept apart, as a node keeps them, from the engine that a
    /// long script holds).
    access: Mutex<Access>,
    outputs_rx: Mutex<Option<mpsc::UnboundedReceiver<Output>>>,
}

impl Default for LocalCluster {
    fn default() -> Self {
        let (outputs_tx, outputs_rx) = mpsc::unbounded_channel();
        LocalCluster {
            engine: Mutex::default(),
            index: AtomicU64::default(),
            entries: AtomicU64::default(),
            outputs_tx,
            access: Mutex::default(),
            outputs_rx: Mutex::new(Some(outputs_rx)),
        }
    }
}

const NOW_MS: u64 = 1_700_000_000_000;

impl Cluster for LocalCluster {
    async fn write(&self, db: u32, cmds: Vec<Argv>) -> Result<Vec<Reply>, RouteError> {
        // The server's start-up entry clears waiters of earlier processes: this one has none,
        // and the tests count their own entries.
        let startup = cmds.first().and_then(|argv| argv.first());
        if startup.map(Vec::as_slice) == Some(UNBLOCK_NODE_COMMAND.as_bytes()) {
            return Ok(vec![Reply::Integer(0)]);
        }
        let index = self.index.fetch_add(1, Ordering::SeqCst) + 1;
        self.entries.fetch_add(1, Ordering::SeqCst);
        let entry = LogCommand::run(NOW_MS, db, cmds);
        let mut engine = self.engine.lock().unwrap();
        let replies = engine.apply(index, &entry);
        for served in engine.take_served() {
            let _ = self.outputs_tx.send(Output::Served(served));
        }
        for event in engine.take_events() {
            let _ = self.outputs_tx.send(Output::Event(event));
        }
        *self.access.lock().unwrap() = Access(engine.users());
        Ok(replies)
    }

    async fn read_barrier(&self) -> Result<ReadContext, RouteError> {
        Ok(ReadContext {
            now_ms: NOW_MS,
            ..ReadContext::default()
        })
    }

    fn read(&self, db: u32, argv: &[Vec<u8>], context: ReadContext) -> Reply {
        self.engine.lock().unwrap().read(db, argv, context)
    }

    fn read_indexed(&self, db: u32, argv: &[Vec<u8>], context: ReadContext) -> (Reply, u64) {
        let engine = self.engine.lock().unwrap();
        let index = engine.keyspace().applied_index;
        (engine.read(db, argv, context), index)
    }

    fn track_modified_keys(&self, on: bool) {
        self.engine.lock().unwrap().track_modified_keys(on)
    }

    fn read_script(
        &self,
        db: u32,
        argv: &[Vec<u8>],
        context: ReadContext,
        kill: Arc<std::sync::atomic::AtomicBool>,
    ) -> Reply {
        let engine = self.engine.lock().unwrap();
        engine.read_killable(db, argv, context, kill)
    }

    fn access(&self) -> Access {
        self.access.lock().unwrap().clone()
    }

    fn script_is_read_only(&self, argv: &[Vec<u8>]) -> bool {
        self.engine.lock().unwrap().script_is_read_only(argv)
    }

    fn node_id(&self) -> u64 {
        1
    }

    fn take_outputs(&self) -> Option<mpsc::UnboundedReceiver<Output>> {
        self.outputs_rx.lock().unwrap().take()
    }

    fn watch_point(&self) -> (u64, u64) {
        self.engine.lock().unwrap().watch_point()
    }

    fn db_stats(&self) -> Vec<DbStats> {
        Vec::new()
    }

    fn dataset(&self) -> redraft_engine::DatasetEstimate {
        let engine = self.engine.lock().unwrap();
        engine.dataset_estimate(NOW_MS, crate::memory::SAMPLE_KEYS)
    }

    fn encoding_config(&self) -> redraft_engine::config::EncodingConfig {
        self.engine.lock().unwrap().keyspace().encoding
    }

    fn raft_info(&self) -> Vec<(String, String)> {
        vec![("role".into(), "leader".into())]
    }

    fn state_digest(&self) -> (u64, u64) {
        let engine = self.engine.lock().unwrap();
        let digest = redraft_engine::keyspace::key_hash(&engine.encode_snapshot());
        (self.index.load(Ordering::SeqCst), digest)
    }
}

async fn start() -> (Arc<Server<LocalCluster>>, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new(LocalCluster::default(), ServerConfig::default());
    tokio::spawn(crate::accept::serve(server.clone(), listener));
    (server, addr)
}

/// A server and one client connection to it.
async fn connect() -> (Arc<Server<LocalCluster>>, TcpStream) {
    let (server, addr) = start().await;
    (server, TcpStream::connect(addr).await.unwrap())
}

/// Sends `request` and reads until `expected.len()` bytes arrived (or 2 s passed).
async fn exchange(stream: &mut TcpStream, request: &[u8], expected_len: usize) -> Vec<u8> {
    stream.write_all(request).await.unwrap();
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
    while got.len() < expected_len {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => got.extend_from_slice(&chunk[..n]),
            Ok(Err(_)) => break,
        }
    }
    got
}

/// Sends each request in turn and checks the reply bytes.
async fn assert_exchanges(stream: &mut TcpStream, exchanges: &[(&str, &str)]) {
    for (request, expected) in exchanges {
        assert_exchange(stream, request.as_bytes(), expected.as_bytes()).await;
    }
}

async fn assert_exchange(stream: &mut TcpStream, request: &[u8], expected: &[u8]) {
    let got = exchange(stream, request, expected.len()).await;
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected),
        "request {:?}",
        String::from_utf8_lossy(request)
    );
}

#[tokio::test]
async fn inline_and_multibulk_ping_answer_pong() {
    let (_, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[
            ("PING\r\n", "+PONG\r\n"),
            ("*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n", "$2\r\nhi\r\n"),
        ],
    )
    .await;
}

#[tokio::test]
async fn pipeline_is_answered_in_order_and_writes_share_one_entry() {
    let (server, addr) = start().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = b"SET a 1\r\nSET b 2\r\nAPPEND a x\r\nGET a\r\nSET c 3\r\nGET b\r\nNOPE\r\n";
    let expected: &[u8] = b"+OK\r\n+OK\r\n:2\r\n$2\r\n1x\r\n+OK\r\n$1\r\n2\r\n-ERR unknown command 'NOPE', with args beginning with: \r\n";
    assert_exchange(&mut stream, request, expected).await;
    // SET SET APPEND went as one entry, SET c as another.
    assert_eq!(server.cluster.entries.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn wrong_arity_is_answered_without_touching_the_log() {
    let (server, addr) = start().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    assert_exchanges(
        &mut stream,
        &[
            ("GET\r\nSET k\r\n", "-ERR wrong number of arguments for 'get' command\r\n-ERR wrong number of arguments for 'set' command\r\n"),
        ],
    )
    .await;
    assert_eq!(server.cluster.entries.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn protocol_error_answers_then_closes_after_earlier_commands() {
    let (_, mut stream) = connect().await;
    let expected: &[u8] = b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n";
    let got = exchange(&mut stream, b"PING\r\n*1\r\n$x\r\n", expected.len() + 1).await;
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected)
    );
}

#[tokio::test]
async fn hello_3_switches_the_connection_to_resp3() {
    let (_, mut stream) = connect().await;
    let reply = exchange(&mut stream, b"HELLO 3\r\n", 1).await;
    assert!(
        reply.starts_with(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
        "{reply:?}"
    );
    assert_exchanges(
        &mut stream,
        &[
            ("GET missing\r\n", "_\r\n"),
            ("HELLO 4\r\n", "-NOPROTO unsupported protocol version\r\n"),
        ],
    )
    .await;
}

#[tokio::test]
async fn select_changes_the_database_of_later_commands() {
    let (_, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[
            (
                "SET k zero\r\nSELECT 1\r\nGET k\r\n",
                "+OK\r\n+OK\r\n$-1\r\n",
            ),
            ("SELECT 16\r\n", "-ERR DB index is out of range\r\n"),
            (
                "SELECT x\r\n",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("SELECT -1\r\n", "-ERR DB index is out of range\r\n"),
            (
                "SELECT 2147483648\r\n",
                "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn quit_answers_ok_and_skips_the_rest_of_the_pipeline() {
    let (_, mut stream) = connect().await;
    let got = exchange(&mut stream, b"QUIT\r\nPING\r\n", 64).await;
    assert_eq!(got, b"+OK\r\n");
}

#[tokio::test]
async fn client_commands_keep_connection_state() {
    let (_, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[
            ("CLIENT GETNAME\r\nCLIENT SETNAME app\r\nCLIENT GETNAME\r\nCLIENT SETNAME \"a b\"\r\nCLIENT SETINFO LIB-NAME redis-py\r\nCLIENT NOPE\r\n", "$-1\r\n+OK\r\n$3\r\napp\r\n-ERR Client names cannot contain spaces, newlines or special characters.\r\n+OK\r\n-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n"),
        ],
    )
    .await;
}

#[tokio::test]
async fn subcommands_are_checked_by_the_table_before_they_run() {
    let (_, mut stream) = connect().await;
    assert_exchange(
        &mut stream,
        b"CLIENT SETNAME\r\nCLIENT ID x\r\nCONFIG GET\r\nRAFT NOPE\r\nRAFT PROMOTE\r\nRAFT PROMOTE x\r\nRAFT\r\n",
        b"-ERR wrong number of arguments for 'client|setname' command\r\n\
-ERR wrong number of arguments for 'client|id' command\r\n\
-ERR wrong number of arguments for 'config|get' command\r\n\
-ERR unknown subcommand 'NOPE'. Try RAFT HELP.\r\n\
-ERR wrong number of arguments for 'raft|promote' command\r\n\
-ERR node id must be a positive integer\r\n\
-ERR wrong number of arguments for 'raft' command\r\n",
    )
    .await;
    let help = exchange(&mut stream, b"RAFT HELP\r\n", 32).await;
    assert!(help.starts_with(b"*17\r\n+RAFT <subcommand>"), "{help:?}");
    // COMMAND INFO lists a container's subcommands with their own arity and flags, as Redis 7
    // (CONFIG SET is no @write command there: it writes no key).
    let info = exchange(&mut stream, b"COMMAND INFO config\r\n", 4096).await;
    let text = String::from_utf8_lossy(&info);
    assert!(text.contains("$10\r\nconfig|get\r\n:-3\r\n"), "{text}");
    assert!(
        text.contains(
            "$10\r\nconfig|set\r\n:-4\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn info_and_command_count_answer() {
    let (_, mut stream) = connect().await;
    let reply = exchange(&mut stream, b"INFO raft\r\n", 10).await;
    let text = String::from_utf8_lossy(&reply);
    assert!(text.contains("# Raft\r\nrole:leader\r\n"), "{text}");
    let count = redraft_engine::table::all().len();
    assert_exchange(
        &mut stream,
        b"COMMAND COUNT\r\n",
        format!(":{count}\r\n").as_bytes(),
    )
    .await;
}

#[tokio::test]
async fn max_clients_rejects_the_next_connection_with_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ServerConfig {
        max_clients: 1,
        ..ServerConfig::default()
    };
    let server = Server::new(LocalCluster::default(), config);
    tokio::spawn(crate::accept::serve(server, listener));
    let mut first = TcpStream::connect(addr).await.unwrap();
    assert_exchanges(&mut first, &[("PING\r\n", "+PONG\r\n")]).await;
    let mut second = TcpStream::connect(addr).await.unwrap();
    let got = exchange(&mut second, b"", 64).await;
    assert_eq!(got, b"-ERR max number of clients reached\r\n");
}

#[tokio::test]
async fn raft_digest_answers_the_applied_index_and_changes_with_the_state() {
    let (_, mut stream) = connect().await;
    let before = exchange(&mut stream, b"RAFT DIGEST\r\n", 1).await;
    assert!(before.starts_with(b"*2\r\n:0\r\n$16\r\n"), "{before:?}");
    assert_exchanges(&mut stream, &[("SET k v\r\n", "+OK\r\n")]).await;
    let after = exchange(&mut stream, b"RAFT DIGEST\r\n", before.len()).await;
    assert!(after.starts_with(b"*2\r\n:1\r\n$16\r\n"), "{after:?}");
    assert_ne!(before[12..], after[12..], "the digest follows the state");
    assert_exchanges(
        &mut stream,
        &[(
            "RAFT DIGEST x\r\n",
            "-ERR wrong number of arguments for 'raft|digest' command\r\n",
        )],
    )
    .await;
}

#[tokio::test]
async fn config_set_goes_through_the_log_and_config_get_reads_it_back() {
    let (server, addr) = start().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    assert_exchanges(
        &mut stream,
        &[("CONFIG SET hash-max-listpack-entries 3\r\n", "+OK\r\n")],
    )
    .await;
    assert_eq!(server.cluster.entries.load(Ordering::SeqCst), 1);
    assert_exchanges(
        &mut stream,
        &[
            ("CONFIG GET hash-max-*-entries\r\n", "*4\r\n$25\r\nhash-max-listpack-entries\r\n$1\r\n3\r\n$24\r\nhash-max-ziplist-entries\r\n$1\r\n3\r\n"),
            ("CONFIG SET no-such-param 1\r\nCONFIG REWRITE\r\n", "-ERR Unknown option or number of arguments for CONFIG SET - 'no-such-param'\r\n-ERR The server is running without a config file\r\n"),
        ],
    )
    .await;
}

#[tokio::test]
async fn exec_applies_the_queued_commands_as_one_entry_in_order() {
    let (server, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[
            ("SET n 1\r\n", "+OK\r\n"),
            (
                "MULTI\r\nINCR n\r\nPING\r\nGET n\r\nSET s x\r\n",
                "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
            ),
            ("EXEC\r\n", "*4\r\n:2\r\n+PONG\r\n$1\r\n2\r\n+OK\r\n"),
            ("MULTI\r\nEXEC\r\n", "+OK\r\n*0\r\n"),
        ],
    )
    .await;
    // SET n, then the transaction: two entries; the empty transaction wrote none.
    assert_eq!(server.cluster.entries.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_command_failing_inside_exec_answers_its_error_and_the_others_apply() {
    let (_, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[
            (
                "MULTI\r\nSET s x\r\nINCR s\r\nSET t y\r\n",
                "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
            ),
            (
                "EXEC\r\n",
                "*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n",
            ),
            ("GET t\r\n", "$1\r\ny\r\n"),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_command_refused_while_queuing_aborts_the_transaction() {
    let (server, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[
            ("EXEC\r\n", "-ERR EXEC without MULTI\r\n"),
            ("DISCARD\r\n", "-ERR DISCARD without MULTI\r\n"),
            ("MULTI\r\nMULTI\r\n", "+OK\r\n-ERR MULTI calls can not be nested\r\n"),
            ("SET a 1\r\nNOPE\r\nGET\r\n", "+QUEUED\r\n-ERR unknown command 'NOPE', with args beginning with: \r\n-ERR wrong number of arguments for 'get' command\r\n"),
            ("EXEC\r\n", "-EXECABORT Transaction discarded because of previous errors.\r\n"),
            ("MULTI\r\nSET a 1\r\nSELECT 1\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n-ERR Command not allowed inside a transaction\r\n-EXECABORT Transaction discarded because of previous errors.\r\n"),
            ("MULTI\r\nSET a 1\r\nDISCARD\r\nGET a\r\n", "+OK\r\n+QUEUED\r\n+OK\r\n$-1\r\n"),
        ],
    )
    .await;
    assert_eq!(
        server.cluster.entries.load(Ordering::SeqCst),
        0,
        "nothing was applied"
    );
}

/// Redis's bytes (7.0): a refused EXEC answers EXECABORT with the refusal and discards the
/// transaction, whether one was open or not.
#[tokio::test]
async fn a_refused_exec_answers_execabort_and_discards_the_transaction() {
    let (server, mut stream) = connect().await;
    let refused = "-EXECABORT Transaction discarded because of: NOPERM this user has no \
                   permissions to run the 'exec' command\r\n";
    assert_exchanges(
        &mut stream,
        &[
            ("ACL SETUSER u on >p +multi +set +discard ~*\r\n", "+OK\r\n"),
            ("AUTH u p\r\n", "+OK\r\n"),
            ("EXEC\r\n", refused),
            ("MULTI\r\nSET a 1\r\n", "+OK\r\n+QUEUED\r\n"),
            ("EXEC\r\n", refused),
            ("DISCARD\r\n", "-ERR DISCARD without MULTI\r\n"),
        ],
    )
    .await;
    assert_eq!(
        server.cluster.entries.load(Ordering::SeqCst),
        1,
        "only ACL SETUSER was applied"
    );
}

#[tokio::test]
async fn hello_reads_auth_as_an_option_not_as_a_client_name() {
    let (_server, mut stream) = connect().await;
    assert_exchange(&mut stream, b"ACL SETUSER u on >p ~* +@all\r\n", b"+OK\r\n").await;
    let reply = exchange(&mut stream, b"HELLO 2 SETNAME auth AUTH u p\r\n", 20).await;
    assert!(
        reply.starts_with(b"*14\r\n"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert_exchange(&mut stream, b"ACL WHOAMI\r\n", b"$1\r\nu\r\n").await;
    assert_exchange(&mut stream, b"CLIENT GETNAME\r\n", b"$4\r\nauth\r\n").await;
}

#[tokio::test]
async fn genpass_draws_fresh_randomness_on_the_node_also_inside_multi() {
    let (server, mut stream) = connect().await;
    let first = exchange(&mut stream, b"ACL GENPASS\r\n", 71).await;
    let second = exchange(&mut stream, b"ACL GENPASS\r\n", 71).await;
    assert!(
        first.starts_with(b"$64\r\n"),
        "{}",
        String::from_utf8_lossy(&first)
    );
    assert_ne!(first, second);
    let queued = exchange(&mut stream, b"MULTI\r\nACL GENPASS 8\r\n", 14).await;
    assert_eq!(queued, b"+OK\r\n+QUEUED\r\n");
    let exec = exchange(&mut stream, b"EXEC\r\n", 12).await;
    assert!(
        exec.starts_with(b"*1\r\n$2\r\n"),
        "{}",
        String::from_utf8_lossy(&exec)
    );
    assert_eq!(
        server.cluster.entries.load(Ordering::SeqCst),
        0,
        "nothing in the log"
    );
}

#[tokio::test]
async fn auth_is_not_allowed_inside_a_transaction() {
    let (_server, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[
            ("MULTI\r\n", "+OK\r\n"),
            (
                "AUTH default x\r\n",
                "-ERR Command not allowed inside a transaction\r\n",
            ),
            ("PING\r\n", "+QUEUED\r\n"),
            (
                "EXEC\r\n",
                "-EXECABORT Transaction discarded because of previous errors.\r\n",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_refusal_after_a_run_of_writes_is_logged_once() {
    let (_server, addr) = start().await;
    let mut user = TcpStream::connect(addr).await.unwrap();
    let noperm = "-NOPERM this user has no permissions to run the 'get' command\r\n";
    assert_exchanges(
        &mut user,
        &[
            ("ACL SETUSER u on >p +set ~*\r\n", "+OK\r\n"),
            ("AUTH u p\r\n", "+OK\r\n"),
        ],
    )
    .await;
    // GET ends the run of SETs: asked whether it joins the run, then routed in its turn.
    let pipeline = b"SET a 1\r\nSET b 2\r\nGET a\r\n";
    let expected = format!("+OK\r\n+OK\r\n{noperm}");
    assert_exchange(&mut user, pipeline, expected.as_bytes()).await;
    let mut admin = TcpStream::connect(addr).await.unwrap();
    let log = exchange(&mut admin, b"ACL LOG 1\r\n", 150).await;
    let log = String::from_utf8_lossy(&log);
    assert!(log.contains("count\r\n:1\r\n"), "{log}");
}

#[tokio::test]
async fn a_transaction_past_its_command_bound_is_refused_and_aborted() {
    let (server, mut stream) = connect().await;
    let max = crate::transaction::MAX_QUEUED_COMMANDS;
    let mut request = b"MULTI\r\n".to_vec();
    let mut expected = b"+OK\r\n".to_vec();
    for _ in 0..max {
        request.extend_from_slice(b"INCR n\r\n");
        expected.extend_from_slice(b"+QUEUED\r\n");
    }
    request.extend_from_slice(b"INCR n\r\nEXEC\r\nGET n\r\n");
    expected.extend_from_slice(
        format!(
            "-ERR a transaction holds at most {max} commands and 64 MiB of arguments\r\n\
             -EXECABORT Transaction discarded because of previous errors.\r\n$-1\r\n"
        )
        .as_bytes(),
    );
    let got = exchange(&mut stream, &request, expected.len()).await;
    assert!(
        got == expected,
        "{}",
        String::from_utf8_lossy(&got[got.len().saturating_sub(300)..])
    );
    assert_eq!(server.cluster.entries.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn watched_keys_are_bounded_per_connection_and_exec_checks_them_in_its_entry() {
    let (server, mut stream) = connect().await;
    let max = redraft_engine::entry::MAX_WATCHED_KEYS;
    let mut request = format!("*{}\r\n$5\r\nWATCH\r\n", max + 2).into_bytes();
    for i in 0..=max {
        let key = format!("k{i}");
        request.extend_from_slice(format!("${}\r\n{key}\r\n", key.len()).as_bytes());
    }
    let refusal = format!("-ERR a connection watches at most {max} keys\r\n");
    assert_exchange(&mut stream, &request, refusal.as_bytes()).await;
    // Refused as a whole: nothing was watched, so a change to k0 does not abort.
    assert_exchanges(
        &mut stream,
        &[
            ("SET k0 1\r\n", "+OK\r\n"),
            (
                "MULTI\r\nGET k0\r\nEXEC\r\n",
                "+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n",
            ),
            ("WATCH k0\r\nSET k0 2\r\n", "+OK\r\n+OK\r\n"),
        ],
    )
    .await;
    let before = server.cluster.entries.load(Ordering::SeqCst);
    assert_exchange(
        &mut stream,
        b"MULTI\r\nPING\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n*-1\r\n",
    )
    .await;
    let entries = server.cluster.entries.load(Ordering::SeqCst);
    assert_eq!(entries, before + 1, "a watched EXEC is checked in the log");
}

#[tokio::test]
async fn a_script_that_cannot_write_takes_the_read_path_and_a_writing_one_the_log() {
    let (server, mut stream) = connect().await;
    let entries = || server.cluster.entries.load(Ordering::SeqCst);
    assert_exchange(&mut stream, b"SET k v\r\n", b"+OK\r\n").await;
    let before = entries();
    let script = "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])";
    let read_only = format!(
        "*4\r\n$4\r\nEVAL\r\n${}\r\n{script}\r\n$1\r\n1\r\n$1\r\nk\r\n",
        script.len()
    );
    assert_exchange(&mut stream, read_only.as_bytes(), b"$1\r\nv\r\n").await;
    assert_exchange(
        &mut stream,
        b"EVAL_RO \"return redis.call('GET', KEYS[1])\" 1 k\r\n",
        b"$1\r\nv\r\n",
    )
    .await;
    assert_eq!(entries(), before, "read-only scripts are not logged");
    assert_exchange(
        &mut stream,
        b"EVAL \"return redis.call('SET', KEYS[1], 'w')\" 1 k\r\n",
        b"+OK\r\n",
    )
    .await;
    assert_eq!(entries(), before + 1);
    assert_exchange(
        &mut stream,
        b"SCRIPT KILL\r\n",
        b"-NOTBUSY No scripts in execution right now.\r\n",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_kill_stops_a_read_only_script_running_on_another_connection() {
    let (_server, addr) = start().await;
    let mut runner = TcpStream::connect(addr).await.unwrap();
    let mut killer = TcpStream::connect(addr).await.unwrap();
    runner
        .write_all(b"EVAL_RO \"while true do end\" 0\r\n")
        .await
        .unwrap();
    let killed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if exchange(&mut killer, b"SCRIPT KILL\r\n", 5).await == b"+OK\r\n" {
                return;
            }
        }
    })
    .await;
    assert!(killed.is_ok(), "SCRIPT KILL never found the script");
    let reply = exchange(&mut runner, b"", 60).await;
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{text}"
    );
}

#[tokio::test]
async fn a_blocked_client_is_served_by_another_clients_push() {
    let (_server, addr) = start().await;
    let mut waiter = TcpStream::connect(addr).await.unwrap();
    let mut pusher = TcpStream::connect(addr).await.unwrap();
    assert_exchange(&mut pusher, b"RPUSH ready a\r\n", b":1\r\n").await;
    assert_exchange(
        &mut waiter,
        b"BLPOP ready 0\r\n",
        b"*2\r\n$5\r\nready\r\n$1\r\na\r\n",
    )
    .await;
    waiter.write_all(b"BLPOP k 0\r\nPING\r\n").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_exchange(&mut pusher, b"RPUSH k x y\r\n", b":2\r\n").await;
    let expected = b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n+PONG\r\n";
    assert_eq!(exchange(&mut waiter, b"", expected.len()).await, expected);
    assert_exchange(&mut pusher, b"LRANGE k 0 -1\r\n", b"*1\r\n$1\r\ny\r\n").await;
    // Inside a transaction a blocking command does not wait.
    assert_exchange(
        &mut waiter,
        b"MULTI\r\nBLPOP none 0\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n*1\r\n*-1\r\n",
    )
    .await;
}

#[tokio::test]
async fn client_unblock_ends_a_wait_with_its_timeout_reply_or_an_error() {
    let (_server, addr) = start().await;
    let mut waiter = TcpStream::connect(addr).await.unwrap();
    let mut other = TcpStream::connect(addr).await.unwrap();
    let id = String::from_utf8(exchange(&mut waiter, b"CLIENT ID\r\n", 4).await).unwrap();
    let id = id.trim_start_matches(':').trim().to_string();
    for (how, expected) in [
        ("", "*-1\r\n"),
        (" TIMEOUT", "*-1\r\n"),
        (
            " ERROR",
            "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n",
        ),
    ] {
        waiter.write_all(b"BZPOPMIN z 0\r\n").await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let unblock = format!("CLIENT UNBLOCK {id}{how}\r\n");
        assert_exchange(&mut other, unblock.as_bytes(), b":1\r\n").await;
        assert_eq!(
            exchange(&mut waiter, b"", expected.len()).await,
            expected.as_bytes()
        );
    }
    assert_exchange(
        &mut other,
        format!("CLIENT UNBLOCK {id}\r\n").as_bytes(),
        b":0\r\n",
    )
    .await;
    assert_exchange(
        &mut other,
        format!("CLIENT UNBLOCK {id} LATER\r\n").as_bytes(),
        b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n",
    )
    .await;
}

#[tokio::test]
async fn a_client_that_leaves_while_waiting_takes_nothing() {
    let (server, addr) = start().await;
    let mut waiter = TcpStream::connect(addr).await.unwrap();
    waiter.write_all(b"BLPOP k 0\r\n").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    drop(waiter);
    let mut pusher = TcpStream::connect(addr).await.unwrap();
    assert_exchange(&mut pusher, b"RPUSH k x\r\n", b":1\r\n").await;
    // Whether the waiter's removal or the push came first, x ends in the list.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_exchange(&mut pusher, b"LRANGE k 0 -1\r\n", b"*1\r\n$1\r\nx\r\n").await;
    let engine = server.cluster.engine.lock().unwrap();
    assert!(engine.keyspace().waiters.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failed_auth_on_a_connection_is_answered_later_than_the_one_before() {
    let (server, addr) = start().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let wrongpass = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    let mut waited = Vec::new();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        assert_exchange(&mut stream, b"AUTH nobody guess\r\n", wrongpass).await;
        waited.push(started.elapsed());
    }
    // 100 ms, 200 ms, 300 ms: a guesser slows down with every try.
    for (attempt, waited) in waited.iter().enumerate() {
        let least = std::time::Duration::from_millis(100 * (attempt as u64 + 1));
        assert!(*waited >= least, "attempt {attempt}: {waited:?}");
    }
    let log = exchange(&mut stream, b"ACL LOG 1\r\n", 150).await;
    let log = String::from_utf8_lossy(&log);
    assert!(
        log.contains("nobody") && log.contains("count\r\n:3"),
        "{log}"
    );
    drop(server);
}

/// The text of INFO `section` on `stream`.
async fn info_section(stream: &mut TcpStream, section: &str) -> String {
    let request = format!("INFO {section}\r\n");
    let reply = exchange(stream, request.as_bytes(), 1).await;
    // A bulk string: read until its declared length arrived.
    let text = String::from_utf8_lossy(&reply).into_owned();
    let (header, _) = text.split_once("\r\n").unwrap();
    let len: usize = header[1..].parse().unwrap();
    let mut got = reply;
    while got.len() < header.len() + 2 + len + 2 {
        got.extend(exchange(stream, b"", 1).await);
    }
    String::from_utf8_lossy(&got[header.len() + 2..got.len() - 2]).into_owned()
}

#[tokio::test]
async fn node_parameters_are_set_on_the_node_without_the_log() {
    let (server, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[
            ("CONFIG SET slowlog-max-len 5 latency-monitor-threshold 7\r\n", "+OK\r\n"),
            (
                "CONFIG GET slowlog-max-len\r\nCONFIG GET latency-monitor-threshold\r\n",
                "*2\r\n$15\r\nslowlog-max-len\r\n$1\r\n5\r\n*2\r\n$25\r\nlatency-monitor-threshold\r\n$1\r\n7\r\n",
            ),
            // All or nothing, also with replicated parameters.
            (
                "CONFIG SET slowlog-max-len 6 no-such-param 1\r\nCONFIG GET slowlog-max-len\r\n",
                "-ERR Unknown option or number of arguments for CONFIG SET - 'no-such-param'\r\n*2\r\n$15\r\nslowlog-max-len\r\n$1\r\n5\r\n",
            ),
            (
                "CONFIG SET slowlog-max-len x hash-max-listpack-entries 3\r\n",
                "-ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument couldn't be parsed into an integer\r\n",
            ),
        ],
    )
    .await;
    // Neither refusal (both checked before the log) nor the node's own parameters used it.
    assert_eq!(server.cluster.entries.load(Ordering::SeqCst), 0);
    assert_exchanges(
        &mut stream,
        &[
            (
                "CONFIG SET slowlog-max-len 6 hash-max-listpack-entries 3\r\n",
                "+OK\r\n",
            ),
            (
                "CONFIG GET slowlog-max-len\r\nCONFIG GET hash-max-listpack-entries\r\n",
                "*2\r\n$15\r\nslowlog-max-len\r\n$1\r\n6\r\n*2\r\n$25\r\nhash-max-listpack-entries\r\n$1\r\n3\r\n",
            ),
            (
                "MULTI\r\nCONFIG SET slowlog-max-len 8\r\nEXEC\r\nCONFIG GET slowlog-max-len\r\n",
                "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n*2\r\n$15\r\nslowlog-max-len\r\n$1\r\n8\r\n",
            ),
            (
                "MULTI\r\nCONFIG SET slowlog-max-len 9 hash-max-listpack-entries 4\r\n",
                "+OK\r\n-ERR Command not allowed inside a transaction\r\n",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn every_command_can_enter_the_slow_log_with_its_client() {
    let (_, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[
            (
                "CONFIG SET slowlog-log-slower-than 0\r\nCLIENT SETNAME app\r\n",
                "+OK\r\n+OK\r\n",
            ),
            // RESET enters the log it emptied, as in Redis.
            (
                "SLOWLOG RESET\r\nSET k v\r\nGET k\r\nSLOWLOG LEN\r\n",
                "+OK\r\n+OK\r\n$1\r\nv\r\n:3\r\n",
            ),
        ],
    )
    .await;
    let local = stream.local_addr().unwrap().to_string();
    let reply = exchange(&mut stream, b"SLOWLOG GET 3\r\n", 1).await;
    let got = String::from_utf8_lossy(&reply);
    // Newest first: SLOWLOG LEN, GET k, SET k v, each with this client's address and name.
    let client = format!("${}\r\n{local}\r\n$3\r\napp\r\n", local.len());
    for args in [
        "*2\r\n$7\r\nSLOWLOG\r\n$3\r\nLEN\r\n",
        "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
    ] {
        assert!(
            got.contains(&format!("{args}{client}")),
            "{args:?} in {got:?}"
        );
    }
    assert!(got.starts_with("*3\r\n*6\r\n:"), "{got:?}");
    assert_exchanges(
        &mut stream,
        &[
            ("CONFIG SET slowlog-log-slower-than -1\r\nSLOWLOG RESET\r\nGET k\r\nSLOWLOG LEN\r\n", "+OK\r\n+OK\r\n$1\r\nv\r\n:0\r\n"),
            ("SLOWLOG GET -2\r\n", "-ERR count should be greater than or equal to -1\r\n"),
            ("SLOWLOG\r\n", "-ERR wrong number of arguments for 'slowlog' command\r\n"),
        ],
    )
    .await;
}

#[tokio::test]
async fn commandstats_and_errorstats_count_calls_refusals_and_errors_until_resetstat() {
    let (_, mut stream) = connect().await;
    assert_exchanges(
        &mut stream,
        &[(
            "SET k v\r\nGET k\r\nGET k\r\nGET\r\nNOPE\r\nLPUSH k x\r\n",
            "+OK\r\n$1\r\nv\r\n$1\r\nv\r\n-ERR wrong number of arguments for 'get' command\r\n-ERR unknown command 'NOPE', with args beginning with: \r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        )],
    )
    .await;
    let stats = info_section(&mut stream, "commandstats").await;
    assert!(stats.starts_with("# Commandstats\r\n"), "{stats}");
    let get = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_get:"))
        .unwrap();
    assert!(get.starts_with("cmdstat_get:calls=2,usec="), "{get}");
    assert!(get.ends_with(",rejected_calls=1,failed_calls=0"), "{get}");
    let lpush = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_lpush:"))
        .unwrap();
    assert!(
        lpush.ends_with(",rejected_calls=0,failed_calls=1"),
        "{lpush}"
    );
    let errors = info_section(&mut stream, "errorstats").await;
    assert_eq!(
        errors,
        "# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=1\r\n"
    );
    let latency = info_section(&mut stream, "latencystats").await;
    assert!(
        latency.contains("\r\nlatency_percentiles_usec_get:p50="),
        "{latency}"
    );
    let stats = info_section(&mut stream, "stats").await;
    assert!(stats.contains("\r\ntotal_error_replies:3\r\n"), "{stats}");
    // The default sections have errorstats, not commandstats; `all` has both.
    let default = info_section(&mut stream, "").await;
    assert!(default.contains("# Errorstats") && !default.contains("# Commandstats"));
    let all = info_section(&mut stream, "all").await;
    assert!(all.contains("# Commandstats") && all.contains("# Latencystats"));
    assert_exchanges(&mut stream, &[("CONFIG RESETSTAT\r\n", "+OK\r\n")]).await;
    assert_eq!(
        info_section(&mut stream, "errorstats").await,
        "# Errorstats\r\n"
    );
    let stats = info_section(&mut stream, "commandstats").await;
    assert!(!stats.contains("cmdstat_get:"), "{stats}");
}

#[tokio::test]
async fn a_slow_command_is_a_latency_event_and_in_its_histogram() {
    let (_, mut stream) = connect().await;
    let busy = "local i = 0 while i < 300000 do i = i + 1 end return i";
    let eval = format!(
        "*3\r\n$4\r\nEVAL\r\n${}\r\n{busy}\r\n$1\r\n0\r\n",
        busy.len()
    );
    assert_exchanges(
        &mut stream,
        &[
            ("CONFIG SET latency-monitor-threshold 1\r\n", "+OK\r\n"),
            (&eval, ":300000\r\n"),
        ],
    )
    .await;
    let latest = exchange(&mut stream, b"LATENCY LATEST\r\n", 1).await;
    let latest = String::from_utf8_lossy(&latest);
    assert!(
        latest.starts_with("*1\r\n*4\r\n$7\r\ncommand\r\n:"),
        "{latest:?}"
    );
    let history = exchange(&mut stream, b"LATENCY HISTORY command\r\n", 1).await;
    assert!(history.starts_with(b"*1\r\n*2\r\n:"), "{history:?}");
    let histogram = exchange(&mut stream, b"LATENCY HISTOGRAM eval nope\r\n", 1).await;
    let histogram = String::from_utf8_lossy(&histogram);
    assert!(
        histogram.starts_with(
            "*2\r\n$4\r\neval\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*2\r\n:"
        ),
        "{histogram:?}"
    );
    assert_exchanges(
        &mut stream,
        &[
            ("LATENCY RESET nope command\r\n", ":1\r\n"),
            ("LATENCY LATEST\r\n", "*0\r\n"),
            (
                "LATENCY GRAPH command\r\n",
                "-ERR unknown subcommand 'GRAPH'. Try LATENCY HELP.\r\n",
            ),
        ],
    )
    .await;
}
