//! Lingering close: when a connection ends, the server stops writing, then
//! reads and discards what the client is still sending (for a short while)
//! before it closes the socket.
//!
//! Why: the server may answer before it has read the whole request — 413 to
//! an oversized body, 431 to an oversized head, 408 to a stalled upload —
//! and then close. Closing a socket with unread bytes makes the kernel send
//! a reset, and a reset that reaches the client while it is still sending
//! throws away the answer it had not read yet: the client sees "connection
//! reset" instead of the clear error it was sent. Draining first lets the
//! answer arrive. (nginx and Apache do the same, for the same reason.)
//!
//! The drain is bounded in time and bytes, and the connection keeps its
//! slot (see [`crate::server::serve`]) until it ends, so lingering connections count
//! against the connection cap.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

/// Longest a closed connection keeps draining.
const LINGER_TIME: Duration = Duration::from_secs(2);
/// Most bytes a closed connection reads and discards.
const LINGER_BYTES: usize = 64 << 20;

/// A served TCP connection that lingers when dropped, holding `slot` until
/// it has finished.
pub struct LingeringStream {
    /// Always present until `drop` takes it.
    stream: Option<TcpStream>,
    slot: Option<OwnedSemaphorePermit>,
}

impl LingeringStream {
    pub fn new(stream: TcpStream, slot: OwnedSemaphorePermit) -> Self {
        Self {
            stream: Some(stream),
            slot: Some(slot),
        }
    }

    fn stream(self: Pin<&mut Self>) -> Pin<&mut TcpStream> {
        Pin::new(self.get_mut().stream.as_mut().expect("present until dropped"))
    }
}

impl Drop for LingeringStream {
    fn drop(&mut self) {
        let (Some(stream), slot) = (self.stream.take(), self.slot.take()) else {
            return;
        };
        // Outside a runtime (a test dropping it late) the socket just closes.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                drain(stream).await;
                drop(slot);
            });
        }
    }
}

/// Half-closes `stream` and reads until the client closes its side, the
/// time or byte bound is reached, or an error says it is gone.
async fn drain(mut stream: TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let deadline = tokio::time::Instant::now() + LINGER_TIME;
    let mut buffer = vec![0; 16 << 10];
    let mut discarded = 0;
    while discarded < LINGER_BYTES {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(read)) => discarded += read,
        }
    }
}

impl AsyncRead for LingeringStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.stream().poll_read(cx, buf)
    }
}

impl AsyncWrite for LingeringStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.stream().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stream().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream().poll_shutdown(cx)
    }
}
