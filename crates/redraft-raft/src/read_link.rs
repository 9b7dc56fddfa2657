//! A follower's stream of read-index requests to the leader (`ReadIndex` in
//! proto/redraft.proto): kept open between reads, so that a read through a follower costs one
//! message each way instead of a gRPC call (an HTTP/2 stream, headers, a task on the leader).
//!
//! Requests go one at a time (the link's lock is held across each exchange), so the next
//! answer on the stream is the answer to the request just sent. The link is taken out of its
//! slot for an exchange and put back only once the answer came: an exchange that fails, or
//! whose caller goes away in the middle, drops the stream, and the next request opens a new
//! one. (A stream left with an answer owed would hand that stale answer, a read index fixed
//! before the next read began, to the next read.)

use tokio::sync::{mpsc, Mutex};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;

use crate::pb::{Empty, ReadIndexResponse};
use crate::peers::Peers;

/// The open stream, if any, and the leader it goes to.
#[derive(Default)]
pub struct ReadLink {
    open: Mutex<Option<OpenLink>>,
}

struct OpenLink {
    addr: String,
    requests: mpsc::Sender<Empty>,
    answers: Streaming<ReadIndexResponse>,
}

/// Why a request on the link got no answer. A read changes nothing, so the caller may ask
/// again either way.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No connection, or the stream broke.
    #[error("{0}")]
    Broken(String),
    #[error("no answer to the read index request by its deadline")]
    TimedOut,
}

impl ReadLink {
    /// Sends one read-index request to the leader at `addr` and waits (until `deadline`) for
    /// its answer, opening the stream first if none is open to `addr`. The wait for the link,
    /// while another exchange holds it, counts against the same deadline.
    pub async fn ask(
        &self,
        peers: &Peers,
        addr: &str,
        deadline: Instant,
    ) -> Result<ReadIndexResponse, LinkError> {
        let mut open = tokio::time::timeout_at(deadline, self.open.lock())
            .await
            .map_err(|_| LinkError::TimedOut)?;
        let mut link = match open.take() {
            Some(link) if link.addr == addr => link,
            _ => connect(peers, addr, deadline).await?,
        };
        let answer = exchange(&mut link, deadline).await?;
        *open = Some(link);
        Ok(answer)
    }
}

async fn connect(peers: &Peers, addr: &str, deadline: Instant) -> Result<OpenLink, LinkError> {
    let mut client = peers.client(addr).map_err(LinkError::Broken)?;
    // One request at a time is ever queued (see the module comment).
    let (requests, queued) = mpsc::channel(1);
    let call = client.read_index(ReceiverStream::new(queued));
    let answers = match tokio::time::timeout_at(deadline, call).await {
        Ok(Ok(response)) => response.into_inner(),
        Ok(Err(status)) => return Err(LinkError::Broken(status.to_string())),
        Err(_) => return Err(LinkError::TimedOut),
    };
    Ok(OpenLink {
        addr: addr.to_string(),
        requests,
        answers,
    })
}

async fn exchange(link: &mut OpenLink, deadline: Instant) -> Result<ReadIndexResponse, LinkError> {
    if link.requests.send(Empty {}).await.is_err() {
        return Err(LinkError::Broken("the read index stream closed".into()));
    }
    match tokio::time::timeout_at(deadline, link.answers.message()).await {
        Ok(Ok(Some(answer))) => Ok(answer),
        Ok(Ok(None)) => Err(LinkError::Broken(
            "the leader ended the read index stream".into(),
        )),
        Ok(Err(status)) => Err(LinkError::Broken(status.to_string())),
        Err(_) => Err(LinkError::TimedOut),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::future::Future;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use super::*;
    use crate::config::NodeConfig;
    use crate::pb::read_index_response;
    use crate::RaftNode;

    fn read_index(answer: ReadIndexResponse) -> u64 {
        match answer.result {
            Some(read_index_response::Result::Ok(ok)) => ok.read_index,
            other => panic!("no read index: {other:?}"),
        }
    }

    /// A read whose caller went away after its request left must not leave its answer on the
    /// stream for the next read: that answer's index was fixed before the next read began.
    // One thread: while the test polls the abandoned request, nothing else runs, so it is
    // sent and not yet answered when it is dropped.
    #[tokio::test]
    async fn an_abandoned_request_leaves_no_answer_for_the_next() {
        let dir = tempfile::TempDir::new().unwrap();
        let addr = crate::peers::unused_local_addr();
        let node = RaftNode::start(NodeConfig {
            raft_listen: addr,
            raft_advertise: addr.to_string(),
            dir: dir.path().to_path_buf(),
            initial_members: BTreeMap::from([(1, addr.to_string())]),
            heartbeat_ms: 50,
            election_timeout_min_ms: 150,
            election_timeout_max_ms: 300,
            ..NodeConfig::default()
        })
        .await
        .unwrap();
        let peers = Peers::for_tests();
        let (link, addr) = (ReadLink::default(), addr.to_string());
        let deadline = || Instant::now() + Duration::from_secs(10);
        // Wait for the node to lead; the link is then open.
        let first = loop {
            if let Ok(answer) = link.ask(&peers, &addr, deadline()).await {
                if let Some(read_index_response::Result::Ok(ok)) = answer.result {
                    break ok.read_index;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // A request sent, its caller gone before the answer.
        let mut abandoned = Box::pin(link.ask(&peers, &addr, deadline()));
        let waker = std::task::Waker::noop();
        assert!(matches!(
            abandoned.as_mut().poll(&mut Context::from_waker(waker)),
            Poll::Pending
        ));
        drop(abandoned);
        // Time for the request to reach the leader and be answered before the write.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let argv = |parts: &[&str]| parts.iter().map(|p| p.as_bytes().to_vec()).collect();
        node.write(0, vec![argv(&["SET", "k", "v"])]).await.unwrap();
        let after_write = node.status().commit_index;
        assert!(after_write > first);
        let next = read_index(link.ask(&peers, &addr, deadline()).await.unwrap());
        assert!(
            next >= after_write,
            "read index {next} from before the write {after_write}"
        );
        node.shutdown().await;
    }

    /// A request that waits for the link behind another exchange gives up at its own deadline.
    #[tokio::test]
    async fn a_request_waiting_for_the_link_stops_at_its_deadline() {
        let (link, peers) = (ReadLink::default(), Peers::for_tests());
        // Another exchange holds the link (its leader slow to answer).
        let _held = link.open.lock().await;
        let deadline = Instant::now() + Duration::from_millis(50);
        let asked = tokio::time::timeout(
            Duration::from_secs(5),
            link.ask(&peers, "127.0.0.1:1", deadline),
        )
        .await
        .expect("the wait for the link is bounded by the request's deadline");
        assert!(matches!(asked, Err(LinkError::TimedOut)), "{asked:?}");
    }
}
