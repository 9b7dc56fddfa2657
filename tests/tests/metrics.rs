//! `--metrics-addr` (issue 14): every node of a three-node cluster serves its metrics in the
//! Prometheus text format, and they agree with each other and with what was sent. Then the
//! real consumers: a Prometheus server scraping the three nodes, and the Redis exporter reading
//! a node's INFO (each skipped, saying so, when its Debian package is not installed).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use redraft_tests::ports::free_port;
use redraft_tests::{wait_for, Cluster, ClusterOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// SETs sent to each node.
const SETS_PER_NODE: u64 = 20;
/// Bound on an external tool (Prometheus, the exporter) starting and reporting.
const TOOL_TIMEOUT: Duration = Duration::from_secs(90);

/// A plain HTTP/1.1 GET on 127.0.0.1: the status code and the body.
async fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect to {port}: {e}"))?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(|e| e.to_string())?;
        let response = String::from_utf8_lossy(&response).to_string();
        let (head, body) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("no end of head in {response:?}"))?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("no status in {head:?}"))?;
        Ok((status, body.to_string()))
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| format!("GET {path} on {port} timed out"))?
}

/// Series (name with labels, as printed) to value, from the text format.
fn parse(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .collect()
}

async fn scrape(cluster: &Cluster, id: u64) -> BTreeMap<String, f64> {
    let (status, body) = http_get(cluster.metrics_port(id), "/metrics")
        .await
        .unwrap_or_else(|e| panic!("scraping node {id}: {e}"));
    assert_eq!(status, 200, "node {id}: {body}");
    parse(&body)
}

fn value(metrics: &BTreeMap<String, f64>, series: &str) -> f64 {
    *metrics
        .get(series)
        .unwrap_or_else(|| panic!("no {series} in {metrics:?}"))
}

/// Sends SETS_PER_NODE SETs to each node, one at a time.
async fn write_through_every_node(cluster: &Cluster) {
    for id in cluster.ids() {
        let mut conn = cluster.conn(id).await;
        for i in 0..SETS_PER_NODE {
            let _: () = redis::cmd("SET")
                .arg(format!("key:{id}:{i}"))
                .arg(i)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    }
}

/// Scrapes every node; the scrapes if they show one term, one leader and a snapshot built on
/// every node.
async fn settled_round(cluster: &Cluster) -> Result<BTreeMap<u64, BTreeMap<String, f64>>, String> {
    let mut scrapes = BTreeMap::new();
    for id in cluster.ids() {
        scrapes.insert(id, scrape(cluster, id).await);
    }
    let all = |name: &str| -> Vec<f64> { scrapes.values().map(|m| value(m, name)).collect() };
    let (terms, leaders) = (all("redraft_raft_term"), all("redraft_raft_is_leader"));
    let snapshots = all("redraft_raft_snapshot_builds_total");
    let one_term = terms.iter().all(|&t| t == terms[0]);
    let one_leader = leaders.iter().sum::<f64>() == 1.0;
    match one_term && one_leader && snapshots.iter().all(|&n| n >= 1.0) {
        true => Ok(scrapes),
        false => Err(format!(
            "terms {terms:?}, is_leader {leaders:?}, snapshots {snapshots:?}"
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_serves_metrics_that_agree_with_the_cluster() {
    // Snapshots every 40 entries: the writes below make each node build one.
    let options = ClusterOptions::default()
        .metrics()
        .args(&["--snapshot-logs", "40"]);
    let cluster = Cluster::start_with(3, options).await;
    let ids = cluster.ids();
    write_through_every_node(&cluster).await;
    cluster.wait_applied_equal().await;
    // A term could move between two scrapes only through an election, and snapshots are built
    // in the background: scrape until a round sees one term, one leader and a snapshot built
    // on every node (bounded).
    let scrapes = wait_for("one term, one leader, snapshots", TOOL_TIMEOUT, || {
        settled_round(&cluster)
    })
    .await;
    let leader = ids
        .iter()
        .copied()
        .find(|id| value(&scrapes[id], "redraft_raft_is_leader") == 1.0)
        .unwrap();
    let writes = SETS_PER_NODE * ids.len() as u64;
    for &id in &ids {
        let metrics = &scrapes[&id];
        assert_eq!(value(metrics, "redraft_raft_node_id"), id as f64);
        assert_eq!(
            value(metrics, "redraft_raft_leader_id"),
            leader as f64,
            "node {id}"
        );
        assert!(
            value(metrics, "redraft_raft_applied_index") >= writes as f64,
            "node {id} applied fewer entries than the {writes} writes: {metrics:?}"
        );
        assert!(
            value(metrics, "redraft_commands_total{command=\"set\"}") >= SETS_PER_NODE as f64,
            "node {id} counted fewer SETs than it was sent"
        );
        assert!(
            value(
                metrics,
                "redraft_command_duration_seconds_count{command=\"set\"}"
            ) >= 1.0
        );
        let role = if id == leader { "leader" } else { "follower" };
        assert_eq!(
            value(metrics, &format!("redraft_raft_role{{role=\"{role}\"}}")),
            1.0
        );
        assert!(value(metrics, "redraft_raft_log_fsync_seconds_count") >= 1.0);
        assert!(value(metrics, "redraft_raft_leader_changes_total") >= 1.0);
        // The first election raised every node's term from 0 (the observer reads the term
        // from openraft's server metrics).
        assert!(value(metrics, "redraft_raft_elections_total") >= 1.0);
        assert!(value(metrics, "redraft_resident_memory_bytes") > 0.0);
        if id != leader {
            // Its SETs went to the leader.
            assert!(value(metrics, "redraft_raft_forwarded_writes_total") >= 1.0);
            assert!(value(metrics, "redraft_raft_forwards_total") >= 1.0);
            assert!(!metrics
                .keys()
                .any(|k| k.starts_with("redraft_raft_follower_lag")));
        }
        assert!(value(metrics, "redraft_raft_snapshot_build_seconds_count") >= 1.0);
        assert!(value(metrics, "redraft_raft_snapshot_index") >= 1.0);
        // Each node logs the leader it learns of and the snapshots it builds.
        let log = cluster.log_tail(id, 10_000);
        assert!(log.contains("leader changed"), "node {id} log: {log}");
        assert!(log.contains("snapshot built"), "node {id} log: {log}");
    }
    for &follower in ids.iter().filter(|&&id| id != leader) {
        let series = format!("redraft_raft_follower_lag_entries{{follower=\"{follower}\"}}");
        assert!(value(&scrapes[&leader], &series) >= 0.0);
        let matched = format!("redraft_raft_follower_match_index{{follower=\"{follower}\"}}");
        assert!(value(&scrapes[&leader], &matched) >= 1.0);
    }
    // Every metric the Grafana dashboard queries is one some node serves.
    let served: std::collections::BTreeSet<&str> = scrapes
        .values()
        .flat_map(|m| m.keys())
        .map(|series| series.split('{').next().unwrap_or(series))
        .collect();
    for expr in dashboard_queries() {
        for name in metric_names(&expr) {
            assert!(
                served.contains(name.as_str()),
                "the dashboard queries {name}, which no node serves"
            );
        }
    }
    for path in ["/", "/metrics/x", "/other"] {
        let (status, _) = http_get(cluster.metrics_port(leader), path).await.unwrap();
        assert_eq!(status, 404, "GET {path}");
    }
}

/// The PromQL expressions of deploy/grafana/redraft-dashboard.json (its `"expr"` strings).
fn dashboard_queries() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/grafana/redraft-dashboard.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let queries: Vec<String> = text
        .split("\"expr\": \"")
        .skip(1)
        .map(|rest| {
            let mut expr = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => expr.extend(chars.next()),
                    c => expr.push(c),
                }
            }
            expr
        })
        .collect();
    assert!(queries.len() >= 10, "few queries found in {path}");
    queries
}

/// The `redraft_` metric names in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("redraft_"))
        .map(str::to_string)
        .collect()
}

/// `text` fit for a URL's query string.
fn url_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A child process killed and reaped when dropped.
struct Tool(Child);

impl Drop for Tool {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A missing tool skips the test on a developer's machine, but fails it under tests/run.sh,
/// which installs the tools and sets REDRAFT_REQUIRE_TOOLS: there a skip would hide a failure.
fn skip_or_fail(why: &str) {
    assert!(
        std::env::var_os("REDRAFT_REQUIRE_TOOLS").is_none(),
        "{why}, and REDRAFT_REQUIRE_TOOLS is set"
    );
    eprintln!("SKIPPED: {why}");
}

fn installed(binary: &str) -> bool {
    Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn start_tool(binary: &str, args: &[String], log: &Path) -> Tool {
    let out = std::fs::File::create(log).expect("tool log");
    let err = out.try_clone().expect("tool log");
    let child = Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("start {binary}: {e}"));
    Tool(child)
}

/// The numbers in a Prometheus API answer's `"value":[time,"number"]` pairs.
fn api_values(body: &str) -> Vec<f64> {
    body.split("\"value\":[")
        .skip(1)
        .filter_map(|rest| {
            let (_, after_time) = rest.split_once(",\"")?;
            let (number, _) = after_time.split_once('"')?;
            number.parse().ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_every_node_and_answers_queries() {
    if !installed("prometheus") {
        skip_or_fail("no prometheus binary (Debian: apt-get install prometheus)");
        return;
    }
    let cluster = Cluster::start_with(3, ClusterOptions::default().metrics()).await;
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<String> = cluster
        .ids()
        .iter()
        .map(|&id| format!("'127.0.0.1:{}'", cluster.metrics_port(id)))
        .collect();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         scrape_configs:\n  - job_name: redraft\n    static_configs:\n      - targets: [{}]\n",
        targets.join(", ")
    );
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).unwrap();
    let port = free_port();
    let _prometheus = start_tool(
        "prometheus",
        &[
            format!("--config.file={}", config_path.display()),
            format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
        &dir.path().join("prometheus.log"),
    );
    let log = dir.path().join("prometheus.log");
    let conn = cluster.conn(cluster.leader().await).await;
    let query = |q: &'static str| async move {
        let path = format!("/api/v1/query?query={q}");
        let (status, body) = http_get(port, &path).await?;
        let values = api_values(&body);
        match status == 200 && body.contains("\"status\":\"success\"") {
            true => Ok(values),
            false => Err(format!("{status} {body}")),
        }
    };
    // Writes keep coming while Prometheus takes a few scrapes.
    let rate = wait_for("a SET rate from Prometheus", TOOL_TIMEOUT, || {
        let mut conn = conn.clone();
        let log = &log;
        async move {
            for i in 0..20 {
                let _: () = redis::cmd("SET")
                    .arg(format!("p:{i}"))
                    .arg(i)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let values =
                query("sum(rate(redraft_commands_total%7Bcommand%3D%22set%22%7D%5B5s%5D))")
                    .await
                    .map_err(|e| {
                        format!(
                            "{e}; log: {}",
                            std::fs::read_to_string(log).unwrap_or_default()
                        )
                    })?;
            match values.first() {
                Some(&rate) if rate > 0.0 => Ok(rate),
                _ => Err(format!("no rate yet: {values:?}")),
            }
        }
    })
    .await;
    assert!(rate > 0.0);
    let applied = wait_for(
        "every node's applied index in Prometheus",
        TOOL_TIMEOUT,
        || async {
            let values = query("redraft_raft_applied_index").await?;
            match values.len() == 3 && values.iter().all(|&v| v >= 20.0) {
                true => Ok(values),
                false => Err(format!("{values:?}")),
            }
        },
    )
    .await;
    assert_eq!(applied.len(), 3);
    // Every query of the Grafana dashboard is one Prometheus accepts.
    for expr in dashboard_queries() {
        let expr = expr
            .replace("$__rate_interval", "10s")
            .replace("$job", ".*")
            .replace("$instance", ".*");
        let path = format!("/api/v1/query?query={}", url_encoded(&expr));
        let (status, body) = http_get(port, &path).await.unwrap();
        assert!(
            status == 200 && body.contains("\"status\":\"success\""),
            "Prometheus refuses the dashboard's {expr}: {status} {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_exporter_reads_a_nodes_info() {
    if !installed("prometheus-redis-exporter") {
        skip_or_fail(
            "no prometheus-redis-exporter binary \
             (Debian: apt-get install prometheus-redis-exporter)",
        );
        return;
    }
    let cluster = Cluster::start(3).await;
    let id = cluster.followers().await[0];
    let mut conn = cluster.conn(id).await;
    for i in 0..10 {
        let _: () = redis::cmd("SET")
            .arg(format!("e:{i}"))
            .arg(i)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    // The writes were acknowledged by the leader; a read through the follower waits until the
    // follower applied them too, so that its INFO keyspace counts them (INFO takes no barrier).
    let last: Option<String> = redis::cmd("GET")
        .arg("e:9")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(last.as_deref(), Some("9"));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _exporter = start_tool(
        "prometheus-redis-exporter",
        &[
            format!("--redis.addr=redis://127.0.0.1:{}", cluster.port(id)),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
        &dir.path().join("exporter.log"),
    );
    let metrics = wait_for(
        "the exporter's metrics of the node",
        TOOL_TIMEOUT,
        || async {
            let (status, body) = http_get(port, "/metrics").await?;
            let metrics = parse(&body);
            match status == 200 && metrics.get("redis_up") == Some(&1.0) {
                true => Ok(metrics),
                false => Err(format!("{status}: {}", &body[..body.len().min(2000)])),
            }
        },
    )
    .await;
    assert!(
        value(&metrics, "redis_connected_clients") >= 1.0,
        "{metrics:?}"
    );
    assert!(
        value(&metrics, "redis_db_keys{db=\"db0\"}") >= 10.0,
        "{metrics:?}"
    );
    assert!(
        value(&metrics, "redis_commands_processed_total") >= 10.0,
        "{metrics:?}"
    );
    // INFO's persistence, cpu and replication sections, in Redis's shape (issue 14): the
    // follower applied the ten SETs, and is a replica whose link to its leader is up.
    assert!(
        value(&metrics, "redis_rdb_changes_since_last_save") >= 10.0,
        "{metrics:?}"
    );
    assert!(
        value(&metrics, "redis_cpu_user_seconds_total") > 0.0,
        "{metrics:?}"
    );
    let link_up = metrics
        .iter()
        .find(|(series, _)| series.starts_with("redis_master_link_up{"));
    assert_eq!(link_up.map(|(_, up)| *up), Some(1.0), "{metrics:?}");
    // INFO's `role` is Redis's (the raft section, which has its own, comes before it).
    assert!(
        metrics
            .keys()
            .any(|series| series.starts_with("redis_instance_info{")
                && series.contains("role=\"slave\"")),
        "{metrics:?}"
    );
}
