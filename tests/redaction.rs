//! `/*@ secret */` fields print as their length only: the generated `Debug` of the real wire
//! types (generated from `schema/` by tls-codegen) never shows their bytes.

use spectls::codec::{Codec, Encode};
use spectls::wire::{CipherSuite, GCMNonce, PreMasterSecret, ProtocolVersion, SessionState};

/// What a leak of `secret` would show: any 4-byte run of its hex (as `Hex` prints bytes), or its
/// first bytes in decimal (as `[u8]`'s own `Debug` does).
fn leaks(debug: &str, secret: &[u8]) -> Vec<String> {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let mut found = Vec::new();
    for w in 0..secret.len().saturating_sub(3) {
        let run = &hex[2 * w..2 * w + 8];
        if debug.contains(run) {
            found.push(run.to_string());
        }
    }
    let decimal = format!("{:?}", &secret[..secret.len().min(4)]);
    let decimal = decimal.trim_matches(['[', ']']);
    if debug.contains(decimal) {
        found.push(decimal.to_string());
    }
    found
}

fn assert_redacted(debug: &str, secret: &[u8], shown: &str) {
    assert!(debug.contains(shown), "`{shown}` missing in {debug}");
    let found = leaks(debug, secret);
    assert!(found.is_empty(), "secret bytes {found:?} in {debug}");
}

#[test]
fn session_state_master_secret_is_redacted() {
    let master_secret: [u8; 48] = std::array::from_fn(|i| 0xa0 ^ (i as u8).wrapping_mul(7));
    let state = SessionState {
        protocol_version: ProtocolVersion { major: 3, minor: 3 },
        cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        master_secret,
        extended_master_secret: 1,
        server_name: b"example.com",
        created: 1_700_000_000,
        peer_certificates: Vec::new(),
        ticket_age_add: 0,
        alpn: &[],
        max_early_data_size: 0,
    };
    // Decoded from bytes, as a session cache or a ticket holds it.
    let bytes = state.to_vec();
    let decoded = SessionState::from_bytes(&bytes).expect("decodes");
    assert_eq!(decoded.master_secret, master_secret);
    for debug in [format!("{decoded:?}"), format!("{decoded:#?}")] {
        assert_redacted(&debug, &master_secret, "master_secret: <redacted 48 bytes>");
        // Fields that are not secret still print.
        assert!(debug.contains("\"example.com\""), "{debug}");
        assert!(
            debug.contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
            "{debug}"
        );
    }
}

#[test]
fn pre_master_secret_and_write_iv_salt_are_redacted() {
    let random: [u8; 46] = std::array::from_fn(|i| 0x5c ^ (i as u8).wrapping_mul(13));
    let pms = PreMasterSecret {
        client_version: ProtocolVersion { major: 3, minor: 3 },
        random,
    };
    let debug = format!("{pms:?}");
    assert_redacted(&debug, &random, "random: <redacted 46 bytes>");

    let salt = [0xde, 0xad, 0xbe, 0xef];
    let nonce = GCMNonce {
        salt,
        nonce_explicit: [1, 2, 3, 4, 5, 6, 7, 8],
    };
    let debug = format!("{nonce:#?}");
    assert_redacted(&debug, &salt, "salt: <redacted 4 bytes>");
    assert!(debug.contains("0102030405060708"), "{debug}");
}
