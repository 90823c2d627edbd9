//! The crate's error type.

/// Any failure of a call to Extern.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error("{operation}: {source}")]
    Raw {
        operation: &'static str,
        #[source]
        source: progenitor_client::Error<crate::raw::types::ApiError>,
    },
}
