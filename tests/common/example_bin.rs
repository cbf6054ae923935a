//! The example binaries (`examples/*.rs`) as child processes: where `cargo test` built them,
//! and the example server started on an ephemeral port of 127.0.0.1 (killed on drop).

use super::peer::{cert_file, Peer, TIMEOUT};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// An example binary: tests run from `<target>/debug/deps/`, examples are in `../examples/`.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test binary");
    let path = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("examples").join(name));
    let Some(path) = path.filter(|p| p.is_file()) else {
        panic!(
            "example `{name}` not found in ../examples/ from {} (`cargo test` builds it; \
             `cargo build --examples` does too)",
            exe.display()
        )
    };
    // `cargo test --test examples_server` alone does not rebuild examples: never test an old one.
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/{name}.rs"));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(edited)) = (modified(&path), modified(&source)) {
        assert!(
            built >= edited,
            "{} is older than {}: run `cargo build --examples` (or the whole `cargo test`)",
            path.display(),
            source.display()
        );
    }
    path
}

/// The server's certificate and an ephemeral port, then `extra`.
pub fn server_args(cmd: &mut Command, extra: &[&str]) {
    cmd.args(["--addr", "127.0.0.1:0", "--cert"])
        .arg(cert_file("server-ecdsa.pem"))
        .arg("--key")
        .arg(cert_file("server-ecdsa.key"))
        .args(extra);
}

/// The example server as a child process (a `Peer`: killed on drop, its output collected), and
/// the port it listens on.
pub struct Server {
    pub peer: Peer,
    pub port: u16,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let mut cmd = Command::new(example("server"));
        server_args(&mut cmd, extra);
        Server::spawn(cmd)
    }

    /// Starts `cmd` and waits for its `listening on 127.0.0.1:PORT` line.
    pub fn spawn(cmd: Command) -> Server {
        let mut peer = Peer::spawn(cmd, 4000);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let log = peer.stderr();
            let port = log
                .split_once("listening on 127.0.0.1:")
                // Only a whole line: a partly written port number would parse too.
                .and_then(|(_, rest)| rest.split_once('\n'))
                .map(|(port, _)| port)
                .and_then(|p| p.trim().parse().ok());
            if let Some(port) = port {
                return Server { peer, port };
            }
            let exited = peer.wait_exit(Duration::ZERO);
            if exited.is_some() || Instant::now() > deadline {
                panic!("did not start listening:\n{}", peer.transcript());
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn stderr(&self) -> String {
        self.peer.stderr()
    }

    /// The last lines of stderr, for failure messages (a thousand timed-out peers are long).
    pub fn log_tail(&self) -> String {
        let log = self.stderr();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    pub fn wait_stderr(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.stderr().contains(needle) {
            if Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
        true
    }
}
