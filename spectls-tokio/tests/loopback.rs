//! The async client against the async server over TCP on 127.0.0.1, TLS 1.3 and TLS 1.2: data
//! both ways, close_notify both ways, truncation, `tokio::io::split`, vectored writes,
//! back-pressure on both sides, handshake failures.

mod common;

use common::*;
use spectls::version::{TLS12, TLS13};
use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Client sends, shuts down; the server reads to the end (a clean close), answers the lines
/// reversed and shuts down; the client reads to the end. Both see the version, the suite, SNI.
#[tokio::test]
async fn data_both_ways_then_close_notify_both_ways() {
    for (name, version) in VERSIONS {
        let (mut client, mut server) = tls_pair(&version).await;
        assert_eq!(
            client.get_ref().1.protocol_version(),
            Some(version.clone()),
            "{name}"
        );
        assert_eq!(
            server.get_ref().1.protocol_version(),
            Some(version.clone()),
            "{name}"
        );
        assert_eq!(
            server.get_ref().1.server_name(),
            Some("localhost"),
            "{name}"
        );
        assert!(client.get_ref().1.negotiated_cipher_suite().is_some());
        assert_eq!(
            client.get_ref().1.negotiated_cipher_suite(),
            server.get_ref().1.negotiated_cipher_suite()
        );
        assert!(client.get_ref().1.peer_certificates().is_some());

        let data = text(1, 40, 3000); // 120 KB: several records
        let server_task = tokio::spawn(async move {
            let mut got = Vec::new();
            // Ok: the client's close_notify, not the transport's end.
            server.read_to_end(&mut got).await?;
            server.write_all(&reverse_lines(&got)).await?;
            server.shutdown().await?;
            io::Result::Ok(got)
        });
        let answer = bounded(name, async {
            client.write_all(&data).await?;
            client.shutdown().await?;
            let mut answer = Vec::new();
            client.read_to_end(&mut answer).await?;
            io::Result::Ok(answer)
        })
        .await
        .unwrap_or_else(|e| panic!("{name}: client: {e}"));
        let got = bounded(name, server_task)
            .await
            .expect("server task")
            .unwrap_or_else(|e| panic!("{name}: server: {e}"));
        assert!(got == data, "{name}: the server got other data");
        assert!(
            answer == reverse_lines(&data),
            "{name}: the client got another answer"
        );
        // After the close, reads keep saying end of data.
        assert_eq!(client.read(&mut [0u8; 10]).await.expect("read"), 0);
        // and writes are refused.
        let err = client
            .write_all(b"late")
            .await
            .expect_err("write after shutdown");
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{name}: {err}");
    }
}

/// The server sends data and closes the TCP connection without close_notify: the client gets
/// the data, then `UnexpectedEof`, never a clean end.
#[tokio::test]
async fn transport_closed_without_close_notify_is_unexpected_eof() {
    for (name, version) in VERSIONS {
        let (mut client, mut server) = tls_pair(&version).await;
        let data = text(2, 3, 1000);
        server.write_all(&data).await.expect("write");
        server.flush().await.expect("flush");
        let (mut tcp, _conn) = server.into_inner();
        tcp.shutdown().await.expect("TCP shutdown"); // FIN, no close_notify
        let mut got = vec![0u8; data.len()];
        bounded(name, client.read_exact(&mut got))
            .await
            .expect("the data before the truncation");
        assert!(got == data);
        let err = bounded(name, client.read(&mut [0u8; 100]))
            .await
            .expect_err("a truncation is an error");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{name}: {err}");
        let inner = err.get_ref().expect("the spectls error as the source");
        assert!(
            matches!(
                inner.downcast_ref::<spectls::Error>(),
                Some(spectls::Error::UnexpectedEof)
            ),
            "{name}: {inner:?}"
        );
    }
}

/// `tokio::io::split` on both ends, each half in its own task: the client writes 8 MiB while
/// it reads the server's echo of it (the server copies its read half to its write half), so
/// both directions are full at once; the halves must not take each other's wakeups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_halves_in_separate_tasks() {
    for (name, version) in VERSIONS {
        let (client, server) = tls_pair(&version).await;
        let server_task = tokio::spawn(async move {
            let (mut rd, mut wr) = tokio::io::split(server);
            let n = tokio::io::copy(&mut rd, &mut wr).await?;
            wr.shutdown().await?;
            io::Result::Ok(n)
        });
        let (mut rd, mut wr) = tokio::io::split(client);
        let data: Arc<Vec<u8>> = Arc::new(text(3, 8 * 1024, 1023)); // 8 MiB
        let sent = Arc::clone(&data);
        let writer = tokio::spawn(async move {
            for chunk in sent.chunks(100_000) {
                wr.write_all(chunk).await?;
            }
            wr.shutdown().await?;
            io::Result::Ok(())
        });
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            rd.read_to_end(&mut got).await?;
            io::Result::Ok(got)
        });
        let (w, r, s) = bounded(name, async { tokio::join!(writer, reader, server_task) }).await;
        w.expect("writer").expect("client writes");
        let got = r.expect("reader").expect("client reads");
        assert_eq!(s.expect("server").expect("server echo"), data.len() as u64);
        assert!(got == *data, "{name}: the echo differs");
    }
}

/// `poll_write_vectored`: small slices are gathered, big ones written as they are; what
/// arrives is the concatenation.
#[tokio::test]
async fn vectored_writes() {
    let (mut client, mut server) = tls_pair(&TLS13).await;
    assert!(tokio::io::AsyncWrite::is_write_vectored(&client));
    let parts: Vec<Vec<u8>> = vec![
        b"HTTP/1.1 200 OK\r\n".to_vec(),
        Vec::new(),
        b"content-length: 100000\r\n\r\n".to_vec(),
        text(4, 100, 999),
        b"tail".to_vec(),
        text(5, 80, 999),
    ];
    let want: Vec<u8> = parts.concat();
    let writer = async {
        let mut slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        while slices.iter().any(|s| !s.is_empty()) {
            let io: Vec<IoSlice<'_>> = slices.iter().map(|s| IoSlice::new(s)).collect();
            let mut n = client.write_vectored(&io).await.expect("write_vectored");
            assert!(n > 0);
            for s in slices.iter_mut() {
                let take = n.min(s.len());
                *s = &s[take..];
                n -= take;
            }
        }
        client.shutdown().await.expect("shutdown");
    };
    let reader = async {
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.expect("read");
        got
    };
    let ((), got) = bounded("vectored", async { tokio::join!(writer, reader) }).await;
    assert!(got == want);
}

/// A server that does not read: the client's writes stop being taken (`Pending`) instead of
/// piling up in memory; what the stream took is never more than one 64 KiB write ahead of what
/// the transport took. Then the server reads it all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_wait_for_a_peer_that_does_not_read() {
    for (name, version) in VERSIONS {
        let (c, s) = tcp_pair().await;
        let (c, counters) = Counted::new(c);
        let (mut client, mut server) = tls_over(&version, c, s).await;
        let total = 32 << 20;
        let data = Arc::new(text(6, 32 * 1024, 1023)); // 32 MiB
        assert_eq!(data.len(), total);
        let taken = Arc::new(AtomicU64::new(0));
        let (sent, taken2) = (Arc::clone(&data), Arc::clone(&taken));
        let writer = tokio::spawn(async move {
            let mut pos = 0;
            while pos < sent.len() {
                pos += client.write(&sent[pos..]).await?;
                taken2.store(pos as u64, Ordering::SeqCst);
            }
            client.shutdown().await?;
            // Kept open until the server read everything: closing a socket with unread input
            // (TLS 1.3 tickets) sends a reset, which may discard what the server has not read.
            io::Result::Ok(client)
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        let stalled_at = taken.load(Ordering::SeqCst);
        let on_wire = counters.bytes_written.load(Ordering::SeqCst);
        assert!(
            (stalled_at as usize) < total,
            "{name}: all 32 MiB taken while the peer reads nothing"
        );
        // The transport's bytes include each record's overhead, so this is generous by that.
        assert!(
            stalled_at <= on_wire + 64 * 1024,
            "{name}: the stream took {stalled_at} bytes, the transport {on_wire}"
        );
        let mut got = Vec::with_capacity(total);
        bounded(name, server.read_to_end(&mut got))
            .await
            .expect("server reads");
        let client = bounded(name, writer)
            .await
            .expect("writer")
            .expect("client writes");
        drop(client);
        assert!(got == *data, "{name}: data differs");
    }
}

/// A client that does not read: it takes no more TLS from the transport than the connection's
/// buffers hold (so the server's writes wait in TCP's buffers and then in the server), and
/// everything arrives once it reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_take_no_more_than_the_application_reads() {
    for (name, version) in VERSIONS {
        let (c, s) = tcp_pair().await;
        let (c, counters) = Counted::new(c);
        let (mut client, mut server) = tls_over(&version, c, s).await;
        let data = Arc::new(text(7, 16 * 1024, 1023)); // 16 MiB
        let sent = Arc::clone(&data);
        let writer = tokio::spawn(async move {
            server.write_all(&sent).await?;
            server.shutdown().await?;
            io::Result::Ok(())
        });
        let mut first = [0u8; 1];
        bounded(name, client.read_exact(&mut first))
            .await
            .expect("first byte");
        let before = counters.bytes_read();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = counters.bytes_read();
        assert_eq!(
            before, after,
            "{name}: the client read TLS while nobody read it"
        );
        // One read of the transport at most: the receive buffer (two records).
        assert!(
            after < 64 * 1024,
            "{name}: {after} bytes taken in for 1 byte read"
        );
        assert!(
            !writer.is_finished(),
            "{name}: the server wrote 16 MiB into nobody"
        );
        let mut got = first.to_vec();
        bounded(name, client.read_to_end(&mut got))
            .await
            .expect("client reads");
        bounded(name, writer)
            .await
            .expect("writer")
            .expect("server writes");
        assert!(got == *data, "{name}: data differs");
    }
}

/// A certificate for another name: the client's handshake fails with `InvalidData` carrying the
/// spectls error, and the server gets the client's alert (not a hang).
#[tokio::test]
async fn handshake_failure_reaches_both_sides() {
    for (name, version) in VERSIONS {
        let (c, s) = tcp_pair().await;
        let wrong = "not-the-server.example".try_into().expect("name");
        let (client, server) = bounded(name, async {
            tokio::join!(
                connector(&version).connect(wrong, c),
                acceptor(&version).accept(s)
            )
        })
        .await;
        let err = client.expect_err("a certificate for another name");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{name}: {err}");
        assert!(
            err.get_ref()
                .and_then(|e| e.downcast_ref::<spectls::Error>())
                .is_some(),
            "{name}: {err:?}"
        );
        let err = server.expect_err("the client refused us");
        assert!(
            matches!(
                err.get_ref()
                    .and_then(|e| e.downcast_ref::<spectls::Error>()),
                Some(spectls::Error::AlertReceived(_))
            ),
            "{name}: {err:?}"
        );
    }
}

/// A client for TLS 1.2 only against a server for TLS 1.3 only: both fail, neither hangs.
#[tokio::test]
async fn no_common_version_fails_both_sides() {
    let (c, s) = tcp_pair().await;
    let (client, server) = bounded("versions", async {
        tokio::join!(
            connector(&TLS12).connect(localhost(), c),
            acceptor(&TLS13).accept(s)
        )
    })
    .await;
    assert!(
        client.is_err() && server.is_err(),
        "{client:?} / {server:?}"
    );
}
