//! Rust client for the Kontur.Extern API: filing reports to FNS, SFR, Rosstat and MVD,
//! reading docflows and answering regulators' letters and demands.
//!
//! [`raw`] is generated from `spec/openapi.json`: one method per operation of the API.
//! Every request it makes goes through [`transport::Transport`].

pub mod auth;
pub mod base64;
pub mod client;
pub mod cloud;
pub mod contents;
pub mod datetime;
pub mod error;
pub mod events;
pub mod handles;
pub mod ids;
pub mod links;
#[doc(hidden)]
pub mod nulls;
pub mod paging;
pub mod tasks;
pub mod transport;
pub mod vocab;

pub use client::{Client, ClientBuilder, Environment};
pub use datetime::{ExternDate, ExternDateTime};
pub use error::Error;
pub use handles::RequestOptions;

pub mod raw {
    //! The client generated from the spec by progenitor: every operation of the API.
    #![allow(clippy::all, missing_docs, rustdoc::all)]
    include!(concat!(env!("OUT_DIR"), "/raw.rs"));
}

#[cfg(feature = "test-tools")]
pub mod raw_test_tools {
    //! Operations of the test stand only (`/test-tools/v1/...`), generated from `spec/test-tools.openapi.json`.
    #![allow(clippy::all, missing_docs, rustdoc::all)]
    include!(concat!(env!("OUT_DIR"), "/raw_test_tools.rs"));
}
