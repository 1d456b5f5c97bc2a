//! The transport settings every plenary server and client shares, in one place: HTTP/2
//! flow-control windows sized for batched frames, keep-alive pings, no Nagle, and the
//! accept loop that bounds connections.
//!
//! [`incoming`] replaces a plain listener stream for the chair and the delegation SDK:
//! it caps the connections open at once (past the cap a new connection is closed at
//! once), turns off Nagle (tonic's own socket options apply only when it binds the
//! socket itself, and Nagle with delayed ACKs stalls small answer frames by 40 ms), sets
//! TCP keep-alive, and closes a connection whose client does not send the HTTP/2
//! preface within [`PREFACE_TIMEOUT`] (a slowloris holds nothing for long).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// HTTP/2 flow-control window of one stream: a frame carries the questions (or answers)
/// of every seat an endpoint plays in every match in flight, far beyond the 64 kB
/// default that would cost round trips inside a frame.
pub const STREAM_WINDOW: u32 = 4 * 1024 * 1024;

/// HTTP/2 flow-control window of one connection.
pub const CONNECTION_WINDOW: u32 = 8 * 1024 * 1024;

/// Interval of HTTP/2 keep-alive pings (a peer that stops answering them is dropped).
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);

/// How long a keep-alive ping may go unanswered.
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// TCP keep-alive of accepted connections (a vanished host is noticed by the kernel).
pub const TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// How long a new connection may take to send the HTTP/2 connection preface.
pub const PREFACE_TIMEOUT: Duration = Duration::from_secs(10);

/// The 24 bytes every HTTP/2 connection starts with.
const PREFACE_LEN: usize = 24;

/// An accepted connection that holds its place under the connection cap until closed.
pub struct Conn {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl Connected for Conn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Waits (at most [`PREFACE_TIMEOUT`]) until the client has sent the HTTP/2 preface's
/// worth of bytes, without consuming them.
async fn preface_arrives(stream: &TcpStream) -> bool {
    let wait = async {
        let mut buf = [0u8; PREFACE_LEN];
        loop {
            match stream.peek(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) if n >= PREFACE_LEN => return true,
                // Part of it: wait a moment for the rest.
                Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    };
    tokio::time::timeout(PREFACE_TIMEOUT, wait)
        .await
        .unwrap_or(false)
}

/// The connections of `listener`, at most `max_connections` open at once, each past
/// its HTTP/2 preface (see the module docs). Hand the stream to tonic's
/// `serve_with_incoming_shutdown`.
pub fn incoming(
    listener: TcpListener,
    max_connections: usize,
) -> tokio_stream::wrappers::ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(64);
    let permits = Arc::new(Semaphore::new(max_connections.max(1)));
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then accept again.
                    tracing::warn!(%e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                tracing::warn!(max_connections, "connection refused: too many open");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let keepalive = socket2::TcpKeepalive::new().with_time(TCP_KEEPALIVE);
            let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive);
            if tx.is_closed() {
                // The server is gone.
                return;
            }
            let tx = tx.clone();
            tokio::spawn(async move {
                if preface_arrives(&stream).await {
                    let _ = tx
                        .send(Ok(Conn {
                            stream,
                            _permit: permit,
                        }))
                        .await;
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio_stream::StreamExt;

    #[tokio::test]
    async fn connections_are_capped_and_must_send_the_preface() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut conns = incoming(listener, 2);
        // A client that says nothing is never handed over.
        let _silent = TcpStream::connect(addr).await.unwrap();
        // One that sends the preface is.
        let mut speaker = TcpStream::connect(addr).await.unwrap();
        speaker
            .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .await
            .unwrap();
        let first = tokio::time::timeout(Duration::from_secs(30), conns.next())
            .await
            .expect("handed over")
            .unwrap()
            .unwrap();
        assert_eq!(first.connect_info().remote_addr, speaker.local_addr().ok());
        // Both places are taken (the silent one until its preface timeout): a third
        // connection is closed at once.
        let mut third = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(30), async {
            use tokio::io::AsyncReadExt;
            third.read(&mut buf).await
        })
        .await
        .expect("closed at once");
        assert!(matches!(n, Ok(0) | Err(_)));
    }
}
