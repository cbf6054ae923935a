//! Loading a certificate chain and its private key from PEM files, with errors a person can act
//! on: each names the file and says what is wrong with it (missing, empty, DER rather than PEM,
//! no certificate, no key, an encrypted key, a key that is not the certificate's).
//!
//! Every error is `Error::Config`, as for the other configuration checks: the text is for the
//! person starting the program.

use crate::crypto::sign::SigningKey;
use crate::error::Error;
use crate::pki::key::subject_public_key;
use crate::pki::resolve::CertifiedKey;
use pki_types::pem::{self, PemObject};
use pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// The key sections [`load_private_key`] takes.
const KEY_LABELS: &str = "PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY";

/// The certificates of the PEM file at `path` (a chain, leaf first), every `CERTIFICATE`
/// section in order.
///
/// `Error::Config` naming the file when it cannot be read, is empty, is DER rather than PEM,
/// is not valid PEM or holds no certificate (the sections it does hold are listed).
pub fn load_certs(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, Error> {
    load_certs_what(path.as_ref(), "certificate chain file")
}

/// [`load_certs`], calling the file `what` in errors ("CA file", ...).
pub(crate) fn load_certs_what(
    path: &Path,
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let fail = |problem: String| Error::Config(format!("{what} {}: {problem}", path.display()));
    let bytes = read(path).map_err(&fail)?;
    let labels = pem_labels(&bytes);
    if labels.is_empty() {
        return Err(fail(not_pem(
            &bytes,
            "a PEM certificate starts with -----BEGIN CERTIFICATE-----",
            &format!(
                "openssl x509 -inform der -in {0} -out {0}.pem",
                path.display()
            ),
        )));
    }
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(fail(format!(
            "no certificate in it (no CERTIFICATE section; it holds {})",
            labels.join(", ")
        )));
    }
    Ok(certs)
}

/// The private key in the PEM file at `path`: the first `PRIVATE KEY` (PKCS#8),
/// `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1) section.
///
/// `Error::Config` naming the file when it cannot be read, is empty, is DER rather than PEM,
/// is not valid PEM, holds no key, or holds an encrypted key (`ENCRYPTED PRIVATE KEY`, or a
/// legacy `Proc-Type: 4,ENCRYPTED` one): spectls reads only unencrypted keys, and the error
/// says how to decrypt it (`openssl pkey -in KEY -out DECRYPTED`).
pub fn load_private_key(path: impl AsRef<Path>) -> Result<PrivateKeyDer<'static>, Error> {
    let path = path.as_ref();
    let fail =
        |problem: String| Error::Config(format!("private key file {}: {problem}", path.display()));
    let bytes = read(path).map_err(&fail)?;
    let labels = pem_labels(&bytes);
    if labels.is_empty() {
        return Err(fail(not_pem(
            &bytes,
            "a PEM key starts with -----BEGIN PRIVATE KEY-----",
            &format!(
                "openssl pkey -inform der -in {0} -out {0}.pem",
                path.display()
            ),
        )));
    }
    let encrypted = labels
        .iter()
        .find(|l| l.as_str() == "ENCRYPTED PRIVATE KEY");
    let legacy_encrypted = contains(&bytes, b"Proc-Type: 4,ENCRYPTED");
    if encrypted.is_some() || legacy_encrypted {
        let form = if encrypted.is_some() {
            "an ENCRYPTED PRIVATE KEY section"
        } else {
            "a PEM section with Proc-Type: 4,ENCRYPTED"
        };
        return Err(fail(format!(
            "the key is encrypted ({form}) and spectls reads only unencrypted keys; decrypt it \
             with `openssl pkey -in {0} -out {0}.decrypted` (it asks for the passphrase) and \
             use that file, readable only by the server's user",
            path.display()
        )));
    }
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => fail(format!(
            "no private key in it (no {KEY_LABELS} section; it holds {})",
            labels.join(", ")
        )),
        e => fail(format!("not valid PEM: {e}")),
    })
}

/// The chain in the PEM file `chain_path` (leaf first) and the private key in the PEM file
/// `key_path`, checked to belong together: the key's public key must be the one the leaf
/// certificate certifies.
///
/// Errors (all `Error::Config`, naming the file): those of [`load_certs`] and
/// [`load_private_key`]; a key spectls cannot sign with (what it is); a first certificate that
/// does not parse; a key that is not the certificate's (of another algorithm, or another key of
/// the same one).
pub fn load_identity(
    chain_path: impl AsRef<Path>,
    key_path: impl AsRef<Path>,
) -> Result<CertifiedKey, Error> {
    let (chain_path, key_path) = (chain_path.as_ref(), key_path.as_ref());
    let chain = load_certs(chain_path)?;
    let key_der = load_private_key(key_path)?;
    let key = SigningKey::from_der(&key_der).map_err(|e| {
        Error::Config(format!(
            "private key file {}: {}",
            key_path.display(),
            config_text(e)
        ))
    })?;
    let leaf = chain.first().ok_or_else(|| {
        Error::Config(format!(
            "certificate chain file {}: no certificate in it",
            chain_path.display()
        ))
    })?;
    let (kind, public) = subject_public_key(leaf).map_err(|_| {
        Error::Config(format!(
            "certificate chain file {}: its first certificate cannot be parsed (webpki)",
            chain_path.display()
        ))
    })?;
    let mismatch = |why: String| {
        Error::Config(format!(
            "private key file {} does not match the certificate in {} (the first one, which the \
             key must belong to): {why}",
            key_path.display(),
            chain_path.display()
        ))
    };
    if kind.name() != key.algorithm() {
        return Err(mismatch(format!(
            "the key is {} and the certificate's key is {}",
            key.algorithm(),
            kind.name()
        )));
    }
    if public != key.public_key() {
        return Err(mismatch(format!(
            "both are {}, but the certificate certifies another public key",
            key.algorithm()
        )));
    }
    // The same check every CertifiedKey passes (a signature the certificate verifies).
    key.check_certificate(leaf)
        .map_err(|e| mismatch(config_text(e)))?;
    Ok(CertifiedKey {
        cert: chain,
        key: Arc::new(key),
        ocsp: None,
    })
}

/// The text of a `Config` error (the whole Display of any other).
fn config_text(e: Error) -> String {
    match e {
        Error::Config(s) => s,
        e => e.to_string(),
    }
}

/// The file's bytes; an unreadable or empty file is the problem to report.
fn read(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".into());
    }
    Ok(bytes)
}

/// Why bytes with no PEM section are not what we want: DER (a SEQUENCE, and how to convert it)
/// or anything else (what PEM looks like).
fn not_pem(bytes: &[u8], what_pem_looks_like: &str, convert: &str) -> String {
    if bytes.first() == Some(&0x30) {
        format!("it is DER, not PEM; convert it with `{convert}`")
    } else {
        format!("no PEM section in it ({what_pem_looks_like})")
    }
}

/// The labels of the PEM sections in `bytes`, in order: `CERTIFICATE` for a line
/// `-----BEGIN CERTIFICATE-----`.
fn pem_labels(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let line = std::str::from_utf8(line).ok()?.trim();
            let label = line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")?;
            Some(label.to_string())
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_read_from_begin_lines() {
        let pem = b"junk\r\n-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\n\
                    -----BEGIN ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(
            pem_labels(pem),
            ["CERTIFICATE", "ENCRYPTED PRIVATE KEY"].map(String::from)
        );
        assert!(pem_labels(b"\x30\x82\x01\x00").is_empty());
        assert!(contains(
            b"abcProc-Type: 4,ENCRYPTED",
            b"Proc-Type: 4,ENCRYPTED"
        ));
    }
}
