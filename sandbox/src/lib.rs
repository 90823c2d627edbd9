//! A local, stateful Kontur.Extern: an identity host and an API host serving the client's own wire
//! types (`kontur_extern::raw::types`), with test robots that accept, reject or question reports,
//! cloud signing confirmed by SMS codes readable through the test tools, and an events feed.
//!
//! Every route is an operation of `spec/openapi.json` (or of the test tools); operations not
//! implemented yet answer 501 naming the operation. Errors always come as `ApiError` with an
//! `X-Kontur-Trace-Id` header; the identity host answers `{error, error_description, error_status}`.
//!
//! - **Binary:** `kontur-extern-sandbox --listen 127.0.0.1:0 [--state FILE] [--speed N]` prints one
//!   JSON line (`api_url`, `identity_url`, `client_id`, `api_key`, `login`, `password`,
//!   `account_id`) when ready and serves until SIGINT/SIGTERM; logs go to stderr.
//! - **Time:** robots and tasks follow the sandbox time, [`DEFAULT_SPEED`] times real time unless
//!   configured (0 stops it); tokens (3600 s) and SMS codes (300 s) follow wall time.
//!   [`SandboxHandle::advance`] moves both.
//! - **Robots** ([`robots`]): FNS `0087` accepts, `0088` rejects, `0085` asks for clarification;
//!   Rosstat `00-87` accepts, `00-88` rejects. Each regulator document brings a `reply` link for a
//!   receipt; the docflow finishes when the robot is done and every receipt is sent.
//! - **Inventories:** an FNS inventory (`fns534-inventory`) is a docflow attached to a document of
//!   another docflow and reached only under it (`…/documents/{id}/inventories/{id}`), never by
//!   docflow search or `get_docflow`. Its documents are read, printed and decrypted, and the
//!   receipt to the inspection's answer generated, signed and sent, exactly as a docflow's. They
//!   add no events to the feed (its readers could not get them as docflows).
//! - **Drafts builders:** a builder holds documents, a document holds files (a content of the content
//!   service, a name, an optional signature). Building (`deferred=true`) makes one draft per
//!   document: the builder's meta as the draft's meta, the files as its documents with their
//!   signatures; a document without files is listed among the task's errors instead. Preparing
//!   the documents is a task listing those the build would refuse. A running task holds the
//!   builder and a built one is frozen (409). A file generated from a contract is an XML
//!   carrying the contract as sent (the sandbox knows no forms).
//! - **Cloud signing:** the seeded user has a cloud certificate; signing (and decrypting) asks
//!   for a 6-digit SMS code, readable through the test tools; 3 wrong codes use a request up.
//!   Receipts sign at once unless `forceConfirmation=true`.
//! - **Logins:** password, refresh-token, authorization-code (PKCE S256) and device-code grants.
//!   The sandbox's user is always signed in on its identity host: `connect/authorize` redirects
//!   straight back with a code (the ID token is an unsigned JWT), and opening a device login's
//!   `verification_uri_complete` (`{identity_url}device?userCode=…`) confirms it (`&deny=true`
//!   refuses it).
//! - **Access:** API operations want a token with the `extern.api` scope (403 otherwise); an
//!   `X-Kontur-Apikey` header, when sent, must be the api-key of the token's integrator (401
//!   otherwise).
//! - **For tests only** (sandbox inventions, no API counterpart): [`SandboxHandle::auth_log`] tells
//!   which grants issued tokens and how many requests were refused for their token;
//!   [`SandboxHandle::file_reports`] files many reports at once, as sent drafts would be;
//!   [`SandboxHandle::attach_inventory`] attaches an inventory to a docflow document (no robot
//!   files inventories).
//! - **State:** in memory, or with `--state FILE` the whole of it, rewritten atomically (temporary
//!   file, fsync, rename) after every change and read back on start.
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

// Handlers fail rarely and their error carries the API error's fields (a map among them);
// boxing every handler's error would buy nothing measurable in a test server.
#![allow(clippy::result_large_err)]
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

pub use server::{AuthLog, Credentials, Sandbox, SandboxConfig, SandboxHandle};

/// Default speed of the sandbox time: a filing with every robot answer takes a few seconds.
pub const DEFAULT_SPEED: f64 = 100.0;

/// `operationId`s of the operations the sandbox implements.
pub fn implemented_operations() -> impl Iterator<Item = &'static str> {
    api::HANDLERS.iter().map(|(operation_id, _)| *operation_id)
}
