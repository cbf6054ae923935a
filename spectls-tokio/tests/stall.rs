//! Peers that stop or close mid-handshake, and reads dropped before they complete.
//!
//! A handshake future whose peer stalls must wait without spinning: each test polls it over a
//! 1 s stall on a current-thread runtime and checks both the number of times it polled its
//! transport (a spinning future would poll it thousands of times) and the CPU time of the
//! runtime's thread (from /proc). A peer that closes mid-handshake must end the future with
//! `UnexpectedEof`, at once.
//!
//! The misbehaving peers are spectls's own sans-IO connections driven by hand over TCP, so
//! they stop at a chosen point: after the ClientHello, or halfway through the server's first
//! flight.

mod common;

use common::*;
use spectls::{ClientConnection, ServerConnection};
use std::io;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const STALL: Duration = Duration::from_secs(1);

/// Polls `fut` for `STALL`; it must still be pending, having polled its transport at most a
/// handful of times and used little CPU.
async fn pending_without_spinning<F>(what: &str, fut: F, counters: &Counters)
where
    F: std::future::Future,
{
    let cpu = thread_cpu();
    let start = Instant::now();
    let polled_before = counters.polls();
    let outcome = tokio::time::timeout(STALL, fut).await;
    let used = thread_cpu() - cpu;
    let polls = counters.polls() - polled_before;
    assert!(outcome.is_err(), "{what}: finished during the stall");
    assert!(start.elapsed() >= STALL);
    // A few polls: one per step that made progress before the stall, and the one that found
    // nothing to read.
    assert!(
        polls <= 10,
        "{what}: transport polled {polls} times over a 1 s stall"
    );
    assert!(
        used < Duration::from_millis(300),
        "{what}: {used:?} of CPU over a 1 s stall"
    );
}

/// The first `n` bytes a sans-IO connection queued.
fn queued(conn: &mut spectls::ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).expect("write_tls");
    }
    out
}

/// Reads from `sock` until `conn` (a sans-IO server) has a flight to send: the ClientHello.
async fn read_client_hello(sock: &mut TcpStream, conn: &mut ServerConnection) -> Vec<u8> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = bounded("ClientHello", sock.read(&mut buf))
            .await
            .expect("read");
        assert!(n > 0, "the client closed before its ClientHello");
        conn.read_tls(&mut &buf[..n]).expect("read_tls");
        conn.process_new_packets().expect("ClientHello");
        if conn.wants_write() {
            return queued(conn);
        }
    }
}

/// How the hand-driven server misbehaves after reading the ClientHello.
#[derive(Clone, Copy, Debug)]
enum After {
    /// Sends nothing more and keeps the connection open.
    Stall,
    /// Closes the connection.
    Close,
    /// Sends the first half of its flight, then stalls.
    HalfThenStall,
    /// Sends the first half of its flight, then closes.
    HalfThenClose,
}

async fn client_against(after: After, version: &spectls::wire::ProtocolVersion) {
    let what = format!("{after:?} {version:?}");
    let listener = listen().await;
    let addr = listener.local_addr().expect("address");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let v = version.clone();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let mut conn = ServerConnection::new(server_config(&v)).expect("server");
        let flight = read_client_hello(&mut sock, &mut conn).await;
        if matches!(after, After::HalfThenStall | After::HalfThenClose) {
            sock.write_all(&flight[..flight.len() / 2])
                .await
                .expect("half a flight");
        }
        if matches!(after, After::Stall | After::HalfThenStall) {
            // Held open until the test is done looking.
            let _ = stop_rx.await;
        }
        // A FIN, then whatever the client still sends (its change_cipher_spec) is read until it
        // closes: closing with unread input would send a reset instead of the end of stream.
        sock.shutdown().await.expect("shutdown");
        let _ = bounded(
            "client's close",
            tokio::io::copy(&mut sock, &mut tokio::io::sink()),
        )
        .await;
    });
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let (tcp, counters) = Counted::new(tcp);
    let mut connect = connector(version).connect(localhost(), tcp);
    match after {
        After::Stall | After::HalfThenStall => {
            pending_without_spinning(&what, &mut connect, &counters).await;
            let _ = stop_tx.send(());
            // The server closes: the pending future ends now, with UnexpectedEof.
            let err = bounded(&what, connect)
                .await
                .expect_err("closed mid-handshake");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{what}: {err}");
        }
        After::Close | After::HalfThenClose => {
            let err = bounded(&what, connect)
                .await
                .expect_err("closed mid-handshake");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{what}: {err}");
        }
    }
    server.await.expect("server task");
}

#[tokio::test]
async fn client_against_server_stalling_after_client_hello() {
    for (_, version) in VERSIONS {
        client_against(After::Stall, &version).await;
    }
}

#[tokio::test]
async fn client_against_server_stalling_halfway_through_its_flight() {
    for (_, version) in VERSIONS {
        client_against(After::HalfThenStall, &version).await;
    }
}

#[tokio::test]
async fn client_against_server_closing_after_client_hello() {
    for (_, version) in VERSIONS {
        client_against(After::Close, &version).await;
    }
}

#[tokio::test]
async fn client_against_server_closing_halfway_through_its_flight() {
    for (_, version) in VERSIONS {
        client_against(After::HalfThenClose, &version).await;
    }
}

/// A client that sends half its ClientHello (then stalls, then closes), and one that connects
/// and sends nothing: the acceptor waits without spinning, then fails with `UnexpectedEof`.
#[tokio::test]
async fn server_against_client_stalling_then_closing() {
    for (name, version) in VERSIONS {
        for half in [false, true] {
            let what = format!("{name}, half a ClientHello: {half}");
            let (c, s) = tcp_pair().await;
            let (s, counters) = Counted::new(s);
            let mut accept = acceptor(&version).accept(s);
            let mut c = c;
            if half {
                let mut conn =
                    ClientConnection::new(client_config(&version), localhost()).expect("client");
                let hello = queued(&mut conn);
                c.write_all(&hello[..hello.len() / 2]).await.expect("write");
            }
            pending_without_spinning(&what, &mut accept, &counters).await;
            drop(c);
            let err = bounded(&what, accept)
                .await
                .expect_err("closed mid-handshake");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{what}: {err}");
        }
    }
}

/// An established connection whose peer goes quiet: a read waits without spinning.
#[tokio::test]
async fn idle_read_waits_without_spinning() {
    for (name, version) in VERSIONS {
        let (c, s) = tcp_pair().await;
        let (c, counters) = Counted::new(c);
        let (mut client, mut server) = tls_over(&version, c, s).await;
        let mut buf = [0u8; 100];
        pending_without_spinning(name, client.read(&mut buf), &counters).await;
        server.write_all(b"late").await.expect("write");
        let n = bounded(name, client.read(&mut buf)).await.expect("read");
        assert_eq!(&buf[..n], b"late");
    }
}

/// Reads dropped before they complete lose nothing. The server's records reach the client
/// through a proxy that passes them on 100 bytes at a time, 1 ms apart, so most reads are
/// cancelled (by a `tokio::select!` with a 500 µs timer) with part of a record taken in; the
/// client still gets every byte, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_reads_lose_no_data() {
    for (name, version) in VERSIONS {
        let server_listener = listen().await;
        let server_addr = server_listener.local_addr().expect("address");
        let proxy_listener = listen().await;
        let proxy_addr = proxy_listener.local_addr().expect("address");
        let data = text(11, 100, 1999); // 200 KB
        let sent = data.clone();
        let v = version.clone();
        let server = tokio::spawn(async move {
            let (sock, _) = server_listener.accept().await.expect("accept");
            let mut tls = acceptor(&v).accept(sock).await?;
            // Writes of uneven sizes, so records have uneven sizes too.
            for (i, chunk) in sent.chunks(7001).enumerate() {
                tls.write_all(chunk).await?;
                if i % 3 == 0 {
                    tls.flush().await?;
                }
            }
            tls.shutdown().await?;
            // Until the client's close_notify.
            tls.read_to_end(&mut Vec::new()).await?;
            io::Result::Ok(())
        });
        let proxy = tokio::spawn(async move {
            let (client_side, _) = proxy_listener.accept().await.expect("accept");
            let server_side = TcpStream::connect(server_addr).await.expect("connect");
            let (mut from_client, mut to_client) = client_side.into_split();
            let (mut from_server, mut to_server) = server_side.into_split();
            let upstream = async move {
                tokio::io::copy(&mut from_client, &mut to_server).await?;
                to_server.shutdown().await
            };
            let downstream = async move {
                let mut buf = [0u8; 100];
                loop {
                    let n = from_server.read(&mut buf).await?;
                    if n == 0 {
                        return to_client.shutdown().await;
                    }
                    to_client.write_all(&buf[..n]).await?;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            };
            let (up, down) = tokio::join!(upstream, downstream);
            up.and(down)
        });
        let tcp = TcpStream::connect(proxy_addr).await.expect("connect");
        let mut tls = bounded(name, connector(&version).connect(localhost(), tcp))
            .await
            .expect("handshake");
        let mut got = Vec::new();
        let mut cancelled = 0u32;
        let deadline = Instant::now() + 4 * LIMIT;
        loop {
            assert!(Instant::now() < deadline, "{name}: too slow");
            let mut buf = [0u8; 4096];
            tokio::select! {
                read = tls.read(&mut buf) => {
                    let n = read.expect("read");
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                _ = tokio::time::sleep(Duration::from_micros(500)) => cancelled += 1,
            }
        }
        tls.shutdown().await.expect("shutdown");
        bounded(name, server)
            .await
            .expect("server")
            .expect("server side");
        bounded(name, proxy)
            .await
            .expect("proxy")
            .expect("proxy copies");
        assert!(
            cancelled > 50,
            "{name}: only {cancelled} reads were cancelled"
        );
        assert_eq!(got.len(), data.len(), "{name}");
        assert!(got == data, "{name}: data differs");
    }
}
