//! A tiny RESP client that sends exact bytes and returns each reply's exact bytes.
//!
//! redis-protocol's decoder only finds where a complete reply ends; the bytes are
//! returned untouched so that tests compare them with redis-server's byte for byte.

use std::io;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use redis_protocol::resp2::decode::decode;
use redis_protocol::resp2::types::OwnedFrame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Default bound on waiting for one reply: longer than the server's default request
/// timeout (5 s) so that a server-side timeout shows as its error, not as ours.
pub const REPLY_TIMEOUT_DEFAULT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Encodes `args` as a RESP array of bulk strings (what clients send).
pub fn command_bytes<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Shows reply bytes readably (`\r\n` escaped) for assertion messages.
pub fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).escape_debug().to_string()
}

/// The length of the complete reply at the start of `buf`, RESP2 or RESP3; None while it is
/// incomplete.
fn reply_len(buf: &[u8]) -> io::Result<Option<usize>> {
    if let Ok(found) = decode(buf) {
        return Ok(found.map(|(_, len)| len));
    }
    match redis_protocol::resp3::decode::complete::decode_range(buf) {
        Ok(found) => Ok(found.map(|(_, len)| len)),
        Err(e) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("undecodable reply {}: {e:?}", show(buf)),
        )),
    }
}

/// One TCP connection speaking raw RESP.
pub struct RawClient {
    stream: TcpStream,
    buf: BytesMut,
    reply_timeout: Duration,
}

impl RawClient {
    /// Connects to 127.0.0.1:`port` (bounded).
    pub async fn connect(port: u16) -> io::Result<Self> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(("127.0.0.1", port)))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: BytesMut::with_capacity(16 * 1024),
            reply_timeout: REPLY_TIMEOUT_DEFAULT,
        })
    }

    /// Sets the bound on waiting for one reply.
    pub fn set_reply_timeout(&mut self, timeout: Duration) {
        self.reply_timeout = timeout;
    }

    /// Writes `bytes` exactly as given.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Reads one complete reply, RESP2 or RESP3 (after HELLO 3), and returns its exact bytes.
    pub async fn read_reply(&mut self) -> io::Result<Vec<u8>> {
        let timeout = self.reply_timeout;
        tokio::time::timeout(timeout, self.read_reply_unbounded())
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no reply within {timeout:?}"),
                )
            })?
    }

    async fn read_reply_unbounded(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(len) = reply_len(&self.buf)? {
                let bytes = self.buf[..len].to_vec();
                self.buf.advance(len);
                return Ok(bytes);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("connection closed; unparsed bytes: {}", show(&self.buf)),
                ));
            }
        }
    }

    /// Reads one complete RESP2 reply: the decoded frame and its exact bytes.
    pub async fn read_frame(&mut self) -> io::Result<(OwnedFrame, Vec<u8>)> {
        let bytes = self.read_reply().await?;
        match decode(&bytes) {
            Ok(Some((frame, _))) => Ok((frame, bytes)),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a RESP2 reply {}: {other:?}", show(&bytes)),
            )),
        }
    }

    /// Sends one command and returns its reply's bytes.
    pub async fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Vec<u8>> {
        self.send(&command_bytes(args)).await?;
        self.read_reply().await
    }

    /// Sends one command and returns its decoded reply.
    pub async fn call_frame<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<OwnedFrame> {
        self.send(&command_bytes(args)).await?;
        Ok(self.read_frame().await?.0)
    }

    /// Whether the server closes the connection within `timeout` (no further bytes
    /// arrive and the stream reaches EOF). Bytes that do arrive are returned as `Err`.
    pub async fn closed_within(&mut self, timeout: Duration) -> Result<bool, Vec<u8>> {
        if !self.buf.is_empty() {
            return Err(self.buf.to_vec());
        }
        let mut scratch = [0u8; 1024];
        match tokio::time::timeout(timeout, self.stream.read(&mut scratch)).await {
            Err(_) => Ok(false),
            Ok(Ok(0)) => Ok(true),
            Ok(Ok(n)) => Err(scratch[..n].to_vec()),
            // A reset is a close as far as the client can tell.
            Ok(Err(_)) => Ok(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_bytes_encodes_an_array_of_bulk_strings() {
        assert_eq!(
            command_bytes(&["SET", "k", ""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n".to_vec()
        );
        assert_eq!(
            command_bytes(&[&b"a\r\nb"[..]]),
            b"*1\r\n$4\r\na\r\nb\r\n".to_vec()
        );
    }

    #[tokio::test]
    async fn read_reply_returns_exactly_one_frame_even_when_split_or_pipelined() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            socket.write_all(b"*2\r\n$3\r\nab").await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            socket
                .write_all(b"c\r\n:7\r\n+OK\r\n-ERR x\r\n")
                .await
                .unwrap();
        });
        let mut client = RawClient::connect(port).await.unwrap();
        assert_eq!(
            client.read_reply().await.unwrap(),
            b"*2\r\n$3\r\nabc\r\n:7\r\n".to_vec()
        );
        assert_eq!(client.read_reply().await.unwrap(), b"+OK\r\n".to_vec());
        assert_eq!(client.read_reply().await.unwrap(), b"-ERR x\r\n".to_vec());
        server.await.unwrap();
        let eof = client.read_reply().await.unwrap_err();
        assert_eq!(eof.kind(), io::ErrorKind::UnexpectedEof);
    }
}
