//! The accept loop: serves the router over HTTP/1.1 (WebSocket upgrades
//! included) with the connection limits of [`Limits`].
//!
//! `axum::serve` has no header-read timeout (hyper's needs a timer it does
//! not set), no write timeout and no connection cap, so a client sending
//! its headers a byte at a time, or never reading its responses, would hold
//! a connection, a file descriptor and its buffers for ever. Here:
//! - at most `max_connections` are served at once; the loop stops
//!   accepting while at the cap, and the kernel queues the rest;
//! - hyper closes a connection whose request head is not complete within
//!   `header_read_timeout` (this also closes idle keep-alive connections);
//! - a socket write that makes no progress for `write_timeout` fails, which
//!   closes the connection;
//! - a closed connection lingers briefly, so an answer sent before the
//!   whole request was read (413, 431) reaches the client ([`crate::server::linger`]).
//!
//! HTTP/2 is not offered: hyper has no header-read or idle timeout for it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_io_timeout::TimeoutStream;

use crate::server::limits::Limits;
use crate::server::linger::LingeringStream;

/// Serves `router` on `listener` until `shutdown` completes; then stops
/// accepting, lets the requests in flight finish and returns when every
/// connection has closed.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Closed (dropped) on shutdown: tells every connection to finish.
    let (stopping, stop_signal) = watch::channel(());
    // Each connection holds a receiver; all dropped: every one has closed.
    let (all_closed, connection_alive) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if !is_connection_error(&error) {
                        // e.g. out of file descriptors: back off instead of spinning
                        tracing::error!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %peer, "could not set TCP_NODELAY");
        }
        // the connection's slot is released when it has finished lingering
        let mut stream = TimeoutStream::new(LingeringStream::new(stream, slot));
        stream.set_write_timeout(Some(limits.write_timeout));
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(Box::pin(stream)), TowerToHyperService::new(router.clone()))
            .into_owned();
        let mut stop_signal = stop_signal.clone();
        let alive = connection_alive.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let mut stop_asked = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(%error, %peer, "connection ended with an error");
                        }
                        break;
                    }
                    _ = stop_signal.changed(), if !stop_asked => {
                        // finish the request in flight, then close
                        stop_asked = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(alive);
        });
    }
    drop(listener);
    drop(stopping);
    drop(connection_alive);
    all_closed.closed().await;
    Ok(())
}

/// Errors of one connection that went away before it was accepted; the
/// listener itself is fine.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
