//! Atomic units across a leader kill, with real processes: writers on every node send units of
//! three SETs — MULTI/EXEC transactions, or Lua scripts — while the leader is killed. Each unit
//! is applied whole on every survivor or not at all, never half; every acknowledged one is
//! there; and the survivors hold the same state (equal digests at the same applied index).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redraft_tests::raw::show;
use redraft_tests::{wait_for, Cluster, RawClient};

/// The keys one unit writes; a unit is whole when all of them hold its value.
const KEYS_PER_UNIT: usize = 3;

fn unit_keys(unit: &str) -> Vec<String> {
    (0..KEYS_PER_UNIT).map(|k| format!("{unit}:{k}")).collect()
}

/// What one writer did: units acknowledged, and every unit it sent (acknowledged or not).
#[derive(Default)]
struct UnitLog {
    acked: Vec<String>,
    sent: Vec<String>,
}

/// How a unit travels.
#[derive(Clone, Copy)]
enum Unit {
    Transaction,
    Script,
}

/// The script of a unit: one SET per key, all to the unit's name.
const UNIT_SCRIPT: &str = "for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1]) end \
                           return #KEYS";

/// Sends one unit; `Ok(true)` when it was acknowledged, `Ok(false)` for a cluster error.
async fn send_unit(conn: &mut RawClient, how: Unit, unit: &str) -> Result<bool, String> {
    match how {
        Unit::Transaction => send_transaction(conn, unit).await,
        Unit::Script => send_script(conn, unit).await,
    }
}

async fn send_script(conn: &mut RawClient, unit: &str) -> Result<bool, String> {
    let keys = unit_keys(unit);
    let count = KEYS_PER_UNIT.to_string();
    let mut args = vec!["EVAL", UNIT_SCRIPT, &count];
    args.extend(keys.iter().map(String::as_str));
    args.push(unit);
    let reply = conn.call(&args).await.map_err(|e| e.to_string())?;
    acknowledged(reply, format!(":{KEYS_PER_UNIT}\r\n").as_bytes())
}

/// `Ok(true)` for the acknowledgement, `Ok(false)` for a cluster error, else the reply.
fn acknowledged(reply: Vec<u8>, ack: &[u8]) -> Result<bool, String> {
    match reply.as_slice() {
        r if r == ack => Ok(true),
        r if r.starts_with(b"-CLUSTERDOWN") || r.starts_with(b"-TRYAGAIN") => Ok(false),
        _ => Err(show(&reply)),
    }
}

/// Sends one transaction; `Ok(true)` when EXEC acknowledged it.
async fn send_transaction(conn: &mut RawClient, unit: &str) -> Result<bool, String> {
    let expect = |reply: Vec<u8>, want: &[u8]| match reply == want {
        true => Ok(()),
        false => Err(show(&reply)),
    };
    expect(
        conn.call(&["MULTI"]).await.map_err(|e| e.to_string())?,
        b"+OK\r\n",
    )?;
    for key in unit_keys(unit) {
        let reply = conn
            .call(&["SET", &key, unit])
            .await
            .map_err(|e| e.to_string())?;
        expect(reply, b"+QUEUED\r\n")?;
    }
    let reply = conn.call(&["EXEC"]).await.map_err(|e| e.to_string())?;
    acknowledged(reply, b"*3\r\n+OK\r\n+OK\r\n+OK\r\n")
}

/// A bounded writer on one node: units until `stop`, 5,000 units or 60 s.
async fn run_writer(
    port: u16,
    how: Unit,
    tag: String,
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicU64>,
) -> UnitLog {
    let started = Instant::now();
    let mut log = UnitLog::default();
    let mut client: Option<RawClient> = None;
    for i in 0..5_000 {
        if stop.load(Ordering::Relaxed) || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        if client.is_none() {
            client = RawClient::connect(port).await.ok();
            if client.is_none() {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        }
        let conn = client.as_mut().expect("connected");
        let unit = format!("{tag}-{i}");
        log.sent.push(unit.clone());
        match send_unit(conn, how, &unit).await {
            Ok(true) => {
                log.acked.push(unit);
                acked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(false) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(_) => {
                // A broken connection drops its transaction; never reuse it.
                client = None;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    log
}

async fn wait_acked(acked: &AtomicU64, at_least: u64) {
    wait_for("acknowledged units", Duration::from_secs(30), || async {
        let n = acked.load(Ordering::Relaxed);
        match n >= at_least {
            true => Ok(()),
            false => Err(format!("{n} acknowledged")),
        }
    })
    .await;
}

/// How many of `unit`'s keys hold its value on node `id`.
async fn keys_present(cluster: &Cluster, id: u64, unit: &str) -> usize {
    let mut conn = cluster.raw(id).await;
    let mut args = vec!["MGET".to_string()];
    args.extend(unit_keys(unit));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let reply = conn.call(&args).await.expect("MGET");
    let text = String::from_utf8_lossy(&reply).into_owned();
    text.matches(&format!("\r\n{unit}\r\n")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_in_flight_across_a_leader_kill_apply_whole_or_not_at_all() {
    units_across_a_leader_kill(Unit::Transaction).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_in_flight_across_a_leader_kill_apply_whole_or_not_at_all() {
    units_across_a_leader_kill(Unit::Script).await;
}

async fn units_across_a_leader_kill(how: Unit) {
    let cluster = Cluster::start(3).await;
    let old_leader = cluster.leader().await;
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = cluster
        .ids()
        .into_iter()
        .map(|id| {
            let (stop, acked) = (stop.clone(), acked.clone());
            tokio::spawn(run_writer(
                cluster.port(id),
                how,
                format!("t{id}"),
                stop,
                acked,
            ))
        })
        .collect();
    wait_acked(&acked, 30).await;
    cluster.kill(old_leader);
    let at_kill = acked.load(Ordering::Relaxed);
    wait_acked(&acked, at_kill + 30).await;
    stop.store(true, Ordering::Relaxed);
    let mut logs = Vec::new();
    for writer in writers {
        logs.push(writer.await.expect("writer task"));
    }
    let applied = cluster.wait_applied_equal().await;
    let survivors = cluster.up_ids();
    for log in &logs {
        for unit in &log.sent {
            for &id in &survivors {
                let present = keys_present(&cluster, id, unit).await;
                let acked = log.acked.contains(unit);
                assert!(
                    present == KEYS_PER_UNIT || (present == 0 && !acked),
                    "unit {unit} (acknowledged: {acked}) has {present} of {KEYS_PER_UNIT} keys on node {id}"
                );
            }
        }
    }
    let mut digests = Vec::new();
    for &id in &survivors {
        let reply = cluster
            .raw(id)
            .await
            .call(&["RAFT", "DIGEST"])
            .await
            .expect("DIGEST");
        digests.push(String::from_utf8_lossy(&reply).into_owned());
    }
    assert!(
        digests.windows(2).all(|p| p[0] == p[1]),
        "at {applied}: {digests:?}"
    );
    let sent: usize = logs.iter().map(|log| log.sent.len()).sum();
    let acked: usize = logs.iter().map(|log| log.acked.len()).sum();
    eprintln!("{acked} of {sent} units acknowledged across the kill");
}
