//! A follower's stream of read-index requests to the leader (`ReadIndex` in
//! proto/redraft.proto): kept open between reads, so that a read through a follower costs one
//! message each way instead of a gRPC call (an HTTP/2 stream, headers, a task on the leader).
//!
//! Requests go one at a time: the follower's read rounds run one after another
//! (`shared_rounds.rs`), so the next answer on the stream is the answer to the request just
//! sent. Any failure drops the stream, and the next round opens a new one.

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
    /// its answer, opening the stream first if none is open to `addr`.
    pub async fn ask(
        &self,
        peers: &Peers,
        addr: &str,
        deadline: Instant,
    ) -> Result<ReadIndexResponse, LinkError> {
        let mut open = self.open.lock().await;
        let link = match open.take() {
            Some(link) if link.addr == addr => open.insert(link),
            _ => open.insert(connect(peers, addr, deadline).await?),
        };
        let answer = exchange(link, deadline).await;
        if answer.is_err() {
            *open = None;
        }
        answer
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
