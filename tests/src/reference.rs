//! A reference `redis-server` for differential tests.

use std::fs::OpenOptions;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::ports::free_port;
use crate::process::{kill_and_reap, tail};
use crate::raw::RawClient;

const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A `redis-server` bound to 127.0.0.1 on a free port, without persistence, in a
/// temporary directory. Dropping it SIGKILLs it.
pub struct RedisServer {
    child: Child,
    port: u16,
    tmp: TempDir,
}

impl RedisServer {
    /// Spawns `redis-server` (from `REDIS_SERVER`, else PATH) and waits (bounded) for PING.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// [`RedisServer::start`] with `args` after the harness's own (`--enable-debug-command yes`).
    pub async fn start_with(args: &[&str]) -> Self {
        let program = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_string());
        let tmp = tempfile::Builder::new()
            .prefix("redis-ref-")
            .tempdir()
            .expect("tempdir");
        let port = free_port();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(tmp.path().join("redis.log"))
            .expect("open redis log");
        let child = Command::new(&program)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(tmp.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("clone log")))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("spawn {program}: {e} (install redis-server or set REDIS_SERVER)")
            });
        let server = Self { child, port, tmp };
        crate::wait_for("redis-server to answer PING", START_TIMEOUT, || async {
            let mut client = RawClient::connect(port).await.map_err(|e| e.to_string())?;
            let reply = client.call(&["PING"]).await.map_err(|e| e.to_string())?;
            if reply == b"+PONG\r\n" {
                Ok(())
            } else {
                Err(crate::raw::show(&reply))
            }
        })
        .await;
        server
    }

    /// Its client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A raw RESP connection to it.
    pub async fn raw(&self) -> RawClient {
        RawClient::connect(self.port)
            .await
            .expect("connect to redis-server")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "===== redis-server log tail =====\n{}",
                tail(&self.tmp.path().join("redis.log"), 20)
            );
        }
        kill_and_reap(&mut self.child);
    }
}
