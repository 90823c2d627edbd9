//! A local, stateful Kontur.Extern: an identity host and an API host serving the client's own wire
//! types (`kontur_extern::raw::types`), with test robots that accept, reject or question reports,
//! cloud signing confirmed by SMS codes readable through the test tools, and an events feed.
//!
//! Every route is an operation of `spec/openapi.json` (or of the test tools); operations not
//! implemented yet answer 501 naming the operation.
//!
//! ```no_run
//! use kontur_extern_sandbox::{Sandbox, SandboxConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! println!("API at {}, identity at {}", sandbox.api_url, sandbox.identity_url);
//! println!("log in as {} to account {}", sandbox.credentials.login, sandbox.credentials.account_id);
//! sandbox.advance(std::time::Duration::from_secs(600)).await; // let the robots answer
//! sandbox.stop().await;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod api;
pub mod clock;
mod error;
mod identity;
mod model;
pub mod robots;
pub mod routes;
mod server;
mod wire;
mod world;

pub use server::{Credentials, Sandbox, SandboxConfig, SandboxHandle};

/// Default speed of the sandbox time: a filing with every robot answer takes a few seconds.
pub const DEFAULT_SPEED: f64 = 100.0;

/// `operationId`s of the operations the sandbox implements.
pub fn implemented_operations() -> impl Iterator<Item = &'static str> {
    api::HANDLERS.iter().map(|(operation_id, _)| *operation_id)
}
