//! A stream of requests that the reader of their answers can cut short.
//!
//! A gRPC client goes on polling a call's request stream after the caller has dropped the
//! response: hyper's pipe of the request body lives until the body ends or the peer resets the
//! HTTP/2 stream. openraft's stream of AppendEntries holds its replication's state lock while it
//! waits for entries to send, so a request stream left polled after its session ended kept the
//! next session from starting until the leader's log moved; once writes stopped, a follower
//! stayed behind for good (the fault suite's partition and crash schedules found it). Cutting
//! drops the requests at once, with whatever they hold, and wakes the transport so that it ends
//! the call's body.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio_stream::Stream;

/// The requests, until cut.
pub(crate) struct CutStream<S> {
    slot: Arc<Mutex<Slot<S>>>,
}

/// Cuts its [`CutStream`] when dropped.
pub(crate) struct Cutter<S> {
    slot: Arc<Mutex<Slot<S>>>,
}

struct Slot<S> {
    /// None once cut.
    requests: Option<S>,
    /// The task that last found the requests pending: woken by the cut to see their end.
    waker: Option<Waker>,
}

/// `requests` as a stream that ends, dropping them, when the returned [`Cutter`] is dropped.
pub(crate) fn cut_stream<S>(requests: S) -> (CutStream<S>, Cutter<S>) {
    let slot = Arc::new(Mutex::new(Slot {
        requests: Some(requests),
        waker: None,
    }));
    (CutStream { slot: slot.clone() }, Cutter { slot })
}

/// The slot, also when a panic poisoned it (it holds no invariant a panic could break).
fn lock<S>(slot: &Mutex<Slot<S>>) -> MutexGuard<'_, Slot<S>> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<S: Stream + Unpin> Stream for CutStream<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut slot = lock(&self.slot);
        let Some(requests) = slot.requests.as_mut() else {
            return Poll::Ready(None);
        };
        let next = Pin::new(requests).poll_next(cx);
        if next.is_pending() {
            slot.waker = Some(cx.waker().clone());
        }
        next
    }
}

impl<S> Drop for Cutter<S> {
    fn drop(&mut self) {
        let (requests, waker) = {
            let mut slot = lock(&self.slot);
            (slot.requests.take(), slot.waker.take())
        };
        // Dropped outside the slot's lock: what the requests hold may take time to release.
        drop(requests);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio_stream::StreamExt;

    use super::*;

    /// Notes its drop (what a stream of requests holds, in the tests of cutting it).
    pub(crate) struct Held(pub(crate) Arc<AtomicBool>);

    impl Drop for Held {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn a_cut_drops_the_requests_and_wakes_their_reader_to_their_end() {
        let dropped = Arc::new(AtomicBool::new(false));
        let held = Held(dropped.clone());
        // One request, then a wait for more that holds `held` (as openraft's holds its lock).
        let requests =
            tokio_stream::once(1).chain(futures_util::stream::unfold(held, |held| async move {
                std::future::pending::<()>().await;
                Some((2, held))
            }));
        let (mut requests, cutter) = cut_stream(Box::pin(requests));
        assert_eq!(requests.next().await, Some(1));
        let reader = tokio::spawn(async move { requests.next().await });
        tokio::task::yield_now().await;
        assert!(!reader.is_finished() && !dropped.load(Ordering::SeqCst));

        drop(cutter);
        assert!(dropped.load(Ordering::SeqCst), "the cut drops the requests");
        let end = tokio::time::timeout(std::time::Duration::from_secs(5), reader).await;
        assert_eq!(end.expect("the reader is woken").unwrap(), None);
    }
}
