//! Exporting session secrets for debugging: the NSS key log format that Wireshark, curl,
//! Firefox and OpenSSL's `-keylogfile` use.
//!
//! A key log lets anyone holding it decrypt the logged connections, so nothing is logged unless
//! a [`KeyLog`] is configured, and [`KeyLogFile`] writes only when `SSLKEYLOGFILE` names a file.

use std::fmt::{self, Write as _};
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Receives the secrets of each connection as it derives them.
///
/// In TLS 1.2 there is one label, `CLIENT_RANDOM`: `client_random` is the 32-byte
/// ClientHello.random and `secret` the 48-byte master secret.
pub trait KeyLog: fmt::Debug + Send + Sync {
    /// Records `secret` under `label` for the connection identified by `client_random`.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]);

    /// Whether [`KeyLog::log`] would do anything with `label`; the handshake skips copying the
    /// secret out when it would not.
    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

/// The default: logs nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKeyLog;

impl KeyLog for NoKeyLog {
    fn log(&self, _label: &str, _client_random: &[u8], _secret: &[u8]) {}

    fn will_log(&self, _label: &str) -> bool {
        false
    }
}

/// Appends secrets to the file named by the `SSLKEYLOGFILE` environment variable, one
/// `LABEL <client_random hex> <secret hex>` line each (the NSS key log format).
///
/// The variable is read once, by [`KeyLogFile::new`]. If it is unset or empty, or the file
/// cannot be opened, nothing is logged. Logging never fails a connection: an I/O error is
/// reported once through the `log` crate and otherwise ignored.
///
/// On Unix a file it creates is readable by its owner only (mode 0600), since it holds secrets.
pub struct KeyLogFile {
    // `None` when logging is off.
    sink: Option<Sink>,
}

struct Sink {
    path: PathBuf,
    // One lock, so lines from concurrent connections never mix.
    state: Mutex<SinkState>,
}

struct SinkState {
    file: File,
    // Warn once: a full disk would otherwise log a warning per handshake.
    warned: bool,
}

impl KeyLogFile {
    /// Reads `SSLKEYLOGFILE` and opens that file for appending (creating it if needed).
    pub fn new() -> Self {
        let path = std::env::var_os("SSLKEYLOGFILE")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        Self::with_path(path.as_deref())
    }

    /// Logs to `path` (or nowhere for `None`), without looking at the environment: the tests
    /// use it so that they do not race on a process-wide variable.
    fn with_path(path: Option<&Path>) -> Self {
        let sink = path.and_then(|path| match open_append(path) {
            Ok(file) => Some(Sink {
                path: path.to_path_buf(),
                state: Mutex::new(SinkState {
                    file,
                    warned: false,
                }),
            }),
            Err(e) => {
                log::warn!("cannot open key log file {}: {e}", path.display());
                None
            }
        });
        Self { sink }
    }
}

impl Default for KeyLogFile {
    /// The same as [`KeyLogFile::new`]: reads `SSLKEYLOGFILE`.
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLogFile")
            .field("path", &self.sink.as_ref().map(|s| &s.path))
            .finish()
    }
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let Some(sink) = &self.sink else { return };
        // The line holds the secret in hex; wiped once written.
        let line = zeroize::Zeroizing::new(format_line(label, client_random, secret));
        // A panic elsewhere while holding the lock leaves nothing half-done that matters here.
        let mut state = sink.state.lock().unwrap_or_else(PoisonError::into_inner);
        // One write per line: with O_APPEND, other processes' lines do not land inside ours.
        if let Err(e) = state.file.write_all(line.as_bytes()) {
            if !state.warned {
                state.warned = true;
                log::warn!("cannot write key log file {}: {e}", sink.path.display());
            }
        }
    }

    fn will_log(&self, _label: &str) -> bool {
        self.sink.is_some()
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// `LABEL <hex> <hex>\n`, lower-case hex as NSS, OpenSSL and Wireshark write and read it.
fn format_line(label: &str, client_random: &[u8], secret: &[u8]) -> String {
    let mut line =
        String::with_capacity(label.len() + 2 * (client_random.len() + secret.len()) + 3);
    line.push_str(label);
    for bytes in [client_random, secret] {
        line.push(' ');
        for b in bytes {
            // Writing to a String cannot fail.
            let _ = write!(line, "{b:02x}");
        }
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A file under the temp directory, unique per test and process, removed on drop.
    struct TempPath(PathBuf);

    impl TempPath {
        fn new(test: &str) -> Self {
            let path = std::env::temp_dir()
                .join(format!("spectls-keylog-{}-{test}.txt", std::process::id()));
            let _ = std::fs::remove_file(&path);
            Self(path)
        }

        fn read(&self) -> String {
            std::fs::read_to_string(&self.0).expect("key log file")
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    const RANDOM: [u8; 32] = [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
        0x0f, 0x10, 0x1f, 0x20, 0x7f, 0x80, 0x9a, 0xa0, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf0, 0xf1,
        0xfe, 0xff,
    ];

    #[test]
    fn writes_nss_client_random_lines() {
        let tmp = TempPath::new("format");
        let log = KeyLogFile::with_path(Some(&tmp.0));
        assert!(log.will_log("CLIENT_RANDOM"));
        log.log("CLIENT_RANDOM", &RANDOM, &[0xab; 48]);
        let expected = format!(
            "CLIENT_RANDOM 000102030405060708090a0b0c0d0e0f101f207f809aa0abbccddeeff0f1feff {}\n",
            "ab".repeat(48)
        );
        assert_eq!(tmp.read(), expected);
        // Field widths: 64 and 96 hex digits.
        let line = tmp.read();
        let fields: Vec<&str> = line.trim_end().split(' ').collect();
        assert_eq!(fields.len(), 3);
        assert_eq!((fields[1].len(), fields[2].len()), (64, 96));
        // A second connection appends a second line.
        log.log("CLIENT_RANDOM", &[0xff; 32], &[0; 48]);
        assert_eq!(
            tmp.read(),
            format!(
                "{expected}CLIENT_RANDOM {} {}\n",
                "ff".repeat(32),
                "00".repeat(48)
            )
        );
    }

    #[test]
    fn appends_to_an_existing_file() {
        let tmp = TempPath::new("append");
        std::fs::write(&tmp.0, "# written by someone else\n").expect("write");
        let log = KeyLogFile::with_path(Some(&tmp.0));
        log.log("CLIENT_RANDOM", &[1; 32], &[2; 48]);
        // A second logger on the same file (another config) appends too.
        KeyLogFile::with_path(Some(&tmp.0)).log("CLIENT_RANDOM", &[3; 32], &[4; 48]);
        assert_eq!(
            tmp.read(),
            format!(
                "# written by someone else\nCLIENT_RANDOM {} {}\nCLIENT_RANDOM {} {}\n",
                "01".repeat(32),
                "02".repeat(48),
                "03".repeat(32),
                "04".repeat(48)
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn created_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = TempPath::new("mode");
        let log = KeyLogFile::with_path(Some(&tmp.0));
        log.log("CLIENT_RANDOM", &RANDOM, &[0; 48]);
        let mode = std::fs::metadata(&tmp.0)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }

    #[test]
    fn concurrent_connections_never_interleave_lines() {
        let tmp = TempPath::new("threads");
        let log: Arc<dyn KeyLog> = Arc::new(KeyLogFile::with_path(Some(&tmp.0)));
        let threads: Vec<_> = (0u8..8)
            .map(|t| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    for i in 0u8..50 {
                        log.log("CLIENT_RANDOM", &[t; 32], &[i; 48]);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let text = tmp.read();
        assert_eq!(text.lines().count(), 400);
        for line in text.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 3, "{line}");
            assert_eq!(fields[0], "CLIENT_RANDOM");
            assert_eq!(fields[1].len(), 64);
            assert_eq!(fields[2].len(), 96);
            assert!(fields[1]
                .as_bytes()
                .chunks(2)
                .all(|c| c == &fields[1].as_bytes()[..2]));
        }
    }

    #[test]
    fn no_path_or_unopenable_path_logs_nothing() {
        let off = KeyLogFile::with_path(None);
        assert!(!off.will_log("CLIENT_RANDOM"));
        off.log("CLIENT_RANDOM", &RANDOM, &[0; 48]);
        assert!(format!("{off:?}").contains("None"));

        let dir = TempPath::new("missing-dir");
        let inside_missing_dir = dir.0.join("keylog.txt");
        let broken = KeyLogFile::with_path(Some(&inside_missing_dir));
        assert!(!broken.will_log("CLIENT_RANDOM"));
        broken.log("CLIENT_RANDOM", &RANDOM, &[0; 48]);
        assert!(!inside_missing_dir.exists());
    }

    #[test]
    fn debug_names_the_file_not_the_secrets() {
        let tmp = TempPath::new("debug");
        let log = KeyLogFile::with_path(Some(&tmp.0));
        log.log("CLIENT_RANDOM", &RANDOM, &[0xab; 48]);
        let shown = format!("{log:?}");
        assert!(shown.contains("spectls-keylog-"), "{shown}");
        assert!(!shown.contains("abab"), "{shown}");
    }

    #[test]
    fn no_key_log_does_nothing() {
        let log: Arc<dyn KeyLog> = Arc::new(NoKeyLog);
        assert!(!log.will_log("CLIENT_RANDOM"));
        log.log("CLIENT_RANDOM", &RANDOM, &[0; 48]);
        assert_eq!(format!("{log:?}"), "NoKeyLog");
    }

    #[test]
    fn odd_lengths_are_written_as_given() {
        // The format does not fix lengths; the line is exactly what was passed.
        assert_eq!(format_line("L", &[], &[]), "L  \n");
        assert_eq!(
            format_line("EXPORTER_SECRET", &[0x0a], &[0xb0, 0x0c]),
            "EXPORTER_SECRET 0a b00c\n"
        );
    }
}
