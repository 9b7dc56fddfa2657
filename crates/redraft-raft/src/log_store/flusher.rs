//! Group commit: one thread fsyncs the log for every append waiting at that moment, so many
//! concurrent client writes share one fsync.

use std::fs::File;
use std::io;
use std::sync::Arc;
use std::thread;

use openraft::storage::LogFlushed;
use tokio::sync::mpsc;

use crate::types::TypeConfig;

/// Appends waiting for their flush; `append()` waits when this many are queued.
const QUEUE_CAPACITY: usize = 4096;

/// Written (not yet durable) log data and the callback to run once it is durable.
pub struct FlushRequest {
    /// The segment the data went to (a roll may leave requests for two segments in a batch).
    pub file: Arc<File>,
    pub done: LogFlushed<TypeConfig>,
}

pub struct Flusher {
    tx: mpsc::Sender<FlushRequest>,
}

impl Flusher {
    /// Starts the flusher thread; it ends once this handle is dropped and the queue drained.
    /// With `fsync == false` it completes requests without syncing.
    pub fn start(fsync: bool) -> io::Result<Flusher> {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        thread::Builder::new()
            .name("raft-log-flusher".into())
            .spawn(move || run(rx, fsync))?;
        Ok(Flusher { tx })
    }

    pub async fn submit(&self, request: FlushRequest) -> io::Result<()> {
        self.tx
            .send(request)
            .await
            .map_err(|_| io::Error::other("log flusher thread stopped"))
    }
}

fn run(mut rx: mpsc::Receiver<FlushRequest>, fsync: bool) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < QUEUE_CAPACITY {
            match rx.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let result = if fsync { sync_files(&batch) } else { Ok(()) };
        for request in batch {
            let result = match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
            };
            request.done.log_io_completed(result);
        }
    }
}

/// fdatasyncs each distinct file of the batch once, in order.
fn sync_files(batch: &[FlushRequest]) -> io::Result<()> {
    let mut synced: Vec<&Arc<File>> = Vec::new();
    for request in batch {
        if synced.iter().any(|f| Arc::ptr_eq(f, &request.file)) {
            continue;
        }
        request.file.sync_data()?;
        synced.push(&request.file);
    }
    Ok(())
}
