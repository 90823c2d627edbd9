//! The API host: every request is matched to an operation of the spec, authenticated, and handed
//! to the operation's handler with the state brought up to the current sandbox time.

mod accounts;
mod builders;
mod contents;
mod docflows;
mod drafts;
mod events;
mod handbooks;
mod replies;
mod reports;
mod signing;

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{ApiFailure, ApiResult};
use crate::model::{AccountRecord, IssuedToken, World};
use crate::routes::{RouteMatch, match_route};
use crate::server::Shared;

/// Largest body one request may carry: one content part.
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

/// Legacy header carrying the integrator's api-key beside the bearer token.
const API_KEY_HEADER: &str = "x-kontur-apikey";

/// The scope of API access.
const API_SCOPE: &str = "extern.api";

/// Header carrying the trace id of every answer.
pub const TRACE_HEADER: &str = "x-kontur-trace-id";

/// A handler of one operation.
pub type Handler = fn(&mut World, &Ctx) -> ApiResult<Reply>;

/// Every operation the sandbox implements, by `operationId`.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("list_accounts", accounts::list_accounts),
    ("create_account", accounts::create_account),
    ("get_account", accounts::get_account),
    ("delete_account", accounts::delete_account),
    ("list_account_certificates", accounts::list_account_certificates),
    ("list_organizations", accounts::list_organizations),
    ("create_organization", accounts::create_organization),
    ("get_organization", accounts::get_organization),
    ("rename_organization", accounts::rename_organization),
    ("delete_organization", accounts::delete_organization),
    ("upload_content", contents::upload_content),
    ("upload_content_part", contents::upload_content_part),
    ("download_content", contents::download_content),
    ("list_drafts", drafts::list_drafts),
    ("create_draft", drafts::create_draft),
    ("get_draft", drafts::get_draft),
    ("update_draft", drafts::update_draft),
    ("delete_draft", drafts::delete_draft),
    ("get_draft_meta", drafts::get_draft_meta),
    ("update_draft_meta", drafts::update_draft_meta),
    ("create_draft_document", drafts::create_draft_document),
    ("get_draft_document", drafts::get_draft_document),
    ("delete_draft_document", drafts::delete_draft_document),
    ("get_draft_document_decrypted_content", drafts::get_draft_document_decrypted_content),
    ("create_draft_document_signature", drafts::create_draft_document_signature),
    ("delete_draft_document_signature", drafts::delete_draft_document_signature),
    ("get_draft_document_signature", drafts::get_draft_document_signature),
    ("get_draft_document_signature_content", drafts::get_draft_document_signature_content),
    ("check_draft", drafts::check_draft),
    ("prepare_draft", drafts::prepare_draft),
    ("send_draft", drafts::send_draft),
    ("list_draft_tasks", drafts::list_draft_tasks),
    ("get_draft_task", drafts::get_draft_task),
    ("cloud_sign_draft", signing::cloud_sign_draft),
    ("confirm_cloud_sign_draft", signing::confirm_cloud_sign_draft),
    ("search_docflows", docflows::search_docflows),
    ("get_docflow", docflows::get_docflow),
    ("list_docflow_documents", docflows::list_docflow_documents),
    ("get_docflow_document", docflows::get_docflow_document),
    ("get_docflow_document_description", docflows::get_docflow_document_description),
    ("get_document_decrypted_content", docflows::get_document_decrypted_content),
    ("list_docflow_document_signatures", docflows::list_docflow_document_signatures),
    ("get_docflow_document_signature", docflows::get_docflow_document_signature),
    ("get_docflow_document_signature_content", docflows::get_docflow_document_signature_content),
    ("print_docflow_document", docflows::print_docflow_document),
    ("get_docflow_document_task", docflows::get_docflow_document_task),
    ("generate_reply", replies::generate_reply),
    ("get_reply", replies::get_reply),
    ("put_reply_signature", replies::put_reply_signature),
    ("send_reply", replies::send_reply),
    ("cloud_sign_reply", signing::cloud_sign_reply),
    ("confirm_cloud_sign_reply", signing::confirm_cloud_sign_reply),
    ("get_events", events::get_events),
    ("update_draft_document", drafts::update_draft_document),
    ("print_draft_document", drafts::print_draft_document),
    ("get_draft_document_task", drafts::get_draft_document_task),
    ("update_draft_document_signature", drafts::update_draft_document_signature),
    ("list_control_units", handbooks::list_control_units),
    ("get_control_unit", handbooks::get_control_unit),
    ("list_account_users", accounts::list_account_users),
    ("list_account_employees", accounts::list_account_employees),
    ("list_account_warrants", accounts::list_account_warrants),
    ("list_related_docflows", docflows::list_related_docflows),
    ("put_reply_content", replies::put_reply_content),
    ("decrypt_document_content", signing::decrypt_document_content),
    ("confirm_document_decryption", signing::confirm_document_decryption),
    ("share_events", events::share_events),
    ("list_event_publishers", events::list_event_publishers),
    ("delete_event_publisher", events::delete_event_publisher),
    ("get_cloud_sign_confirmation_code", signing::get_confirmation_code),
    ("create_drafts_builder", builders::create_drafts_builder),
    ("get_drafts_builder", builders::get_drafts_builder),
    ("update_drafts_builder", builders::update_drafts_builder),
    ("delete_drafts_builder", builders::delete_drafts_builder),
    ("get_drafts_builder_meta", builders::get_drafts_builder_meta),
    ("update_drafts_builder_meta", builders::update_drafts_builder_meta),
    ("list_drafts_builder_documents", builders::list_drafts_builder_documents),
    ("create_drafts_builder_document", builders::create_drafts_builder_document),
    ("get_drafts_builder_document", builders::get_drafts_builder_document),
    ("update_drafts_builder_document", builders::update_drafts_builder_document),
    ("delete_drafts_builder_document", builders::delete_drafts_builder_document),
    ("get_drafts_builder_document_meta", builders::get_drafts_builder_document_meta),
    ("update_drafts_builder_document_meta", builders::update_drafts_builder_document_meta),
    ("list_drafts_builder_document_files", builders::list_drafts_builder_document_files),
    ("create_drafts_builder_document_file", builders::create_drafts_builder_document_file),
    ("generate_drafts_builder_document_file", builders::generate_drafts_builder_document_file),
    ("get_drafts_builder_document_file", builders::get_drafts_builder_document_file),
    ("update_drafts_builder_document_file", builders::update_drafts_builder_document_file),
    ("delete_drafts_builder_document_file", builders::delete_drafts_builder_document_file),
    ("get_drafts_builder_document_file_content", builders::get_drafts_builder_document_file_content),
    ("get_drafts_builder_document_file_meta", builders::get_drafts_builder_document_file_meta),
    ("update_drafts_builder_document_file_meta", builders::update_drafts_builder_document_file_meta),
    ("get_drafts_builder_document_file_signature", builders::get_drafts_builder_document_file_signature),
    ("build_drafts", builders::build_drafts),
    ("prepare_drafts_builder_documents", builders::prepare_drafts_builder_documents),
    ("get_drafts_builder_task", builders::get_drafts_builder_task),
    ("get_document_encrypted_content", docflows::get_document_encrypted_content),
    ("save_document_decrypted_content", docflows::save_document_decrypted_content),
    ("list_demand_assignees", docflows::list_demand_assignees),
    ("list_fns_forms", handbooks::list_fns_forms),
    ("get_handbook", handbooks::get_handbook),
    ("patch_docflow", docflows::patch_docflow),
    ("patch_docflow_document", docflows::patch_docflow_document),
    ("list_report_forms", reports::list_report_forms),
    // An inventory is a docflow reached under the document it is attached to: the docflow
    // handlers resolve it from the path.
    ("list_inventories", docflows::list_inventories),
    ("get_inventory", docflows::get_docflow),
    ("get_inventory_document_decrypted_content", docflows::get_document_decrypted_content),
    ("get_inventory_document_encrypted_content", docflows::get_document_encrypted_content),
    ("save_inventory_document_decrypted_content", docflows::save_document_decrypted_content),
    ("get_inventory_document_signature_content", docflows::get_docflow_document_signature_content),
    ("print_inventory_document", docflows::print_docflow_document),
    ("get_inventory_document_task", docflows::get_docflow_document_task),
    ("decrypt_inventory_document_content", signing::decrypt_document_content),
    ("confirm_inventory_document_decryption", signing::confirm_document_decryption),
    ("generate_inventory_reply", replies::generate_reply),
    ("get_inventory_reply", replies::get_reply),
    ("put_inventory_reply_content", replies::put_reply_content),
    ("put_inventory_reply_signature", replies::put_reply_signature),
    ("cloud_sign_inventory_reply", signing::cloud_sign_reply),
    ("confirm_cloud_sign_inventory_reply", signing::confirm_cloud_sign_reply),
    ("send_inventory_reply", replies::send_reply),
    // An SFR answer is a reply with one document, reached under `pfr-replies`.
    ("generate_pfr_reply", replies::generate_pfr_reply),
    ("get_pfr_reply", replies::get_pfr_reply),
    ("put_pfr_reply_document_content", replies::put_pfr_reply_document_content),
    ("put_pfr_reply_document_signature", replies::put_pfr_reply_document_signature),
    ("cloud_sign_pfr_reply", signing::cloud_sign_reply),
    ("confirm_cloud_sign_pfr_reply", signing::confirm_cloud_sign_reply),
    ("send_pfr_reply", replies::send_reply),
    ("get_reply_task", signing::get_reply_task),
    ("get_inventory_reply_task", signing::get_reply_task),
    ("get_pfr_reply_task", signing::get_reply_task),
];

/// The answer of a handler.
#[derive(Debug)]
pub enum Reply {
    /// A JSON body.
    Json(StatusCode, serde_json::Value),
    /// Raw bytes with extra headers.
    Bytes {
        /// Status.
        status: StatusCode,
        /// Body.
        body: Vec<u8>,
        /// `Content-Type`.
        content_type: &'static str,
        /// Other headers.
        headers: Vec<(HeaderName, String)>,
    },
    /// A text body.
    Text(StatusCode, String),
    /// No body.
    Empty(StatusCode),
}

impl Reply {
    /// 200 with a wire object.
    pub fn ok<T: serde::Serialize>(value: &T) -> ApiResult<Reply> {
        Ok(Reply::Json(StatusCode::OK, crate::wire::json(value)))
    }

    /// A status with a wire object.
    pub fn with_status<T: serde::Serialize>(status: StatusCode, value: &T) -> ApiResult<Reply> {
        Ok(Reply::Json(status, crate::wire::json(value)))
    }
}

/// One request as a handler sees it.
#[derive(Debug)]
pub struct Ctx {
    /// Path parameters.
    pub params: HashMap<String, String>,
    /// Query parameters in order (names may repeat).
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request body.
    pub body: axum::body::Bytes,
    /// Sandbox time of the request.
    pub now: DateTime<Utc>,
    /// Wall time of the request.
    pub wall: DateTime<Utc>,
    /// Base URL of the API host, without a trailing slash.
    pub base: String,
    /// Path of the request (tells SFR replies' routes from the others).
    pub path: String,
    /// The integrator whose token made the request.
    pub client_id: String,
}

impl Ctx {
    /// A path parameter (the route guarantees it is there).
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or_default()
    }

    /// A path parameter that is an id; anything else is an unknown id (404).
    pub fn id(&self, name: &str, what: &str) -> ApiResult<Uuid> {
        let text = self.param(name);
        Uuid::parse_str(text).map_err(|_| ApiFailure::not_found(what, text))
    }

    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Every value of a repeatable query parameter.
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).collect()
    }

    /// A boolean query parameter (400 when not `true`/`false`).
    pub fn query_bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.query(name) {
            None => Ok(None),
            Some(text) => match text.to_ascii_lowercase().as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => {
                    Err(ApiFailure::bad_request(format!("query parameter {name} must be true or false, not {text:?}")))
                }
            },
        }
    }

    /// An integer query parameter (400 when not a number).
    pub fn query_number(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.query(name) {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| ApiFailure::bad_request(format!("query parameter {name} must be a number, not {text:?}"))),
        }
    }

    /// The JSON body as `T` (400 when it is not).
    pub fn json<T: DeserializeOwned>(&self) -> ApiResult<T> {
        serde_json::from_slice(&self.body).map_err(|err| {
            ApiFailure::bad_request(format!("the request body is not valid JSON of the expected shape: {err}"))
        })
    }

    /// The JSON body as `T`, or `T::default()` when the body is empty.
    pub fn json_or_default<T: DeserializeOwned + Default>(&self) -> ApiResult<T> {
        if self.body.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { self.json() }
    }

    /// Requires `deferred=true`, as the API does since 2022.
    pub fn require_deferred(&self) -> ApiResult<()> {
        match self.query_bool("deferred")? {
            Some(true) => Ok(()),
            _ => Err(ApiFailure::bad_request("only deferred=true is supported: poll the task for the result")),
        }
    }

    /// An absolute URL of a path on the API host.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The account named by the `accountId` path parameter.
pub fn account<'w>(world: &'w World, ctx: &Ctx) -> ApiResult<&'w AccountRecord> {
    let id = ctx.id("accountId", "account")?;
    world.accounts.get(&id).ok_or_else(|| ApiFailure::not_found("account", &id.to_string()))
}

/// Serves one request of the API host.
pub async fn serve(shared: std::sync::Arc<Shared>, request: axum::extract::Request) -> Response {
    let trace_id = Uuid::new_v4().simple().to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = match answer(&shared, request).await {
        Ok(reply) => into_response(reply),
        Err(failure) => {
            tracing::debug!(%method, %path, status = %failure.status, id = %failure.id, "error answer");
            (failure.status, axum::Json(failure.body(&trace_id))).into_response()
        }
    };
    if failure_is_unauthorized(&response) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Ok(value) = HeaderValue::from_str(&trace_id) {
        response.headers_mut().insert(TRACE_HEADER, value);
    }
    tracing::info!(%method, %path, status = response.status().as_u16(), trace_id, "answered");
    response
}

fn failure_is_unauthorized(response: &Response) -> bool {
    response.status() == StatusCode::UNAUTHORIZED
}

async fn answer(shared: &Shared, request: axum::extract::Request) -> ApiResult<Reply> {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let matched = match match_route(&method, parts.uri.path()) {
        RouteMatch::Operation(matched) => matched,
        RouteMatch::WrongMethod => {
            return Err(ApiFailure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "urn:error:externapi:methodNotAllowed",
                format!("no operation of the API answers {method} {}", parts.uri.path()),
            ));
        }
        RouteMatch::NoRoute => {
            return Err(ApiFailure::not_found("operation at path", parts.uri.path()));
        }
    };
    let operation_id = matched.operation.operation_id.clone();
    let token = shared.authenticate(&parts.headers)?;
    authorize(shared, &token, &parts.headers, parts.uri.path())?;
    let client_id = token.client_id;
    let handler = HANDLERS
        .iter()
        .find(|(id, _)| *id == operation_id)
        .map(|(_, handler)| *handler)
        .ok_or_else(|| ApiFailure::not_implemented(&operation_id))?;
    let body = read_body(&parts.headers, body).await?;
    let query = parts
        .uri
        .query()
        .map(|query| form_urlencoded::parse(query.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let mutating = parts.method != Method::GET;
    let (reply, changed) = {
        let mut world = shared.world();
        let now = shared.clock.now();
        let wall = shared.clock.wall_now();
        let settled = world.settle(now, wall);
        let ctx = Ctx {
            params: matched.params,
            query,
            headers: parts.headers,
            body,
            now,
            wall,
            base: shared.api_url.trim_end_matches('/').to_owned(),
            path: parts.uri.path().to_owned(),
            client_id,
        };
        let reply = std::panic::catch_unwind(AssertUnwindSafe(|| handler(&mut world, &ctx))).unwrap_or_else(|_| {
            tracing::error!(operation_id, "handler panicked");
            Err(ApiFailure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "urn:error:sandbox:internal",
                format!("the sandbox failed on {operation_id}"),
            ))
        });
        (reply, settled || mutating)
    };
    if changed {
        shared.save().await;
    }
    reply
}

/// What a valid token may do: the API wants the `extern.api` scope (403 without it; the test
/// tools are the test stand's own service), and an `X-Kontur-Apikey` header, when sent, must be
/// the api-key of the integrator the token was issued to (401 otherwise).
fn authorize(shared: &Shared, token: &IssuedToken, headers: &HeaderMap, path: &str) -> ApiResult<()> {
    if let Some(api_key) = headers.get(API_KEY_HEADER) {
        let matches = shared.world().identity.integrators.iter().any(|integrator| {
            integrator.client_id == token.client_id && api_key.to_str().is_ok_and(|key| key == integrator.api_key)
        });
        if !matches {
            shared.auth_log.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).refused_tokens += 1;
            return Err(ApiFailure::unauthorized(
                "the X-Kontur-Apikey header is not the api-key of the token's integrator",
            ));
        }
    }
    let test_tools = path.starts_with("/test-tools/");
    if !test_tools && !token.scope.split_whitespace().any(|scope| scope == API_SCOPE) {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "urn:error:externapi:forbidden",
            format!("the access token's scope {:?} does not include {API_SCOPE}", token.scope),
        ));
    }
    Ok(())
}

async fn read_body(headers: &HeaderMap, body: Body) -> ApiResult<axum::body::Bytes> {
    let too_large = || {
        ApiFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "urn:error:externapi:payloadTooLarge",
            format!("a request body (one content part) may not exceed {MAX_PART_BYTES} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_PART_BYTES) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_PART_BYTES as usize).await.map_err(|_| too_large())
}

fn into_response(reply: Reply) -> Response {
    match reply {
        Reply::Json(status, value) => (status, axum::Json(value)).into_response(),
        Reply::Bytes { status, body, content_type, headers } => {
            let mut response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
            for (name, value) in headers {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Reply::Text(status, text) => {
            (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        }
        Reply::Empty(status) => status.into_response(),
    }
}
