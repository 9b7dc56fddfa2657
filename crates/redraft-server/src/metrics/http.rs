//! The metrics endpoint: HTTP/1.1, `GET /metrics` answered with the text format, anything else
//! 404. A scraper needs nothing more, so everything else is bounded small: connections at once,
//! the request head's size and the time to send it, a connection's life (one request each).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connections served at once; more are closed on accept (a scraper needs one or two).
pub const MAX_CONNECTIONS: usize = 16;
/// Bytes of a request head (hyper's smallest buffer): a scrape's head is a few hundred.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Time a client has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection's whole life: the request, the rendering and the reply.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// Renders the metrics text for one scrape.
pub type Render = Arc<dyn Fn() -> String + Send + Sync>;

/// Serves scrapes on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, render: Render) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(%error, "metrics endpoint: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue; // dropped: closed
        };
        let render = render.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let reply = respond(&request, &render);
                async move { Ok::<_, Infallible>(reply) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .max_buf_size(MAX_HEAD_BYTES)
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_TIMEOUT, connection).await;
            drop(slot);
        });
    }
}

/// The reply to one request. Its body, if any, is never read.
fn respond(request: &Request<Incoming>, render: &Render) -> Response<Full<Bytes>> {
    let wanted = matches!(*request.method(), Method::GET | Method::HEAD)
        && request.uri().path() == "/metrics";
    if !wanted {
        let mut reply = Response::new(Full::new(Bytes::from_static(b"not found\n")));
        *reply.status_mut() = StatusCode::NOT_FOUND;
        return reply;
    }
    let mut reply = Response::new(Full::new(Bytes::from(render())));
    reply
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(super::CONTENT_TYPE));
    reply
}
