//! A subscribed client's outbox: the messages and confirmations this node pushes to it, in
//! order, until its session writes them. Bounded as Redis bounds a pub/sub client's output
//! (`client-output-buffer-limit pubsub`): a client whose unsent output passes the hard limit,
//! or stays above the soft limit for its number of seconds, is disconnected, and its queue
//! dropped, so a slow subscriber cannot make a node's memory grow without end.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use redraft_engine::Reply;
use tokio::sync::Notify;

/// Redis's `client-output-buffer-limit` for one class of clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimit {
    /// Unsent bytes past which the client is disconnected at once (0: no limit).
    pub hard_bytes: usize,
    /// Unsent bytes the client may stay above for at most `soft_for` (0: no limit).
    pub soft_bytes: usize,
    pub soft_for: Duration,
}

impl OutputLimit {
    /// Redis's default for pub/sub clients: 32 MiB hard, 8 MiB for 60 seconds.
    pub const PUBSUB_DEFAULT: OutputLimit = OutputLimit {
        hard_bytes: 32 << 20,
        soft_bytes: 8 << 20,
        soft_for: Duration::from_secs(60),
    };

    /// Parses Redis's form `<hard> <soft> <seconds>`, sizes with an optional unit
    /// (`32mb`, `8m`, `1gb`, `512kb`, bytes without).
    pub fn parse(text: &str) -> Option<OutputLimit> {
        let [hard, soft, seconds] = text.split_whitespace().collect::<Vec<_>>()[..] else {
            return None;
        };
        Some(OutputLimit {
            hard_bytes: parse_size(hard)?,
            soft_bytes: parse_size(soft)?,
            soft_for: Duration::from_secs(seconds.parse().ok()?),
        })
    }

    /// As CONFIG GET shows it: bytes, bytes, seconds.
    pub fn show(&self) -> String {
        let (hard, soft) = (self.hard_bytes, self.soft_bytes);
        format!("{hard} {soft} {}", self.soft_for.as_secs())
    }
}

pub(crate) fn parse_size(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit: usize = match &lower[digits.len()..] {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<usize>().ok()?.checked_mul(unit)
}

pub struct Outbox {
    limit: OutputLimit,
    queue: Mutex<Queue>,
    /// Wakes the session: frames arrived, or the outbox was closed.
    wake: Notify,
    /// Whether the client speaks RESP3 (HELLO 3): how invalidations reach it.
    resp3: AtomicBool,
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Reply>,
    /// Bytes queued or taken and not yet written.
    unsent: usize,
    /// Since when `unsent` has stayed above the soft limit.
    over_soft_since: Option<Instant>,
    /// Why the client is disconnected, once it is.
    closed: Option<&'static str>,
    /// The last subscription request of the session confirmed here.
    confirmed_seq: u64,
}

impl Outbox {
    pub fn new(limit: OutputLimit) -> Outbox {
        Outbox {
            limit,
            queue: Mutex::default(),
            wake: Notify::new(),
            resp3: AtomicBool::new(false),
        }
    }

    pub fn set_resp3(&self, resp3: bool) {
        self.resp3.store(resp3, Ordering::Relaxed);
    }

    pub fn resp3(&self) -> bool {
        self.resp3.load(Ordering::Relaxed)
    }

    /// Queues `frame`; disconnects the client when its output passes the limits.
    pub fn push(&self, frame: Reply) {
        let mut queue = self.lock();
        if queue.closed.is_some() {
            return;
        }
        queue.unsent += frame_bytes(&frame);
        queue.frames.push_back(frame);
        if let Some(why) = self.over_limit(&mut queue) {
            queue.closed = Some(why);
            queue.frames.clear();
        }
        drop(queue);
        self.wake.notify_one();
    }

    fn over_limit(&self, queue: &mut Queue) -> Option<&'static str> {
        let limit = &self.limit;
        if limit.hard_bytes > 0 && queue.unsent > limit.hard_bytes {
            return Some("output buffer past its hard limit");
        }
        if limit.soft_bytes == 0 || queue.unsent <= limit.soft_bytes {
            queue.over_soft_since = None;
            return None;
        }
        let since = *queue.over_soft_since.get_or_insert_with(Instant::now);
        (since.elapsed() >= limit.soft_for)
            .then_some("output buffer above its soft limit for too long")
    }

    /// Takes the queued frames, and their size, to pass to [`Outbox::written`] once sent.
    pub fn take(&self) -> (Vec<Reply>, usize) {
        let mut queue = self.lock();
        let frames: Vec<Reply> = queue.frames.drain(..).collect();
        let bytes = frames.iter().map(frame_bytes).sum();
        (frames, bytes)
    }

    pub fn has_frames(&self) -> bool {
        !self.lock().frames.is_empty()
    }

    /// `bytes` taken with [`Outbox::take`] reached the socket.
    pub fn written(&self, bytes: usize) {
        let mut queue = self.lock();
        queue.unsent = queue.unsent.saturating_sub(bytes);
        if queue.unsent <= self.limit.soft_bytes {
            queue.over_soft_since = None;
        }
    }

    /// Disconnects the client (its node lost the cluster, or it was too slow).
    pub fn close(&self, why: &'static str) {
        let mut queue = self.lock();
        queue.closed.get_or_insert(why);
        queue.frames.clear();
        drop(queue);
        self.wake.notify_one();
    }

    /// Why the client must be disconnected, if it must.
    pub fn closed(&self) -> Option<&'static str> {
        self.lock().closed
    }

    /// Notes that the session's subscription request `seq` was applied and confirmed.
    pub fn confirm(&self, seq: u64) {
        let mut queue = self.lock();
        queue.confirmed_seq = queue.confirmed_seq.max(seq);
        drop(queue);
        self.wake.notify_one();
    }

    pub fn confirmed(&self, seq: u64) -> bool {
        self.lock().confirmed_seq >= seq
    }

    /// Resolves when frames arrive, a request is confirmed or the outbox closes (at once if
    /// that happened since the last wait).
    pub async fn changed(&self) {
        self.wake.notified().await
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// About what a frame costs as RESP bytes (payloads, plus headers).
fn frame_bytes(frame: &Reply) -> usize {
    match frame {
        Reply::Bulk(bytes) => bytes.len() + 16,
        Reply::Push(items) | Reply::Array(items) => {
            8 + items.iter().map(frame_bytes).sum::<usize>()
        }
        _ => 24,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(bytes: usize) -> Reply {
        Reply::Push(vec![
            Reply::bulk("message"),
            Reply::bulk("c"),
            Reply::Bulk(vec![b'x'; bytes]),
        ])
    }

    #[test]
    fn limits_parse_as_redis_writes_them() {
        assert_eq!(
            OutputLimit::parse("32mb 8mb 60"),
            Some(OutputLimit::PUBSUB_DEFAULT)
        );
        let limit = OutputLimit::parse("1k 512 0").unwrap();
        assert_eq!((limit.hard_bytes, limit.soft_bytes), (1000, 512));
        assert_eq!(limit.show(), "1000 512 0");
        for bad in ["", "1 2", "1 2 3 4", "1xb 2 3", "1 2 -3"] {
            assert_eq!(OutputLimit::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_client_past_the_hard_limit_is_closed_and_its_queue_dropped() {
        let outbox = Outbox::new(OutputLimit {
            hard_bytes: 10_000,
            soft_bytes: 0,
            soft_for: Duration::ZERO,
        });
        outbox.push(message(4_000));
        let (frames, bytes) = outbox.take();
        assert_eq!(frames.len(), 1);
        // Taken but not yet written still counts.
        outbox.push(message(4_000));
        assert_eq!(outbox.closed(), None);
        outbox.push(message(4_000));
        assert!(outbox.closed().is_some());
        assert!(outbox.take().0.is_empty());
        outbox.written(bytes);
        outbox.push(message(1));
        assert!(
            outbox.take().0.is_empty(),
            "a closed outbox takes nothing more"
        );
    }

    #[test]
    fn a_client_above_the_soft_limit_for_too_long_is_closed_but_not_one_that_catches_up() {
        let outbox = Outbox::new(OutputLimit {
            hard_bytes: 0,
            soft_bytes: 1_000,
            soft_for: Duration::ZERO,
        });
        outbox.push(message(500));
        assert_eq!(outbox.closed(), None);
        outbox.push(message(600));
        assert!(outbox.closed().is_some());
        let patient = Outbox::new(OutputLimit {
            soft_for: Duration::from_secs(3600),
            ..OutputLimit::PUBSUB_DEFAULT
        });
        patient.push(message(9 << 20));
        let (_, bytes) = patient.take();
        patient.written(bytes);
        patient.push(message(9 << 20));
        assert_eq!(patient.closed(), None);
    }
}
