//! Work-around for sqlx 0.9.0 not setting `TCP_NODELAY` on its sockets
//! (sqlx issue #4335, fixed upstream by PR #4336 but not yet released).
//!
//! Without it, a statement whose message spans several TCP segments waits for
//! the server's delayed ACK: about 40 ms per round trip on Linux. sqlx offers
//! no hook on its socket, so after each new connection we set the option on
//! every TCP socket this process holds (setting it twice, or on a listening
//! socket, is harmless). Remove once a sqlx release carries the fix.

/// Sets `TCP_NODELAY` on all of this process's TCP sockets.
#[cfg(target_os = "linux")]
pub fn set_on_own_tcp_sockets() {
    use std::os::fd::BorrowedFd;

    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let is_socket =
            std::fs::read_link(entry.path()).is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        // SAFETY: the descriptor was listed as open just now and is only
        // borrowed for two syscalls; a socket closed in between makes them
        // fail with EBADF, which is ignored.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&fd);
        let is_tcp = socket.local_addr().is_ok_and(|addr| addr.is_ipv4() || addr.is_ipv6());
        if is_tcp && socket.r#type().is_ok_and(|t| t == socket2::Type::STREAM) {
            let _ = socket.set_tcp_nodelay(true);
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn set_on_own_tcp_sockets() {}
