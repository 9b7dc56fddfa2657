//! Transcripts of several connections at once, for differential tests of pushed frames
//! (pub/sub messages, tracking invalidations): each step sends a command on one connection and
//! reads a known number of frames there, so the same steps against redis-server and redraft
//! give comparable transcripts.

use crate::raw::{command_bytes, show, RawClient};
use crate::reference::RedisServer;

/// On connection `conn`, send `line` (nothing when empty; `{id:N}` stands for connection N's
/// CLIENT ID), then read `frames` frames (replies and pushes alike).
pub struct Step(pub usize, pub &'static str, pub usize);

/// One connection: its port and whether it speaks RESP3 (HELLO 3 first).
#[derive(Clone, Copy, Debug)]
pub struct Conn {
    pub port: u16,
    pub resp3: bool,
}

impl Conn {
    pub fn resp2(port: u16) -> Conn {
        Conn { port, resp3: false }
    }

    pub fn resp3(port: u16) -> Conn {
        Conn { port, resp3: true }
    }
}

/// Runs `steps` on a fresh redis-server (every connection to it, each speaking what its
/// counterpart in `conns` speaks) and on redraft over `conns`, and asserts the same frames.
pub async fn compare_with_redis(conns: &[Conn], steps: &[Step]) {
    let redis = RedisServer::start().await;
    let on_redis: Vec<Conn> = conns
        .iter()
        .map(|conn| Conn {
            port: redis.port(),
            ..*conn
        })
        .collect();
    let reference = run(&on_redis, steps).await;
    let ours = run(conns, steps).await;
    assert_same(&reference, &ours);
}

/// Runs `steps` over fresh connections `conns`; one line per frame read.
pub async fn run(conns: &[Conn], steps: &[Step]) -> Vec<String> {
    let mut clients = Vec::new();
    let mut ids = Vec::new();
    for conn in conns {
        let mut client = RawClient::connect(conn.port).await.unwrap();
        if conn.resp3 {
            client.call(&["HELLO", "3"]).await.unwrap();
        }
        let id = client.call(&["CLIENT", "ID"]).await.unwrap();
        ids.push(
            show(&id)
                .trim_start_matches(':')
                .trim_end_matches("\\r\\n")
                .to_string(),
        );
        clients.push(client);
    }
    let mut transcript = Vec::new();
    for Step(conn, line, frames) in steps {
        let client = &mut clients[*conn];
        if !line.is_empty() {
            let mut text = line.to_string();
            for (n, id) in ids.iter().enumerate() {
                text = text.replace(&format!("{{id:{n}}}"), id);
            }
            let args: Vec<&str> = text.split(' ').collect();
            client.send(&command_bytes(&args)).await.unwrap();
        }
        for _ in 0..*frames {
            let frame = client.read_reply().await.unwrap_or_else(|error| {
                panic!(
                    "port {}: {conn}: {line}: {error}; so far: {transcript:#?}",
                    conns[*conn].port
                )
            });
            transcript.push(format!("{conn}: {line} -> {}", show(&frame)));
        }
    }
    transcript
}

/// Asserts that `ours` gives the transcript `reference` gives, line by line.
pub fn assert_same(reference: &[String], ours: &[String]) {
    for (want, have) in reference.iter().zip(ours) {
        assert_eq!(have, want);
    }
    assert_eq!(ours.len(), reference.len());
}
