//! Certificates: verifying the peer's chain and signatures (rustls-webpki), and choosing our own
//! certificate and key for a connection.

pub mod resolve;
pub mod verify;
