//! Lock cycles per second against one server, for tests/bench/locks.sh (not a test).
//!
//!     lock_bench PORT lock|setnx CLIENTS SECONDS
//!
//! Each client takes and releases its own lock in a loop: `lock` with LOCK.ACQUIRE and
//! LOCK.RELEASE; `setnx` with the classic single-instance Redis lock (SET key token NX PX,
//! then a compare-and-delete script). Prints the cycles completed per second.

use std::time::{Duration, Instant};

use redraft_tests::RawClient;

const RELEASE_SCRIPT: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

async fn cycles(port: u16, mode: String, client: usize, until: Instant) -> u64 {
    let mut conn = RawClient::connect(port).await.expect("connect");
    conn.set_reply_timeout(Duration::from_secs(30));
    let name = format!("bench:lock:{client}");
    let owner = format!("owner-{client}");
    let mut done = 0;
    while Instant::now() < until {
        let ok = match mode.as_str() {
            "lock" => {
                let reply = conn
                    .call(&["LOCK.ACQUIRE", &name, &owner, "10000"])
                    .await
                    .expect("acquire");
                let token = String::from_utf8_lossy(&reply[1..reply.len() - 2]).into_owned();
                conn.call(&["LOCK.RELEASE", &name, &token])
                    .await
                    .expect("release")
                    == b"+OK\r\n"
            }
            _ => {
                let token = format!("{owner}-{done}");
                let set = conn
                    .call(&["SET", &name, &token, "NX", "PX", "10000"])
                    .await
                    .expect("set");
                let del = conn
                    .call(&["EVAL", RELEASE_SCRIPT, "1", &name, &token])
                    .await
                    .expect("eval");
                set == b"+OK\r\n" && del == b":1\r\n"
            }
        };
        assert!(ok, "a cycle failed");
        done += 1;
    }
    done
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, port, mode, clients, seconds] = &args[..] else {
        eprintln!("usage: lock_bench PORT lock|setnx CLIENTS SECONDS");
        std::process::exit(2);
    };
    let port: u16 = port.parse().expect("port");
    let clients: usize = clients.parse().expect("clients");
    let seconds: u64 = seconds.parse().expect("seconds");
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|client| tokio::spawn(cycles(port, mode.clone(), client, until)))
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("a client panicked");
    }
    println!("{:.0}", total as f64 / started.elapsed().as_secs_f64());
}
