//! Shared set-up for the integration tests.
#![allow(dead_code)]

use kontur_extern::raw;
use kontur_extern::transport::Transport;

/// A raw client pointed at a mock server, without credentials.
pub fn raw_client(base_url: &str) -> raw::Client {
    Transport::unauthenticated().into_client(base_url).expect("the HTTP client builds")
}
