//! Servers sharing a ticket key file resume each other's sessions (issue 14, "Sessions across
//! processes and machines", the stateless part), over TLS 1.2 (RFC 5077 tickets) and TLS 1.3:
//! in memory, two configs on one file, through a rotation (a new key prepended, then the old
//! one removed); and as processes, two example servers started with `--ticket-keys` on the same
//! file, a spectls client resuming at one with a ticket from the other, and a server on another
//! file doing a full handshake. Every socket wait is bounded by `TIMEOUT`; the servers are
//! killed when their guards drop.

mod common;

use common::example_bin::{example, Server};
use common::*;
use spectls::session::{
    ClientSessionMemoryCache, KeyFileTicketer, NoServerSessionStorage, StoresClientSessions,
};
use spectls::version::{TLS12, TLS13};
use spectls::wire::ProtocolVersion;
use spectls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, Stream};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// A key file in the temp directory, removed on drop.
struct KeyFile(PathBuf);

impl KeyFile {
    /// A file of `keys` fresh keys (from `--new-ticket-key`'s generator).
    fn generate(keys: usize) -> (KeyFile, Vec<String>) {
        let lines: Vec<String> = (0..keys)
            .map(|_| KeyFileTicketer::generate_line().expect("key").to_string())
            .collect();
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "spectls-fleet-{}-{}.keys",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let file = KeyFile(path);
        file.write(&lines);
        (file, lines)
    }

    /// Replaces the file atomically (write, then rename), as the format's documentation asks.
    fn write(&self, lines: &[String]) {
        let text = format!("# spectls fleet test\n{}\n", lines.join("\n"));
        let tmp = self.0.with_extension("tmp");
        std::fs::write(&tmp, text).expect("write key file");
        std::fs::rename(&tmp, &self.0).expect("rename key file");
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn client(version: &ProtocolVersion, store: Arc<ClientSessionMemoryCache>) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_protocol_versions(std::slice::from_ref(version))
            .with_session_storage(store)
            .build()
            .expect("client config"),
    )
}

/// A server whose tickets come from `ticketer` and that has no session-ID cache, so a TLS 1.2
/// resumption is a ticket's.
fn server(ticketer: Arc<KeyFileTicketer>) -> Arc<ServerConfig> {
    Arc::new(
        server_builder(false)
            .with_protocol_versions(&[TLS13, TLS12])
            .with_ticketer(ticketer)
            .with_session_storage(Arc::new(NoServerSessionStorage))
            .build()
            .expect("server config"),
    )
}

/// A handshake in memory (the TLS 1.3 tickets reach the client within it); whether it resumed,
/// on both sides.
fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> bool {
    let mut c = ClientConnection::new(client.clone(), "localhost".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    handshake(&mut c, &mut s).expect("handshake");
    assert_eq!(c.is_resumed(), s.is_resumed());
    c.is_resumed()
}

/// The session the client keeps for localhost, moved into a store of its own so that exactly
/// that ticket is offered next (TLS 1.2: the session and its ticket, copied; TLS 1.3: the
/// newest ticket, taken out), and the ticket's bytes.
fn take_one(from: &ClientSessionMemoryCache) -> (Arc<ClientSessionMemoryCache>, Vec<u8>) {
    let one = ClientSessionMemoryCache::new(4);
    let ticket = if let Some(t) = from.take_tls13("localhost") {
        let bytes = t.ticket.clone();
        one.put_tls13("localhost", t);
        bytes
    } else {
        let value = from.get("localhost").expect("a TLS 1.2 session");
        let bytes = value.ticket.clone().expect("a TLS 1.2 ticket");
        one.put("localhost", value);
        bytes
    };
    (one, ticket)
}

#[test]
fn two_configs_on_one_file_resume_each_others_tickets_across_a_rotation() {
    for version in [TLS12, TLS13] {
        let (file, keys) = KeyFile::generate(1);
        let ta = KeyFileTicketer::new(&file.0, HOUR).unwrap();
        let tb = KeyFileTicketer::new(&file.0, HOUR).unwrap();
        let (a, b) = (server(ta.clone()), server(tb.clone()));
        let store = ClientSessionMemoryCache::new(4);
        assert!(
            !connect(&client(&version, store.clone()), &a),
            "{version:?}: full"
        );
        // Tickets A sealed before the rotation, one for each check below.
        let (from_a, a_ticket) = take_one(&store);
        let mut before = Vec::new();
        for _ in 0..2 {
            connect(&client(&version, store.clone()), &a);
            before.push(take_one(&store).0);
        }

        assert!(
            connect(&client(&version, from_a.clone()), &b),
            "{version:?}: A's at B"
        );
        // The resumed connection brought a new ticket, sealed by B: A opens it.
        let (from_b, b_ticket) = take_one(&from_a);
        assert_ne!(
            b_ticket, a_ticket,
            "{version:?}: B issued a ticket of its own"
        );
        assert!(
            connect(&client(&version, from_b), &a),
            "{version:?}: B's at A"
        );

        // A new key prepended: the old tickets still open, at either.
        let new = KeyFileTicketer::generate_line().unwrap().to_string();
        file.write(&[new.clone(), keys[0].clone()]);
        ta.reload().unwrap();
        tb.reload().unwrap();
        assert!(
            connect(&client(&version, before[0].clone()), &b),
            "{version:?}: a rotated file still opens old tickets"
        );

        // The old key removed: a full handshake, no error.
        file.write(std::slice::from_ref(&new));
        tb.reload().unwrap();
        assert!(
            !connect(&client(&version, before[1].clone()), &b),
            "{version:?}: a removed key opens nothing"
        );
    }
}

/// One request to the example server on `port`: whether it resumed, and the version, after the
/// whole response (a TLS 1.3 client has its tickets by then).
fn get(port: u16, config: Arc<ClientConfig>) -> (bool, Option<ProtocolVersion>) {
    let sock = common::peer::connect(port).expect("connect to the example server");
    let conn = ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
    let mut tls = Stream::new(conn, sock);
    tls.handshake().expect("handshake");
    tls.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("request");
    let mut reply = Vec::new();
    tls.read_to_end(&mut reply)
        .expect("response and close_notify");
    assert!(reply.starts_with(b"HTTP/1.0 200 OK"), "{reply:?}");
    (tls.conn.is_resumed(), tls.conn.protocol_version())
}

fn start(keys: &KeyFile) -> Server {
    Server::start(&["--ticket-keys", keys.arg()])
}

#[test]
fn two_server_processes_on_one_key_file_resume_each_others_tickets() {
    let (keys, _) = KeyFile::generate(2);
    let (a, b) = (start(&keys), start(&keys));
    let (other_keys, _) = KeyFile::generate(1);
    let other = start(&other_keys);
    for version in [TLS12, TLS13] {
        let store = ClientSessionMemoryCache::new(4);
        assert_eq!(
            get(a.port, client(&version, store.clone())),
            (false, Some(version.clone()))
        );
        let (from_a, a_ticket) = take_one(&store);
        let (spare, _) = take_one(&store);
        assert_eq!(
            get(b.port, client(&version, from_a.clone())),
            (true, Some(version.clone())),
            "{version:?}: A's ticket at B\n{}",
            b.stderr()
        );
        let (from_b, b_ticket) = take_one(&from_a);
        assert_ne!(
            a_ticket, b_ticket,
            "{version:?}: B issued a ticket of its own"
        );
        assert_eq!(
            get(a.port, client(&version, from_b)),
            (true, Some(version.clone())),
            "{version:?}: B's ticket at A\n{}",
            a.stderr()
        );
        // A server on another key file: a full handshake, not an error.
        assert_eq!(
            get(other.port, client(&version, spare)),
            (false, Some(version.clone())),
            "{version:?}\n{}",
            other.stderr()
        );
    }
    for server in [&a, &b] {
        let log = server.stderr();
        assert!(
            log.contains("TLSv1.2") && log.contains("resumed true"),
            "{log}"
        );
        assert!(!log.contains("WARN"), "{log}");
    }
    assert!(!other.stderr().contains("resumed true"));
}

#[test]
fn a_server_process_follows_its_key_file_and_keeps_its_keys_when_it_breaks() {
    let (keys, lines) = KeyFile::generate(1);
    let (a, b) = (start(&keys), start(&keys));
    let store = ClientSessionMemoryCache::new(4);
    let config = client(&TLS13, store.clone());
    assert_eq!(get(a.port, config), (false, Some(TLS13)));
    let (first, second) = (take_one(&store).0, take_one(&store).0);

    // A bad file: B says so and keeps the key it has, so A's ticket still resumes there.
    keys.write(&["not a key".to_string()]);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(get(b.port, client(&TLS13, first)), (true, Some(TLS13)));
    assert!(
        b.wait_stderr(
            "line 2: a key is 64 base64 characters",
            common::peer::TIMEOUT
        ),
        "{}",
        b.stderr()
    );
    assert!(!b.stderr().contains(&lines[0][..16]), "key material logged");

    // A good file without A's key: a full handshake at B.
    let fresh = KeyFileTicketer::generate_line().unwrap().to_string();
    keys.write(&[fresh]);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(get(b.port, client(&TLS13, second)), (false, Some(TLS13)));
}

#[test]
fn the_example_server_prints_key_lines_and_refuses_a_bad_key_file() {
    let out = Command::new(example("server"))
        .arg("--new-ticket-key")
        .output()
        .expect("run the example server");
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    assert_eq!(line.len(), 65, "{line:?}");
    assert!(line.ends_with('\n'));
    let (file, _) = KeyFile::generate(1);
    file.write(&[line.trim().to_string()]);
    assert!(KeyFileTicketer::new(&file.0, HOUR).is_ok());

    file.write(&[String::new()]);
    let mut cmd = Command::new(example("server"));
    cmd.args(["--addr", "127.0.0.1:0", "--ticket-keys", file.arg()]);
    let mut server = common::peer::Peer::spawn(cmd, 4000);
    let status = server.wait_exit(common::peer::TIMEOUT).expect("exits");
    assert_eq!(status.code(), Some(1));
    let log = server.stderr();
    assert!(
        log.contains(&format!("ticket key file {}: no keys", file.arg())),
        "{log}"
    );
}
