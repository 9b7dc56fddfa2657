//! A stranger on the Raft port: without the cluster secret (or with a wrong one) it can
//! neither forward a write, nor remove a node, nor move leadership, nor join as a learner,
//! nor ask for a read index, nor send Raft's messages;
//! and a member's removal notice that does not come from the current leader is ignored.

use std::time::Duration;

use redraft_raft::pb::raft_service_client::RaftServiceClient;
use redraft_raft::pb::{
    admin_request, AdminRequest, Command, Empty, ForwardRequest, ForwardRun, NodeAddr, RaftPayload,
    RemovedNotice,
};
use redraft_raft::testing::SECRET_HEADER;
use redraft_tests::Cluster;
use tonic::transport::Channel;
use tonic::{Code, Request};

async fn client(addr: &str) -> RaftServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect to the Raft port");
    RaftServiceClient::new(channel)
}

fn with_secret<T>(message: T, secret: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(secret) = secret {
        request
            .metadata_mut()
            .insert(SECRET_HEADER, secret.parse().unwrap());
    }
    request
}

/// Every call a stranger would make, each refused as unauthenticated.
/// The address a stranger asks to add as a learner: a documentation-only network (RFC 5737),
/// so it cannot appear in the members' list by accident (a real node's `127.0.0.1:15381` starts
/// with `127.0.0.1:1`).
const STRANGER_ADDR: &str = "192.0.2.1:7";

async fn all_refused(addr: &str, id: u64, secret: Option<&str>) {
    let mut c = client(addr).await;
    let write = ForwardRequest {
        runs: vec![ForwardRun {
            db: 0,
            commands: vec![Command {
                argv: vec!["SET".into(), "owned".into(), "yes".into()],
            }],
        }],
    };
    let codes = [
        c.forward(with_secret(write, secret))
            .await
            .err()
            .map(|s| s.code()),
        c.notify_removed(with_secret(
            RemovedNotice {
                node_id: id,
                leader_id: 0,
                term: 0,
            },
            secret,
        ))
        .await
        .err()
        .map(|s| s.code()),
        c.transfer_leader(with_secret(RaftPayload::default(), secret))
            .await
            .err()
            .map(|s| s.code()),
        c.admin(with_secret(
            AdminRequest {
                forwarded: false,
                op: Some(admin_request::Op::AddLearner(NodeAddr {
                    id: 99,
                    addr: STRANGER_ADDR.into(),
                })),
            },
            secret,
        ))
        .await
        .err()
        .map(|s| s.code()),
        c.read_index(with_secret(tokio_stream::iter([Empty {}]), secret))
            .await
            .err()
            .map(|s| s.code()),
        c.stream_append(with_secret(
            tokio_stream::iter([RaftPayload::default()]),
            secret,
        ))
        .await
        .err()
        .map(|s| s.code()),
    ];
    assert!(
        codes
            .iter()
            .all(|code| *code == Some(Code::Unauthenticated)),
        "{secret:?}: {codes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_on_the_raft_port_can_do_nothing() {
    let cluster = Cluster::start(3).await;
    let leader = cluster.leader().await;
    for id in cluster.ids() {
        let addr = cluster.raft_addr(id);
        all_refused(&addr, id, None).await;
        all_refused(&addr, id, Some("guessed")).await;
    }
    // Nothing happened: no write, the same leader, every node serving, no learner.
    let mut redis = cluster.raw(leader).await;
    assert_eq!(redis.call(&["EXISTS", "owned"]).await.unwrap(), b":0\r\n");
    assert_eq!(cluster.leader().await, leader);
    for id in cluster.ids() {
        let mut c = cluster.raw(id).await;
        assert_eq!(c.call(&["SET", "k", "v"]).await.unwrap(), b"+OK\r\n");
    }
    let members = redis.call(&["RAFT", "MEMBERS"]).await.unwrap();
    assert!(!String::from_utf8_lossy(&members).contains(STRANGER_ADDR));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_notice_not_from_the_current_leader_is_ignored() {
    let cluster = Cluster::start(3).await;
    let follower = cluster.followers().await[0];
    let mut c = client(&cluster.raft_addr(follower)).await;
    let notice = RemovedNotice {
        node_id: follower,
        leader_id: follower,
        term: 1,
    };
    let refused = c
        .notify_removed(with_secret(notice, Some(cluster.secret())))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let mut redis = cluster.raw(follower).await;
    assert_eq!(redis.call(&["SET", "k", "v"]).await.unwrap(), b"+OK\r\n");
}
