//! Shared set-up for the integration tests.
#![allow(dead_code)]

use kontur_extern::raw;
use kontur_extern::transport::Transport;

/// A raw client pointed at a mock server, without credentials.
pub fn raw_client(base_url: &str) -> raw::Client {
    Transport::unauthenticated().into_client(base_url).expect("the HTTP client builds")
}

/// A raw test-tools client pointed at a mock server, without credentials.
#[cfg(feature = "test-tools")]
pub fn raw_test_tools_client(base_url: &str) -> kontur_extern::raw_test_tools::Client {
    kontur_extern::raw_test_tools::Client::new(base_url, Transport::unauthenticated())
}

/// The UUID a test literal spells.
pub fn id(text: &str) -> uuid::Uuid {
    text.parse().expect("test ids are UUIDs")
}

/// A raw client pointed at `server`, without credentials.
pub fn client(server: &httpmock::MockServer) -> raw::Client {
    raw_client(&server.base_url())
}

/// A layer client (`kontur_extern::Client`) whose API and identity host are `server`, with a fixed token.
pub fn layer_client(server: &httpmock::MockServer) -> kontur_extern::Client {
    let environment =
        kontur_extern::Environment::new(&server.base_url(), &server.base_url()).expect("the mock server URL is valid");
    kontur_extern::Client::builder()
        .environment(environment)
        .access_token(secrecy::SecretString::from("layer-test-token"))
        .build()
        .expect("the client builds")
}
