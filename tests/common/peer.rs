//! Real TLS peers (`openssl`, `gnutls-*`) as child processes, and TCP on 127.0.0.1, for the
//! interop tests. Every wait is bounded by `TIMEOUT` and every child is killed when its guard
//! drops, so nothing outlives a test.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Bound on every wait: socket reads and writes, a peer starting, a peer exiting.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Peers take the test certificates as files: the root crate's, also for spectls-tokio's tests,
/// which include this file (`#[path]`) from their crate one level down.
pub fn cert_file(name: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if manifest.join("tests/data/certs").is_dir() {
        manifest.to_path_buf()
    } else {
        manifest.join("..")
    };
    root.join("tests/data/certs").join(name)
}

/// Set to `1` (as `.ci/run` does), a missing peer binary fails the test instead of skipping it.
pub const REQUIRE_PEERS_ENV: &str = "SPECTLS_REQUIRE_PEERS";

/// Where `bin` is installed: the first directory on `PATH` that has it. `ip` and `unshare` are
/// also looked for in /usr/sbin and /sbin, which a normal user's `PATH` lacks on Debian; the TLS
/// peers are looked for on `PATH` only, so that a `PATH` without them really hides them.
pub fn locate(bin: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let sbin: &[&str] = match bin {
        "ip" | "unshare" => &["/usr/sbin", "/sbin"],
        _ => &[],
    };
    std::env::split_paths(&path)
        .chain(sbin.iter().map(PathBuf::from))
        .map(|dir| dir.join(bin))
        .find(|candidate| candidate.is_file())
}

/// The Debian package that installs `bin`.
fn package(bin: &str) -> &str {
    match bin {
        "gnutls-cli" | "gnutls-serv" => "gnutls-bin",
        "ip" => "iproute2",
        "unshare" => "util-linux",
        other => other,
    }
}

/// The path of a peer binary the running test needs. A missing one skips the test: `None`, and
/// a `SKIPPED` line on stderr naming the test, the binary and its package, so the caller returns
/// early. With `SPECTLS_REQUIRE_PEERS=1` a missing one fails the test instead (a panic with the
/// same message), so CI cannot pass by skipping.
pub fn require(bin: &str) -> Option<PathBuf> {
    if let Some(found) = locate(bin) {
        return Some(found);
    }
    // libtest runs each test on a thread named after it.
    let test = thread::current()
        .name()
        .map_or_else(|| "<unnamed test>".to_string(), str::to_string);
    let what = format!(
        "{}::{test}: {bin} not installed (apt-get install {})",
        env!("CARGO_CRATE_NAME"),
        package(bin)
    );
    // Anything but unset, empty or 0 asks for failure: a typo must not quietly turn it off.
    let required = std::env::var_os(REQUIRE_PEERS_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    if required {
        panic!("{what}; {REQUIRE_PEERS_ENV} is set, so a missing peer is a failure");
    }
    // Straight to the process's stderr: libtest captures eprintln! of passing tests, and a skip
    // nobody sees is a pass nobody earned.
    let line = format!("SKIPPED {what}; set {REQUIRE_PEERS_ENV}=1 to fail instead\n");
    let _ = io::stderr().lock().write_all(line.as_bytes());
    None
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

// ---------------------------------------------------------------------------------------------
// TCP on 127.0.0.1

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn set_timeouts(sock: &TcpStream) {
    sock.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
    sock.set_write_timeout(Some(TIMEOUT))
        .expect("write timeout");
}

/// Connects to 127.0.0.1:`port`, retrying while nobody listens yet (bounded); the socket gets
/// `TIMEOUT` for reads and writes.
pub fn connect(port: u16) -> io::Result<TcpStream> {
    let deadline = Instant::now() + TIMEOUT;
    let sock = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(sock) => break sock,
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    };
    set_timeouts(&sock);
    Ok(sock)
}

/// Accepts one connection on `listener` within `TIMEOUT` (a blocking accept could hang the
/// test forever); the socket gets `TIMEOUT` for reads and writes.
pub fn accept(listener: &TcpListener) -> io::Result<TcpStream> {
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let deadline = Instant::now() + TIMEOUT;
    let sock = loop {
        match listener.accept() {
            Ok((sock, _)) => break sock,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(10))
            }
            Err(e) => return Err(e),
        }
    };
    sock.set_nonblocking(false).expect("blocking socket");
    set_timeouts(&sock);
    Ok(sock)
}

// ---------------------------------------------------------------------------------------------
// Peer processes

/// A child process whose output is collected by two threads; killed when dropped.
pub struct Peer {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
    transcript_chars: usize,
}

/// A thread that appends everything `from` yields to `into`, until it ends or fails.
pub fn collect(mut from: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut chunk = [0u8; 16384];
        while let Ok(n @ 1..) = from.read(&mut chunk) {
            into.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    })
}

impl Peer {
    /// `transcript_chars`: how much of each output stream a failure message shows before the
    /// middle is elided (tests exchanging large payloads want less).
    pub fn spawn(mut cmd: Command, transcript_chars: usize) -> Peer {
        let what = format!("{cmd:?}");
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let (stdout, stderr) = (Arc::default(), Arc::default());
        let readers = vec![
            collect(child.stdout.take().unwrap(), Arc::clone(&stdout)),
            collect(child.stderr.take().unwrap(), Arc::clone(&stderr)),
        ];
        Peer {
            what,
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
            readers,
            status: None,
            transcript_chars,
        }
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Raw stdout, for payloads compared byte for byte.
    pub fn stdout_bytes(&self) -> Vec<u8> {
        self.stdout.lock().unwrap().clone()
    }

    /// The peer's process ID.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, once a wait has seen the peer exit.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// Writes to the peer's stdin; a peer that already died shows up in the later checks.
    pub fn write_stdin(&mut self, data: &[u8]) {
        if let Some(stdin) = &mut self.stdin {
            let _ = stdin.write_all(data).and_then(|()| stdin.flush());
        }
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    fn exited(&mut self) -> bool {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status.is_some()
    }

    /// Waits until `needle` shows in stdout or stderr; false on timeout or if the peer exits
    /// without printing it.
    pub fn wait_output(&mut self, needle: impl AsRef<[u8]>, timeout: Duration) -> bool {
        let needle = needle.as_ref();
        let deadline = Instant::now() + timeout;
        loop {
            let exited = self.exited() && self.readers.iter().all(|r| r.is_finished());
            if contains(&self.stdout.lock().unwrap(), needle)
                || contains(&self.stderr.lock().unwrap(), needle)
            {
                return true;
            }
            if exited || Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the peer to exit and for its output to be read; `None` on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while !self.exited() {
            if Instant::now() > deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
        while !self.readers.iter().all(|r| r.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        self.status
    }

    /// The command and its output so far, for failure messages.
    pub fn transcript(&self) -> String {
        let show = |s: String| {
            let chars: Vec<char> = s.chars().collect();
            let (limit, half) = (self.transcript_chars, self.transcript_chars / 2);
            if chars.len() <= limit {
                return s;
            }
            let head: String = chars[..half].iter().collect();
            let tail: String = chars[chars.len() - half..].iter().collect();
            format!(
                "{head}\n[... {} characters ...]\n{tail}",
                chars.len() - limit
            )
        };
        format!(
            "--- {} (exit: {:?})\n--- stdout:\n{}\n--- stderr:\n{}\n---",
            self.what,
            self.status,
            show(self.stdout()),
            show(self.stderr())
        )
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stdin = None;
        if !self.exited() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// openssl

/// Starts `openssl s_server -accept 127.0.0.1:<port>` followed by the arguments `configure`
/// adds, and waits until it accepts. s_server needs its port up front, so it gets one just
/// released by a listener, and is restarted on another if it loses the race for it. `openssl`
/// comes from the test's [`require`], which decided whether the test runs at all.
pub fn start_s_server_on_free_port(
    openssl: &Path,
    transcript_chars: usize,
    configure: impl Fn(&mut Command),
) -> (Peer, u16) {
    let mut last = String::new();
    for _ in 0..5 {
        let port = free_port();
        let mut cmd = Command::new(openssl);
        cmd.arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")]);
        configure(&mut cmd);
        let mut server = Peer::spawn(cmd, transcript_chars);
        if server.wait_output(b"ACCEPT", TIMEOUT) {
            return (server, port);
        }
        server.wait_exit(Duration::from_secs(1));
        last = server.transcript();
        if !last.contains("in use") {
            break;
        }
    }
    panic!("openssl s_server did not start:\n{last}");
}

/// `openssl s_client` to 127.0.0.1:`port` that trusts the test CA and requires the name
/// `localhost`, as a browser would; `protocol` (version, ciphers) and `extra` go in as given.
/// The caller resolves `openssl` with [`require`] so that a missing binary skips (or fails) the
/// test before it starts a server.
pub fn verifying_s_client(openssl: &Path, port: u16, protocol: &[&str], extra: &[&str]) -> Command {
    let mut cmd = Command::new(openssl);
    cmd.arg("s_client")
        .args(["-connect", &format!("127.0.0.1:{port}")])
        .args(protocol)
        .arg("-CAfile")
        .arg(cert_file("ca.pem"))
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .args(["-verify_return_error", "-nocommands"])
        .args(extra);
    cmd
}

// ---------------------------------------------------------------------------------------------
// A private network namespace (for gnutls-serv, which cannot be told to bind only 127.0.0.1)

/// Runs the `#[ignore]`d test `child_test` of the running test binary inside a fresh network
/// and PID namespace (`unshare --net --pid --fork --kill-child`), with `env` set, and requires
/// it to pass and to print `marker` (a name filter matching nothing would also exit 0). The
/// new PID namespace plus `--kill-child` means killing `unshare` (timeout, drop) kills
/// everything inside it: nothing outlives the test. `unshare` comes from the caller's
/// [`require`].
pub fn run_in_private_netns(unshare: &Path, child_test: &str, env: (&str, &str), marker: &str) {
    let exe = std::env::current_exe().expect("current test binary");
    let mut cmd = Command::new(unshare);
    cmd.args(["--net", "--pid", "--fork", "--kill-child", "--"])
        .arg(exe)
        .args([child_test, "--exact", "--ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(env.0, env.1);
    let mut child = Peer::spawn(cmd, 6000);
    // The child bounds each of its own steps; this covers start-up on a loaded machine too.
    let status = child.wait_exit(3 * TIMEOUT);
    assert!(
        status.is_some_and(|s| s.success()) && contains(&child.stdout_bytes(), marker.as_bytes()),
        "{}: the namespace child failed (or never ran {child_test}):\n{}",
        env.1,
        child.transcript()
    );
}

/// Inside [`run_in_private_netns`]: brings `lo` up and refuses to go on (a panic) unless `lo`
/// is the only interface, so that a server binding every interface is reachable from nowhere
/// else.
pub fn loopback_only_namespace(ip: &Path) {
    let up = Command::new(ip)
        .args(["link", "set", "lo", "up"])
        .status()
        .expect("run ip");
    assert!(up.success(), "`ip link set lo up` failed: {up}");
    let links = Command::new(ip)
        .args(["-o", "link", "show"])
        .output()
        .expect("run ip");
    let links = String::from_utf8_lossy(&links.stdout);
    let names: Vec<&str> = links
        .lines()
        .filter_map(|l| l.split(':').nth(1).map(str::trim))
        .collect();
    assert_eq!(
        names,
        ["lo"],
        "not in a private network namespace (interfaces: {links}); refusing to go on"
    );
}
