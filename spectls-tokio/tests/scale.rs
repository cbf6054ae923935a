//! Volume: a bulk transfer both ways checked by SHA-256, and thousands of concurrent
//! connections on one runtime.
//!
//! The transfer's size is `SPECTLS_TOKIO_BULK_MIB` mebibytes each way; unset, it is 256 MiB
//! each way in a debug build and 1024 MiB (1 GiB) in a release build. For the full 1 GiB in
//! a debug build:
//!
//! ```sh
//! SPECTLS_TOKIO_BULK_MIB=1024 cargo test -p spectls-tokio --test scale bulk
//! ```
//!
//! The connection count is `SPECTLS_TOKIO_CONNECTIONS` (default 2,000).

mod common;

use common::*;
use ring::digest;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
        Err(_) => default,
    }
}

/// Writes `total` pseudo-random bytes (from `seed`) and returns their SHA-256.
async fn send(mut wr: impl AsyncWrite + Unpin, total: usize, seed: u64) -> io::Result<String> {
    let mut hash = digest::Context::new(&digest::SHA256);
    let mut x = seed | 1;
    let mut chunk = vec![0u8; 256 * 1024];
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk.len());
        for word in chunk[..n].chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            word.copy_from_slice(&x.to_le_bytes()[..word.len()]);
        }
        hash.update(&chunk[..n]);
        wr.write_all(&chunk[..n]).await?;
        left -= n;
    }
    wr.shutdown().await?;
    Ok(hex(hash.finish().as_ref()))
}

/// Reads to the end (close_notify) and returns the byte count and SHA-256.
async fn receive(mut rd: impl AsyncRead + Unpin) -> io::Result<(usize, String)> {
    let mut hash = digest::Context::new(&digest::SHA256);
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = rd.read(&mut buf).await?;
        if n == 0 {
            return Ok((total, hex(hash.finish().as_ref())));
        }
        hash.update(&buf[..n]);
        total += n;
    }
}

/// `SPECTLS_TOKIO_BULK_MIB` each way at once (both halves split into their own tasks), TLS 1.3
/// and TLS 1.2; what arrives has the length and SHA-256 of what was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_transfer_both_ways_checked_by_sha256() {
    let default = if cfg!(debug_assertions) { 256 } else { 1024 };
    let mib = env_number("SPECTLS_TOKIO_BULK_MIB", default);
    let total = mib << 20;
    // The one print a passing run shows with --nocapture: how much was checked.
    eprintln!("bulk transfer: {mib} MiB each way per version (SPECTLS_TOKIO_BULK_MIB)");
    for (name, version) in VERSIONS {
        let (client, server) = tls_pair(&version).await;
        let (crd, cwr) = tokio::io::split(client);
        let (srd, swr) = tokio::io::split(server);
        let start = Instant::now();
        let tasks = (
            tokio::spawn(send(cwr, total, 1)),
            tokio::spawn(receive(crd)),
            tokio::spawn(send(swr, total, 2)),
            tokio::spawn(receive(srd)),
        );
        // Generous: a slow debug build moves well over 10 MiB/s each way.
        let limit = LIMIT + Duration::from_secs(mib as u64 / 4);
        let (c_sent, c_got, s_sent, s_got) = tokio::time::timeout(limit, async {
            let (a, b, c, d) = tokio::join!(tasks.0, tasks.1, tasks.2, tasks.3);
            (
                a.expect("task").expect("client sends"),
                b.expect("task").expect("client receives"),
                c.expect("task").expect("server sends"),
                d.expect("task").expect("server receives"),
            )
        })
        .await
        .unwrap_or_else(|_| panic!("{name}: {mib} MiB each way not done within {limit:?}"));
        eprintln!("{name}: {mib} MiB each way in {:?}", start.elapsed());
        assert_eq!(s_got, (total, c_sent), "{name}: client to server");
        assert_eq!(c_got, (total, s_sent), "{name}: server to client");
    }
}

/// `SPECTLS_TOKIO_CONNECTIONS` clients (default 2,000) connect at once to one acceptor on one
/// runtime; every one completes its handshake before any sends (a barrier, so they are all
/// open together), then each echoes 1 KiB and closes with close_notify both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_concurrent_connections() {
    let count = env_number("SPECTLS_TOKIO_CONNECTIONS", 2000);
    for (name, version) in VERSIONS {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("address"))
            .expect("bind");
        // A backlog for them all (the kernel caps it at somaxconn), so none waits for a SYN
        // retry.
        let listener = socket.listen(4096).expect("listen");
        let addr = listener.local_addr().expect("address");
        let acceptor = acceptor(&version);
        let server = tokio::spawn(async move {
            let mut echoed = Vec::with_capacity(count);
            for _ in 0..count {
                let (sock, _) = listener.accept().await.expect("accept");
                let acceptor = acceptor.clone();
                echoed.push(tokio::spawn(async move {
                    let tls = acceptor.accept(sock).await?;
                    let (mut rd, mut wr) = tokio::io::split(tls);
                    tokio::io::copy(&mut rd, &mut wr).await?;
                    wr.shutdown().await?;
                    io::Result::Ok(())
                }));
            }
            echoed
        });
        let connector = connector(&version);
        let barrier = Arc::new(tokio::sync::Barrier::new(count));
        let start = Instant::now();
        let clients: Vec<_> = (0..count)
            .map(|i| {
                let (connector, barrier) = (connector.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    let tcp = TcpStream::connect(addr).await?;
                    let mut tls = connector.connect(localhost(), tcp).await?;
                    barrier.wait().await;
                    let data = text(i as u64, 1, 1023);
                    tls.write_all(&data).await?;
                    tls.shutdown().await?;
                    let mut echo = Vec::new();
                    tls.read_to_end(&mut echo).await?;
                    assert!(echo == data, "connection {i}: another echo");
                    io::Result::Ok(())
                })
            })
            .collect();
        let limit = Duration::from_secs(300);
        tokio::time::timeout(limit, async {
            for (i, client) in clients.into_iter().enumerate() {
                client
                    .await
                    .expect("client task")
                    .unwrap_or_else(|e| panic!("{name}: client {i}: {e}"));
            }
            for (i, echo) in server.await.expect("server").into_iter().enumerate() {
                echo.await
                    .expect("echo task")
                    .unwrap_or_else(|e| panic!("{name}: server connection {i}: {e}"));
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{name}: {count} connections not done within {limit:?}"));
        eprintln!(
            "{name}: {count} concurrent connections in {:?}",
            start.elapsed()
        );
    }
}
