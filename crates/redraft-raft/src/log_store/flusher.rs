//! The log's fsyncs, off the Raft core's path.
//!
//! openraft 0.10 hands an append to the store and goes on (it replicates the entries while they
//! are written): the store writes the records into the page cache, queues the segment here and
//! returns; this thread syncs it and only then reports the entries flushed, in the order they
//! were appended. Appends that queue while a sync runs share the next one.

use std::fs::File;
use std::io;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use openraft::storage::IOFlushed;

use crate::stats::LatencyHistogram;
use crate::types::TypeConfig;

enum Job {
    /// Sync `file`, then report the append that wrote to it.
    Sync {
        file: Arc<File>,
        flushed: IOFlushed<TypeConfig>,
    },
    /// Answered once every job queued before it is done.
    Barrier(mpsc::SyncSender<()>),
}

pub(crate) struct Flusher {
    jobs: mpsc::Sender<Job>,
}

impl Flusher {
    pub(crate) fn start(fsync_seconds: Arc<LatencyHistogram>) -> io::Result<Flusher> {
        let (jobs, queue) = mpsc::channel();
        thread::Builder::new()
            .name("log-flusher".into())
            .spawn(move || run(&queue, &fsync_seconds))?;
        Ok(Flusher { jobs })
    }

    /// Reports the append flushed once `file` is synced (and every earlier append is).
    pub(crate) fn sync(&self, file: Arc<File>, flushed: IOFlushed<TypeConfig>) {
        if let Err(mpsc::SendError(Job::Sync { flushed, .. })) =
            self.jobs.send(Job::Sync { file, flushed })
        {
            flushed.io_completed(Err(stopped()));
        }
    }

    /// Waits until every append queued so far is synced and reported (before the log is cut:
    /// no report may arrive for entries that are gone).
    pub(crate) fn wait_idle(&self) -> io::Result<()> {
        let (done, wait) = mpsc::sync_channel(1);
        self.jobs.send(Job::Barrier(done)).map_err(|_| stopped())?;
        crate::blocking::long_running(|| wait.recv()).map_err(|_| stopped())
    }
}

fn stopped() -> io::Error {
    io::Error::other("the log's flusher thread stopped")
}

/// Takes what is queued, syncs each segment named once, then reports in order.
fn run(queue: &mpsc::Receiver<Job>, fsync_seconds: &LatencyHistogram) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter());
        let mut synced: Vec<Arc<File>> = Vec::new();
        let mut outcome = Ok(());
        for job in &batch {
            let Job::Sync { file, .. } = job else {
                continue;
            };
            if outcome.is_ok() && !synced.iter().any(|f| Arc::ptr_eq(f, file)) {
                let started = Instant::now();
                outcome = file.sync_data();
                fsync_seconds.observe(started.elapsed());
                synced.push(file.clone());
            }
        }
        for job in batch {
            match job {
                Job::Sync { flushed, .. } => flushed.io_completed(match &outcome {
                    Ok(()) => Ok(()),
                    Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
                }),
                Job::Barrier(done) => {
                    let _ = done.send(());
                }
            }
        }
    }
}
