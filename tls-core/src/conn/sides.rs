//! The two connection types: a client's and a server's, each a [`ConnectionCommon`] with its
//! state machine.

use super::{ConnectionCommon, Machine, SideConfig};
use crate::config::{ClientConfig, ServerConfig};
use crate::error::Error;
use crate::handshake::client::{self, ClientHandshake};
use crate::handshake::server::ServerHandshake;
use pki_types::ServerName;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// A TLS client connection (TLS 1.3 or 1.2, as the config and the server decide).
pub struct ClientConnection {
    common: ConnectionCommon,
}

impl ClientConnection {
    /// Starts a connection to `server_name` (a DNS name, sent as SNI, or an IP address); the
    /// ClientHello is queued for `write_tls` at once.
    pub fn new(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Result<Self, Error> {
        let mut common = ConnectionCommon::new(
            Machine::Client(config.clone(), ClientHandshake::placeholder()),
            config.max_certificate_list_size,
        );
        common.machine_config = Some(SideConfig::Client(
            config.clone(),
            client::cache_key(&server_name),
        ));
        let (_, mut cx) = common.context();
        let state = client::start(&config, server_name, &mut cx)?;
        common.machine = Some(Machine::Client(config, state));
        Ok(ClientConnection { common })
    }
}

/// A TLS server connection (TLS 1.3 or 1.2, as the ClientHello and the config decide).
pub struct ServerConnection {
    common: ConnectionCommon,
}

impl ServerConnection {
    /// A connection waiting for a ClientHello.
    pub fn new(config: Arc<ServerConfig>) -> Result<Self, Error> {
        let mut common = ConnectionCommon::new(
            Machine::Server(config.clone(), ServerHandshake::new()),
            config.max_certificate_list_size,
        );
        common.machine_config = Some(SideConfig::Server(config));
        Ok(ServerConnection { common })
    }

    /// The host name the client asked for (SNI), if it sent one.
    pub fn server_name(&self) -> Option<&str> {
        self.common.negotiated.sni.as_deref()
    }
}

macro_rules! deref_common {
    ($t:ty) => {
        impl Deref for $t {
            type Target = ConnectionCommon;
            fn deref(&self) -> &ConnectionCommon {
                &self.common
            }
        }
        impl DerefMut for $t {
            fn deref_mut(&mut self) -> &mut ConnectionCommon {
                &mut self.common
            }
        }
    };
}
deref_common!(ClientConnection);
deref_common!(ServerConnection);
