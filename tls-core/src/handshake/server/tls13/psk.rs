//! TLS 1.3 resumption on the server (RFC 8446 2.2, 4.2.11, 4.6.1): the tickets it issues after
//! a handshake, sealed by the config's ticketer or, without one, stateful (a random ID whose
//! state the session store keeps, taken out once), and the check of a ticket a client offers
//! back, binder first.

use crate::codec::Encode;
use crate::config::ServerConfig;
use crate::crypto::key_schedule::{EarlySecret, ResumptionMasterSecret};
use crate::crypto::suites::{lookup, SupportedCipherSuite};
use crate::error::{Error, PeerMisbehaved};
use crate::handshake::server::Offer;
use crate::handshake::Context;
use crate::session::{self, ProducesTickets, Session13};
use crate::wire::tls13::{Handshake, NewSessionTicket};
use crate::wire::{
    ClientHello, EarlyDataIndication, Extension, PreSharedKeyExtension, PskKeyExchangeMode,
};

/// Where the PSK binders are in a Handshake holding a ClientHello (RFC 8446 4.2.11.2).
const BINDERS: &[&str] = &[
    "client_hello",
    "extensions",
    "pre_shared_key",
    "client_hello",
    "binders",
];

/// RFC 8446 4.6.1: "Servers MUST NOT use any value greater than 604800 seconds".
const MAX_TICKET_LIFETIME: u32 = 604_800;

/// How far the ticket age the client reports may be from ours (RFC 8446 8.3 leaves the window
/// to the server; a few seconds cover clock rates and the round trip).
const AGE_WINDOW_SECS: u64 = 10;

/// The ticket we resume with.
pub(super) struct Resumed {
    /// Its index in the client's offer (ServerHello.selected_identity).
    pub index: u16,
    pub session: Session13,
    /// With the PSK alone (psk_ke: both sides allow it), no (EC)DHE exchange.
    pub psk_only: bool,
    /// Its binder, which names this ClientHello for the 0-RTT replay record.
    binder: Vec<u8>,
}

/// The ticket the client offers that we resume with: the first one we open
/// ([`open_identity`]) that fits this connection (the suite's hash, the server name and ALPN
/// protocol, alive, its age as the client reports it close to ours). Its binder must verify
/// over the transcript up to this ClientHello truncated before the binders: a binder that does
/// not is `decrypt_error` (4.2.11.2). `None`: a full handshake (no offer, no usable ticket).
pub(super) fn accept(
    config: &ServerConfig,
    ch: &ClientHello<'_>,
    exts: &[Extension<'_>],
    offer: &Offer<'_>,
    alpn: Option<&[u8]>,
    suite: &'static SupportedCipherSuite,
    cx: &Context<'_>,
) -> Result<Option<Resumed>, Error> {
    let Some(offered) = exts.iter().find_map(|e| match e {
        Extension::PreSharedKey(PreSharedKeyExtension::ClientHello(o)) => Some(o),
        _ => None,
    }) else {
        return Ok(None);
    };
    let Some(modes) = exts.iter().find_map(|e| match e {
        Extension::PskKeyExchangeModes(m) => Some(&m.ke_modes),
        _ => None,
    }) else {
        // 4.2.9: a PSK offer needs psk_key_exchange_modes.
        return Err(Error::PeerMisbehaved(PeerMisbehaved::MissingExtension(
            "psk_key_exchange_modes",
        )));
    };
    if offered.identities.len() != offered.binders.len() {
        return Err(Error::PeerMisbehaved(PeerMisbehaved::Other(
            "as many PSK binders as identities",
        )));
    }
    // We resume with (EC)DHE (forward secrecy for the resumed connection), or with the PSK
    // alone if we are configured to and the client allows it.
    let psk_only = config.psk_ke && modes.contains(&PskKeyExchangeMode::PskKe);
    if !psk_only && !modes.contains(&PskKeyExchangeMode::PskDheKe) {
        return Ok(None);
    }
    let lifetime = u64::from(ticket_lifetime(config));
    let now = session::now();
    for (i, (identity, binder)) in offered.identities.iter().zip(&offered.binders).enumerate() {
        let Some(session) = open_identity(config, identity.identity) else {
            continue;
        };
        let fits = lookup(session.cipher_suite).is_some_and(|s| s.hash == suite.hash)
            && session.server_name == offer.sni
            && session.alpn.as_deref() == alpn;
        let Some(our_age) = now.checked_sub(session.created) else {
            continue;
        };
        let their_age =
            u64::from(identity.obfuscated_ticket_age.wrapping_sub(session.age_add)) / 1000;
        if !fits || our_age >= lifetime || our_age.abs_diff(their_age) > AGE_WINDOW_SECS {
            continue;
        }
        let index = u16::try_from(i).map_err(|_| Error::Internal("PSK index".into()))?;
        check_binder(ch, suite, &session, binder.0, cx)?;
        return Ok(Some(Resumed {
            index,
            session,
            psk_only,
            binder: binder.0.to_vec(),
        }));
    }
    Ok(None)
}

/// Whether the ClientHello offers 0-RTT data (4.2.10).
pub(super) fn offers_early_data(exts: &[Extension<'_>]) -> bool {
    exts.iter()
        .any(|e| matches!(e, Extension::EarlyData(EarlyDataIndication::ClientHello(_))))
}

/// RFC 4.2.10 and 8: whether we take the 0-RTT data the client offers, resuming with
/// `resumed`: 0-RTT is on, the PSK is the first one offered, its ticket allows early data and
/// was issued with this very suite (its ALPN protocol and server name were checked by
/// `accept`), and this ClientHello was not seen before. Recorded then, so that a replay of it
/// is refused.
pub(super) fn accept_early_data(
    config: &ServerConfig,
    resumed: &Resumed,
    suite: &SupportedCipherSuite,
) -> bool {
    let Some(record) = &config.anti_replay else {
        return false;
    };
    config.max_early_data > 0
        && resumed.index == 0
        && resumed.session.max_early_data > 0
        && resumed.session.cipher_suite == suite.suite
        && record.check_and_record(&resumed.binder)
}

/// The config's ticketer, if it issues tickets.
fn ticketer(config: &ServerConfig) -> Option<&dyn ProducesTickets> {
    config.ticketer.as_deref().filter(|t| t.enabled())
}

/// The state an offered PSK identity stands for: a ticket our ticketer opens, or, without a
/// ticketer, the state the session store kept under that ticket, taken out (a stateful ticket
/// is used once: RFC 8446 8.1). `None`: not ours, no longer there, or not TLS 1.3 state.
fn open_identity(config: &ServerConfig, identity: &[u8]) -> Option<Session13> {
    match ticketer(config) {
        Some(ticketer) => Session13::open(ticketer, identity),
        None => config.session_storage.take_tls13(identity),
    }
}

/// The ticket for `state`: sealed by our ticketer, or, without one, a random 32-byte ID under
/// which the session store keeps `state`. `None` if neither can be made (no ticketer, a store
/// that does not keep TLS 1.3 state, or one that failed).
fn issue(config: &ServerConfig, state: &Session13) -> Option<Vec<u8>> {
    if let Some(ticketer) = ticketer(config) {
        return state.seal(ticketer);
    }
    let id = config.randomness.bytes::<32>().ok()?.to_vec();
    config
        .session_storage
        .put_tls13(id.clone(), state.clone())
        .then_some(id)
}

/// How long our tickets live, in seconds: the ticketer's lifetime, or the session lifetime for
/// stateful tickets; at most 7 days (4.6.1).
fn ticket_lifetime(config: &ServerConfig) -> u32 {
    match ticketer(config) {
        Some(ticketer) => ticketer.lifetime(),
        None => u32::try_from(config.session_lifetime.as_secs()).unwrap_or(u32::MAX),
    }
    .min(MAX_TICKET_LIFETIME)
}

/// The binder of the PSK we resume with, over the transcript so far and this ClientHello up to
/// its binders.
fn check_binder(
    ch: &ClientHello<'_>,
    suite: &SupportedCipherSuite,
    session: &Session13,
    binder: &[u8],
    cx: &Context<'_>,
) -> Result<(), Error> {
    let mut encoded = Vec::new();
    let offset = crate::wire::tls12::Handshake::ClientHello(ch.clone())
        .encode_find(&mut encoded, BINDERS)
        .ok_or_else(|| Error::Internal("no binders in the ClientHello".into()))?;
    let truncated = encoded.get(..offset).unwrap_or_default();
    let hash = cx.transcript.hash_with(suite.hash, truncated)?;
    EarlySecret::new(suite.hash, Some(&session.psk))
        .res_binder_key()?
        .finished_key()?
        .verify(&hash, binder)
        .map_err(|_| Error::PeerMisbehaved(PeerMisbehaved::BadBinder))
}

/// Whether the client can use our tickets: it offered psk_dhe_ke, or psk_ke when we resume
/// with it too (4.2.9: tickets a client cannot use are not sent).
pub(super) fn client_takes_tickets(config: &ServerConfig, exts: &[Extension<'_>]) -> bool {
    exts.iter().any(|e| {
        matches!(e, Extension::PskKeyExchangeModes(m)
            if m.ke_modes.contains(&PskKeyExchangeMode::PskDheKe)
                || (config.psk_ke && m.ke_modes.contains(&PskKeyExchangeMode::PskKe)))
    })
}

/// After the client's Finished: the config's number of tickets, each with its own nonce and
/// ticket_age_add, for the PSK the ticket stands for (4.6.1), made by [`issue`]. Nothing when
/// there is neither a ticketer nor a session store that keeps anything; the first ticket that
/// cannot be made ends the sending.
pub(super) fn send_tickets(
    config: &ServerConfig,
    suite: &SupportedCipherSuite,
    resumption: &ResumptionMasterSecret,
    cx: &mut Context<'_>,
) -> Result<(), Error> {
    if ticketer(config).is_none() && !config.session_storage.can_cache() {
        return Ok(());
    }
    let lifetime = ticket_lifetime(config);
    for i in 0..config.tls13_tickets {
        let nonce = [u8::try_from(i).unwrap_or(u8::MAX)];
        let psk = resumption.psk(&nonce)?;
        let age_add = u32::from_be_bytes(config.randomness.bytes::<4>()?);
        let state = Session13 {
            cipher_suite: suite.suite,
            psk: zeroize::Zeroizing::new(psk.as_bytes().to_vec()),
            age_add,
            server_name: cx.negotiated.sni.clone(),
            created: session::now(),
            peer_certificates: cx.negotiated.peer_certificates.clone(),
            alpn: cx.negotiated.alpn.clone(),
            max_early_data: config.max_early_data,
        };
        let Some(ticket) = issue(config, &state) else {
            break;
        };
        cx.send13_after_handshake(&Handshake::NewSessionTicket(NewSessionTicket {
            ticket_lifetime: lifetime,
            ticket_age_add: age_add,
            ticket_nonce: &nonce,
            ticket: &ticket,
            extensions: (config.max_early_data > 0)
                .then_some(Extension::EarlyData(
                    EarlyDataIndication::NewSessionTicket {
                        max_early_data_size: config.max_early_data,
                    },
                ))
                .into_iter()
                .collect(),
        }))?;
    }
    Ok(())
}
