//! Loading a chain and key from PEM files (`pki::load_identity`, `load_certs`,
//! `load_private_key`, `ServerConfigBuilder::with_cert_files`,
//! `ClientConfigBuilder::with_client_auth_files`, `RootCertStore::from_pem_file`): every error
//! case with real files in a temporary directory, each error naming the file and the problem;
//! files that load are used in real handshakes.

mod common;

use common::*;
use spectls::pki::{load_certs, load_identity, load_private_key, RootCertStore};
use spectls::pki::{ClientCertVerifier, WebPkiClientVerifier};
use spectls::{ClientConfig, Error, ServerConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A directory of this test's own under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("spectls-pem-files-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        TempDir(dir)
    }

    /// Writes `bytes` to `name` in it; its path.
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write test file");
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file of the committed test data.
fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// The text of an `Error::Config` (any other kind fails the test).
fn config_error<T>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Config(text)) => text,
        Err(other) => panic!("expected Error::Config, got {other:?}"),
        Ok(_) => panic!("expected Error::Config, got success"),
    }
}

/// Asserts that `text` contains each of `parts`.
fn assert_says(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
}

#[test]
fn missing_or_unreadable_files_are_named() {
    let dir = TempDir::new("missing");
    let key = dir.file("key.pem", ECDSA_KEY);
    let chain = dir.file("chain.pem", ECDSA_CHAIN);
    let missing = dir.path("no-such-chain.pem");
    let text = config_error(load_identity(&missing, &key));
    assert_says(
        &text,
        &[
            &format!("certificate chain file {}", missing.display()),
            "cannot read it",
            "No such file or directory",
        ],
    );
    let missing_key = dir.path("no-such-key.pem");
    let text = config_error(load_identity(&chain, &missing_key));
    assert_says(
        &text,
        &[
            &format!("private key file {}", missing_key.display()),
            "cannot read it",
        ],
    );
    // A directory is not a file.
    let text = config_error(load_certs(&dir.0));
    assert_says(&text, &[&dir.0.display().to_string(), "cannot read it"]);
    // The builders say the same.
    let text = config_error(ServerConfig::builder().with_cert_files(&missing, &key));
    assert_says(&text, &[&missing.display().to_string(), "cannot read it"]);
    let text = config_error(ClientConfig::builder().with_client_auth_files(&chain, &missing_key));
    assert_says(
        &text,
        &[&missing_key.display().to_string(), "cannot read it"],
    );
    let text = config_error(RootCertStore::from_pem_file(&missing));
    assert_says(
        &text,
        &[&format!("CA file {}", missing.display()), "cannot read it"],
    );
}

#[test]
fn empty_files_der_files_and_broken_pem() {
    let dir = TempDir::new("shapes");
    let key = dir.file("key.pem", ECDSA_KEY);
    let empty = dir.file("empty.pem", b"\n  \n");
    let text = config_error(load_identity(&empty, &key));
    assert_says(
        &text,
        &[
            &format!("certificate chain file {}", empty.display()),
            "the file is empty",
        ],
    );
    let text = config_error(load_private_key(&empty));
    assert_says(
        &text,
        &[
            &format!("private key file {}", empty.display()),
            "the file is empty",
        ],
    );

    // DER where PEM was expected: said so, with the command that converts it.
    let leaf = spectls::pki::certs_from_pem(ECDSA_CHAIN)
        .expect("chain")
        .remove(0);
    let der = dir.file("leaf.der", leaf.as_ref());
    let text = config_error(load_certs(&der));
    assert_says(
        &text,
        &[
            "it is DER, not PEM",
            &format!("openssl x509 -inform der -in {}", der.display()),
        ],
    );
    let key_der = spectls::pki::private_key_from_pem(ECDSA_KEY).expect("key");
    let key_der = dir.file("key.der", key_der.secret_der());
    let text = config_error(load_private_key(&key_der));
    assert_says(
        &text,
        &[
            "it is DER, not PEM",
            &format!("openssl pkey -inform der -in {}", key_der.display()),
        ],
    );

    // Not PEM at all.
    let text_file = dir.file("notes.txt", b"hello, this is not a certificate\n");
    let text = config_error(load_certs(&text_file));
    assert_says(
        &text,
        &["no PEM section in it", "-----BEGIN CERTIFICATE-----"],
    );

    // A CERTIFICATE section whose base64 is broken.
    let broken = dir.file(
        "broken.pem",
        b"-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n",
    );
    let text = config_error(load_certs(&broken));
    assert_says(
        &text,
        &[
            &format!("certificate chain file {}", broken.display()),
            "not valid PEM",
        ],
    );
}

#[test]
fn a_chain_file_without_certificates_and_a_key_file_without_a_key() {
    let dir = TempDir::new("swapped");
    let key = dir.file("key.pem", ECDSA_KEY);
    let chain = dir.file("chain.pem", ECDSA_CHAIN);
    // The files given the wrong way round: each says what it holds instead.
    let text = config_error(load_identity(&key, &chain));
    assert_eq!(
        text,
        format!(
            "certificate chain file {}: no certificate in it (no CERTIFICATE section; it holds \
             PRIVATE KEY)",
            key.display()
        )
    );
    let text = config_error(load_identity(&chain, &chain));
    assert_eq!(
        text,
        format!(
            "private key file {}: no private key in it (no PRIVATE KEY, RSA PRIVATE KEY or EC \
             PRIVATE KEY section; it holds CERTIFICATE, CERTIFICATE)",
            chain.display()
        )
    );
    let text = config_error(RootCertStore::from_pem_file(&key));
    assert_says(
        &text,
        &[&format!("CA file {}", key.display()), "no certificate"],
    );
}

#[test]
fn encrypted_keys_are_refused_with_how_to_decrypt_them() {
    let chain = data("certs/server-ecdsa.pem");
    let pkcs8 = data("keys/encrypted-pkcs8.pem");
    let text = config_error(load_identity(&chain, &pkcs8));
    assert_eq!(
        text,
        format!(
            "private key file {0}: the key is encrypted (an ENCRYPTED PRIVATE KEY section) and \
             spectls reads only unencrypted keys; decrypt it with `openssl pkey -in {0} -out \
             {0}.decrypted` (it asks for the passphrase) and use that file, readable only by the \
             server's user",
            pkcs8.display()
        )
    );
    let legacy = data("keys/encrypted-legacy-ec.pem");
    let text = config_error(load_private_key(&legacy));
    assert_says(
        &text,
        &[
            &format!("private key file {}", legacy.display()),
            "the key is encrypted (a PEM section with Proc-Type: 4,ENCRYPTED)",
            &format!("openssl pkey -in {}", legacy.display()),
        ],
    );
    let text = config_error(ServerConfig::builder().with_cert_files(&chain, &pkcs8));
    assert_says(&text, &["encrypted", "openssl pkey"]);

    // The command the error gives works (when openssl is here): the decrypted key loads and
    // fits no certificate of ours, but it is a usable P-256 key.
    if let Ok(status) = std::process::Command::new("openssl")
        .args(["pkey", "-passin", "pass:spectls", "-in"])
        .arg(&pkcs8)
        .arg("-out")
        .arg(std::env::temp_dir().join(format!("spectls-decrypted-{}.pem", std::process::id())))
        .status()
    {
        let out =
            std::env::temp_dir().join(format!("spectls-decrypted-{}.pem", std::process::id()));
        assert!(status.success());
        let text = config_error(load_identity(&chain, &out));
        assert_says(
            &text,
            &["both are ECDSA P-256, but the certificate certifies another public key"],
        );
        let _ = std::fs::remove_file(out);
    } else {
        eprintln!("SKIPPED: decrypting the encrypted test key needs openssl (Debian: openssl)");
    }
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let dir = TempDir::new("mismatch");
    let ecdsa_chain = data("certs/server-ecdsa.pem");
    let rsa_chain = data("certs/server-rsa.pem");
    // Another P-256 key (the CA's) for the ECDSA leaf.
    let other_p256 = data("certs/ca.key");
    let text = config_error(load_identity(&ecdsa_chain, &other_p256));
    assert_eq!(
        text,
        format!(
            "private key file {} does not match the certificate in {} (the first one, which the \
             key must belong to): both are ECDSA P-256, but the certificate certifies another \
             public key",
            other_p256.display(),
            ecdsa_chain.display()
        )
    );
    // Another algorithm: the ECDSA key with the RSA chain, and the other way round.
    let ecdsa_key = data("certs/server-ecdsa.key");
    let rsa_key = data("certs/server-rsa.key");
    let text = config_error(load_identity(&rsa_chain, &ecdsa_key));
    assert_says(
        &text,
        &["the key is ECDSA P-256 and the certificate's key is RSA"],
    );
    let text = config_error(load_identity(&ecdsa_chain, &rsa_key));
    assert_says(
        &text,
        &["the key is RSA and the certificate's key is ECDSA P-256"],
    );
    // rcgen keys: an Ed25519 key for a P-256 certificate, a P-384 certificate for a P-256 key.
    let p256_cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .expect("params")
        .self_signed(&rcgen::KeyPair::generate().expect("key"))
        .expect("cert");
    let p256_pem = dir.file("p256.pem", p256_cert.pem().as_bytes());
    let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key");
    let ed25519_key = dir.file("ed25519.key", ed25519.serialize_pem().as_bytes());
    let text = config_error(load_identity(&p256_pem, &ed25519_key));
    assert_says(
        &text,
        &[
            &format!("private key file {}", ed25519_key.display()),
            &format!("the certificate in {}", p256_pem.display()),
            "the key is Ed25519 and the certificate's key is ECDSA P-256",
        ],
    );
    let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("key");
    let p384_cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .expect("params")
        .self_signed(&p384)
        .expect("cert");
    let p384_pem = dir.file("p384.pem", p384_cert.pem().as_bytes());
    let text = config_error(load_identity(&p384_pem, &ecdsa_key));
    assert_says(
        &text,
        &["the key is ECDSA P-256 and the certificate's key is ECDSA P-384"],
    );
    // The matching pair loads.
    let p384_key = dir.file("p384.key", p384.serialize_pem().as_bytes());
    assert_eq!(
        load_identity(&p384_pem, &p384_key)
            .expect("matching")
            .cert
            .len(),
        1
    );
    // And through the client builder.
    let text =
        config_error(ClientConfig::builder().with_client_auth_files(&ecdsa_chain, &other_p256));
    assert_says(&text, &["does not match the certificate"]);
}

#[test]
fn a_key_spectls_cannot_sign_with_is_named() {
    let dir = TempDir::new("p521");
    let chain = dir.file("chain.pem", ECDSA_CHAIN);
    let p521 = data("keys/p521.pem");
    let text = config_error(load_identity(&chain, &p521));
    assert_says(
        &text,
        &[&format!(
            "private key file {}: PKCS#8 private key is not ECDSA P-256/P-384",
            p521.display()
        )],
    );
}

#[test]
fn the_test_certificates_load_from_files_and_serve_handshakes() {
    // The committed test chains (leaf and CA) with their PKCS#8 keys.
    for (chain, key, rsa) in [
        ("certs/server-ecdsa.pem", "certs/server-ecdsa.key", false),
        ("certs/server-rsa.pem", "certs/server-rsa.key", true),
    ] {
        let identity = load_identity(data(chain), data(key)).expect("test identity");
        assert_eq!(identity.cert.len(), 2, "{chain}: leaf and CA");
        assert_eq!(load_certs(data(chain)).expect("chain"), identity.cert);
        let server = ServerConfig::builder()
            .with_cert_files(data(chain), data(key))
            .expect("server certificate files")
            .build()
            .expect("server config");
        let client = ClientConfig::builder()
            .with_root_certificates(RootCertStore::from_pem_file(data("certs/ca.pem")).expect("CA"))
            .build()
            .expect("client config");
        let (mut c, mut s) = pair(client, server);
        handshake(&mut c, &mut s).expect("handshake");
        assert_eq!(
            c.peer_certificates().expect("server chain")[0],
            identity.cert[0],
            "rsa {rsa}"
        );
    }

    // rcgen's SEC1 and PKCS#8 keys in files: a client certificate sent with
    // with_client_auth_files is the one the server sees.
    let dir = TempDir::new("client-auth");
    let ca = rcgen_ca("client CA");
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &ca).expect("client cert");
    let chain = dir.file(
        "client.pem",
        format!("{}{}", cert.pem(), ca.pem()).as_bytes(),
    );
    let key_file = dir.file("client.key", key.serialize_pem().as_bytes());
    let ca_file = dir.file("ca.pem", ca.pem().as_bytes());
    let verifier: Arc<dyn ClientCertVerifier> = WebPkiClientVerifier::builder(Arc::new(
        RootCertStore::from_pem_file(&ca_file).expect("CA"),
    ))
    .build()
    .expect("verifier");
    let server = ServerConfig::builder()
        .with_cert_files(
            data("certs/server-ecdsa.pem"),
            data("certs/server-ecdsa.key"),
        )
        .expect("server files")
        .with_client_cert_verifier(verifier)
        .build()
        .expect("server config");
    let client = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_client_auth_files(&chain, &key_file)
        .expect("client files")
        .build()
        .expect("client config");
    let (mut c, mut s) = pair(client, server);
    handshake(&mut c, &mut s).expect("handshake with a client certificate");
    assert_eq!(
        s.peer_certificates().expect("client chain")[0].as_ref(),
        cert.der().as_ref()
    );
}
