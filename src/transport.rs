//! The one path every request takes: credentials, then the network.

use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

use crate::auth::Authenticator;

/// State shared by every request of a client.
#[derive(Clone, Debug, Default)]
pub struct Transport {
    authenticator: Option<Arc<dyn Authenticator>>,
}

impl Transport {
    /// A transport that sends requests without credentials (tests, local mocks).
    pub fn unauthenticated() -> Self {
        Self::default()
    }

    /// A transport that authorizes every request with `authenticator`.
    pub fn with_authenticator(authenticator: Arc<dyn Authenticator>) -> Self {
        Self { authenticator: Some(authenticator) }
    }
}

impl ClientHooks<Transport> for crate::raw::Client {
    async fn exec(&self, mut request: reqwest::Request, _info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        if let Some(auth) = &self.inner().authenticator {
            // TODO(transport issue): carry the typed error out of the hook.
            let _ = auth.authorize(&mut request).await;
        }
        self.client().execute(request).await
    }
}

// The test-tools client shares the same single request path.
#[cfg(feature = "test-tools")]
impl ClientHooks<Transport> for crate::raw_test_tools::Client {
    async fn exec(&self, mut request: reqwest::Request, _info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        if let Some(auth) = &self.inner().authenticator {
            // TODO(transport issue): carry the typed error out of the hook.
            let _ = auth.authorize(&mut request).await;
        }
        self.client().execute(request).await
    }
}
