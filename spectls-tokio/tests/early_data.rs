//! 0-RTT (TLS 1.3 early data) through the async adapter, over TCP on 127.0.0.1: the first
//! connection of each test takes a ticket, the second sends its request as early data.
//!
//! | test                                         | client        | server                    |
//! |----------------------------------------------|---------------|---------------------------|
//! | `early_request_is_read_as_early_data_and_answered` | spectls-tokio | spectls-tokio       |
//! | `refused_early_data_arrives_after_the_handshake_once` | spectls-tokio | spectls-tokio (0-RTT off) |
//! | `writes_past_the_ticket_allowance_wait_for_the_handshake` | spectls-tokio | spectls-tokio |
//! | `tokio_rustls_early_data_to_async_server`    | tokio-rustls  | spectls-tokio             |
//! | `async_early_data_to_tokio_rustls`           | spectls-tokio | tokio-rustls              |

mod common;

use common::*;
use spectls::pki::{certs_from_pem, private_key_from_pem};
use spectls::session::{ClientSessionMemoryCache, Ticketer};
use spectls::version::TLS13;
use spectls::{ClientConfig, ServerConfig};
use spectls_tokio::{TlsAcceptor, TlsConnector};
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

const REQUEST: &[u8] = b"GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n";
const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

/// A spectls client that sends early data, keeping its tickets in a store of its own.
fn early_connector() -> TlsConnector {
    let config = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_protocol_versions(&[TLS13])
        .enable_early_data(true)
        .with_session_storage(ClientSessionMemoryCache::new(8))
        .build()
        .expect("client config");
    TlsConnector::from(Arc::new(config)).early_data(true)
}

/// A spectls server with `ticketer`, accepting `max` bytes of early data (0: none), whose
/// streams read it.
fn early_acceptor(ticketer: &Arc<Ticketer>, max: u32) -> TlsAcceptor {
    let config = ServerConfig::builder()
        .with_protocol_versions(&[TLS13])
        .with_single_cert(
            certs_from_pem(ECDSA_CHAIN).expect("chain"),
            private_key_from_pem(ECDSA_KEY).expect("key"),
        )
        .expect("cert")
        .with_ticketer(ticketer.clone())
        .with_early_data(max)
        .build()
        .expect("server config");
    TlsAcceptor::from(Arc::new(config)).early_data(true)
}

fn ticketer() -> Arc<Ticketer> {
    Ticketer::new(Duration::from_secs(3600)).expect("ticketer")
}

/// A first connection, which leaves the server's tickets with the client: the server writes
/// "ticket" after them and closes, the client reads to the close.
async fn take_ticket(connector: &TlsConnector, acceptor: &TlsAcceptor) {
    let (c, s) = tcp_pair().await;
    first_connection(
        async { give_ticket(acceptor.accept(s).await?).await },
        async {
            let tls = connector.connect(localhost(), c).await?;
            assert!(
                !tls.get_ref().1.is_handshaking(),
                "no ticket yet: a full handshake before the stream"
            );
            read_to_close(tls).await
        },
    )
    .await;
}

/// Both sides of a first connection (any stack's): the server's `give_ticket`, the client's
/// `read_to_close`, which must end with "ticket".
async fn first_connection(
    server: impl Future<Output = io::Result<()>>,
    client: impl Future<Output = io::Result<Vec<u8>>>,
) {
    let (s, c) = bounded("first connection", async { tokio::join!(server, client) }).await;
    s.expect("first connection: server");
    assert_eq!(c.expect("first connection: client"), b"ticket");
}

/// The server's side of a first connection, its tickets sent with the handshake: "ticket",
/// close, read to the client's close.
async fn give_ticket(mut tls: impl AsyncRead + AsyncWrite + Unpin) -> io::Result<()> {
    tls.write_all(b"ticket").await?;
    tls.shutdown().await?;
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).await?;
    Ok(())
}

/// The client's side of a first connection: everything to the server's close, then close.
async fn read_to_close(mut tls: impl AsyncRead + AsyncWrite + Unpin) -> io::Result<Vec<u8>> {
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await?;
    tls.shutdown().await?;
    Ok(got)
}

/// A second connection, both sides on 127.0.0.1 within the test's time bound: what
/// `serve_once` and `request_once` give.
async fn second_connection(
    label: &str,
    connector: &TlsConnector,
    acceptor: &TlsAcceptor,
    data: &[u8],
) -> ((Vec<u8>, u64, bool, bool), (Vec<u8>, bool)) {
    let (c, s) = tcp_pair().await;
    let (server, client) = bounded(label, async {
        tokio::join!(
            serve_once(acceptor, s, data.len()),
            request_once(connector, c, data)
        )
    })
    .await;
    (server.expect("server"), client.expect("client"))
}

/// The server's side of a second connection: accept, read `len` bytes, answer, read to the
/// client's close_notify, close. Gives what it read, how much of it was early data, whether it
/// accepted early data, and whether the stream came before the handshake completed.
async fn serve_once(
    acceptor: &TlsAcceptor,
    s: TcpStream,
    len: usize,
) -> io::Result<(Vec<u8>, u64, bool, bool)> {
    let mut tls = acceptor.accept(s).await?;
    let early_stream = tls.get_ref().1.is_handshaking();
    let mut got = vec![0; len];
    tls.read_exact(&mut got).await?;
    let early_read = tls.early_data_read();
    tls.write_all(ANSWER).await?;
    tls.flush().await?;
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).await?;
    got.extend_from_slice(&rest);
    tls.shutdown().await?;
    let accepted = tls.get_ref().1.is_early_data_accepted();
    Ok((got, early_read, accepted, early_stream))
}

/// The client's side of a second connection: connect (the stream must come before the
/// handshake), write `data`, read the answer, close. Gives the answer and whether the server
/// accepted the early data.
async fn request_once(
    connector: &TlsConnector,
    c: TcpStream,
    data: &[u8],
) -> io::Result<(Vec<u8>, bool)> {
    let mut tls = connector.connect(localhost(), c).await?;
    assert!(
        tls.get_ref().1.is_handshaking(),
        "with a ticket that allows 0-RTT the stream comes before the handshake"
    );
    tls.write_all(data).await?;
    let mut answer = vec![0; ANSWER.len()];
    tls.read_exact(&mut answer).await?;
    let accepted = tls.get_ref().1.is_early_data_accepted();
    tls.shutdown().await?;
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).await?;
    answer.extend_from_slice(&rest);
    Ok((answer, accepted))
}

#[tokio::test]
async fn early_request_is_read_as_early_data_and_answered() {
    let connector = early_connector();
    let acceptor = early_acceptor(&ticketer(), 1024);
    take_ticket(&connector, &acceptor).await;
    let ((got, early_read, server_accepted, early_stream), (answer, client_accepted)) =
        second_connection("0-RTT connection", &connector, &acceptor, REQUEST).await;
    assert_eq!(got, REQUEST);
    assert_eq!(early_read, REQUEST.len() as u64, "all of it was early data");
    assert!(server_accepted && client_accepted, "accepted on both sides");
    assert!(
        early_stream,
        "the server's stream came before the client's Finished"
    );
    assert_eq!(answer, ANSWER);
}

#[tokio::test]
async fn refused_early_data_arrives_after_the_handshake_once() {
    // The same ticket keys: the ticket resumes, but this server takes no early data.
    let keys = ticketer();
    let connector = early_connector();
    take_ticket(&connector, &early_acceptor(&keys, 1024)).await;
    let acceptor = early_acceptor(&keys, 0);
    let ((got, early_read, server_accepted, early_stream), (answer, client_accepted)) =
        second_connection("refused 0-RTT", &connector, &acceptor, REQUEST).await;
    // Exactly once: read_to_end after the request found nothing more before close_notify.
    assert_eq!(got, REQUEST, "written again as 1-RTT data, once");
    assert_eq!(early_read, 0);
    assert!(
        !server_accepted && !client_accepted,
        "refused on both sides"
    );
    assert!(
        !early_stream,
        "no early data: the handshake completed first"
    );
    assert_eq!(answer, ANSWER);
}

#[tokio::test]
async fn writes_past_the_ticket_allowance_wait_for_the_handshake() {
    let connector = early_connector();
    let acceptor = early_acceptor(&ticketer(), 100);
    take_ticket(&connector, &acceptor).await;
    let data = text(7, 10, 29); // 300 bytes
    let ((got, early_read, server_accepted, _), (answer, client_accepted)) =
        second_connection("0-RTT over the limit", &connector, &acceptor, &data).await;
    assert_eq!(got, data, "early and 1-RTT data in order");
    assert_eq!(
        early_read, 100,
        "the ticket's max_early_data_size as early data"
    );
    assert!(server_accepted && client_accepted);
    assert_eq!(answer, ANSWER);
}

/// Split into halves in two tasks while the handshake is under way: the reader and the writer
/// past the allowance both wait for it, one of them drives it, and the other must be woken
/// when it completes (the transport keeps only the driving task's waker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_halves_in_two_tasks_share_the_early_handshake() {
    let connector = early_connector();
    let acceptor = early_acceptor(&ticketer(), 100);
    take_ticket(&connector, &acceptor).await;
    let data = text(9, 10, 29); // 300 bytes
    for round in 0..20 {
        let (c, s) = tcp_pair().await;
        let acceptor = acceptor.clone();
        let len = data.len();
        let server = tokio::spawn(async move { serve_once(&acceptor, s, len).await });
        let tls = bounded("0-RTT connect", connector.connect(localhost(), c))
            .await
            .expect("connect");
        let (mut reader, mut writer) = tokio::io::split(tls);
        let read = tokio::spawn(async move {
            let mut answer = vec![0; ANSWER.len()];
            reader.read_exact(&mut answer).await.map(|_| answer)
        });
        let to_write = data.clone();
        let write = tokio::spawn(async move {
            writer.write_all(&to_write).await?;
            writer.flush().await?;
            io::Result::Ok(writer)
        });
        let answer = bounded("read half", read)
            .await
            .expect("task")
            .expect("read");
        let mut writer = bounded("write half", write)
            .await
            .expect("task")
            .expect("write");
        bounded("close", writer.shutdown()).await.expect("close");
        let (got, early_read, accepted, _) = bounded("server", server)
            .await
            .expect("task")
            .expect("server");
        assert_eq!(answer, ANSWER, "round {round}");
        assert_eq!(got, data, "round {round}");
        assert_eq!(early_read, 100, "round {round}");
        assert!(accepted, "round {round}");
    }
}

// ---------------------------------------------------------------------------------------------
// rustls via tokio-rustls

fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[tokio::test]
async fn tokio_rustls_early_data_to_async_server() {
    let mut roots = rustls::RootCertStore::empty();
    for ca in certs_from_pem(CA).expect("CA") {
        roots.add(ca).expect("root");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.enable_early_data = true;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config)).early_data(true);
    let acceptor = early_acceptor(&ticketer(), 1024);
    let name = || rustls::pki_types::ServerName::try_from("localhost").expect("name");

    // The first connection, for the tickets.
    let (c, s) = tcp_pair().await;
    first_connection(
        async { give_ticket(acceptor.accept(s).await?).await },
        async { read_to_close(connector.connect(name(), c).await?).await },
    )
    .await;

    let (c, s) = tcp_pair().await;
    let (server, client) = bounded("0-RTT connection", async {
        tokio::join!(serve_once(&acceptor, s, REQUEST.len()), async {
            let mut tls = connector.connect(name(), c).await?;
            tls.write_all(REQUEST).await?;
            // Without this flush tokio-rustls sent nothing here (the test hung): its flush
            // sends the ClientHello and early data and completes the handshake.
            tls.flush().await?;
            let mut answer = vec![0; ANSWER.len()];
            tls.read_exact(&mut answer).await?;
            let accepted = tls.get_ref().1.is_early_data_accepted();
            tls.shutdown().await?;
            io::Result::Ok((answer, accepted))
        })
    })
    .await;
    let (got, early_read, server_accepted, early_stream) = server.expect("server");
    let (answer, client_accepted) = client.expect("tokio-rustls client");
    assert_eq!(got, REQUEST);
    assert_eq!(early_read, REQUEST.len() as u64, "all of it was early data");
    assert!(server_accepted, "we accepted rustls's early data");
    assert!(client_accepted, "rustls saw its early data accepted");
    assert!(early_stream);
    assert_eq!(answer, ANSWER);
}

#[tokio::test]
async fn async_early_data_to_tokio_rustls() {
    let mut config = rustls::ServerConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            certs_from_pem(ECDSA_CHAIN).expect("chain"),
            private_key_from_pem(ECDSA_KEY).expect("key"),
        )
        .expect("rustls server config");
    config.max_early_data_size = 1024;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let connector = early_connector();

    // The first connection, for the tickets.
    let (c, s) = tcp_pair().await;
    first_connection(
        async { give_ticket(acceptor.accept(s).await?).await },
        async { read_to_close(connector.connect(localhost(), c).await?).await },
    )
    .await;

    let (c, s) = tcp_pair().await;
    let (server, client) = bounded("0-RTT connection", async {
        tokio::join!(
            async {
                // tokio-rustls completes the handshake first; the early data is then in
                // rustls's own early data reader.
                let mut tls = acceptor.accept(s).await?;
                let mut early = Vec::new();
                if let Some(mut reader) = tls.get_mut().1.early_data() {
                    std::io::Read::read_to_end(&mut reader, &mut early)?;
                }
                tls.write_all(ANSWER).await?;
                tls.flush().await?;
                let mut rest = Vec::new();
                tls.read_to_end(&mut rest).await?;
                tls.shutdown().await?;
                io::Result::Ok((early, rest))
            },
            request_once(&connector, c, REQUEST)
        )
    })
    .await;
    let (early, rest) = server.expect("tokio-rustls server");
    let (answer, client_accepted) = client.expect("client");
    assert_eq!(early, REQUEST, "rustls read our request as early data");
    assert!(rest.is_empty(), "and nothing again as 1-RTT data");
    assert!(client_accepted, "rustls accepted our early data");
    assert_eq!(answer, ANSWER);
}

// ---------------------------------------------------------------------------------------------
// openssl s_server

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_early_data_to_openssl_s_server() {
    use common::peer::{cert_file, require, start_s_server_on_free_port};
    let Some(openssl) = require("openssl") else {
        return;
    };
    let (mut server, port) = tokio::task::spawn_blocking(move || {
        start_s_server_on_free_port(&openssl, 8000, |cmd| {
            cmd.args(["-naccept", "2", "-tls1_3", "-early_data"])
                .arg("-cert")
                .arg(cert_file("server-ecdsa.pem"))
                .arg("-key")
                .arg(cert_file("server-ecdsa.key"))
                .arg("-cert_chain")
                .arg(cert_file("ca.pem"));
        })
    })
    .await
    .expect("s_server");
    let connector = early_connector();

    // The first connection, for the tickets: s_server sends its stdin to the client, and the
    // tickets come before that line.
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut tls = bounded("first handshake", connector.connect(localhost(), tcp))
        .await
        .expect("first handshake");
    server.write_stdin(b"ticket\n");
    let mut line = [0; 7];
    bounded("ticket line", tls.read_exact(&mut line))
        .await
        .expect("the line from s_server");
    assert_eq!(&line, b"ticket\n");
    bounded("close", tls.shutdown()).await.expect("close");
    drop(tls);

    // Then 0-RTT: s_server prints the early data it read.
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut tls = bounded("0-RTT connect", connector.connect(localhost(), tcp))
        .await
        .expect("0-RTT connect");
    assert!(
        tls.get_ref().1.is_handshaking(),
        "the stream before the handshake"
    );
    bounded("early write", tls.write_all(REQUEST))
        .await
        .expect("early data");
    bounded("handshake", tls.flush()).await.expect("handshake");
    assert!(
        tls.get_ref().1.is_early_data_accepted(),
        "s_server accepted our early data:\n{}",
        server.transcript()
    );
    bounded("close", tls.shutdown()).await.expect("close");
    // s_server writes the early data straight to its stdout and its own lines through a
    // buffer, so the request comes before "Early data received:" in what we see.
    let (seen, out) = tokio::task::spawn_blocking(move || {
        let seen = server.wait_output("End of early data", Duration::from_secs(10));
        server.wait_exit(Duration::from_secs(10));
        (seen, server.transcript())
    })
    .await
    .expect("s_server output");
    assert!(seen, "s_server read no early data:\n{out}");
    assert!(out.contains("Early data received:"), "{out}");
    let text = String::from_utf8_lossy(REQUEST);
    assert_eq!(
        out.matches(text.as_ref()).count(),
        1,
        "s_server printed our request once (as early data, not again after):\n{out}"
    );
}
