//! The identity host: `POST /connect/token` with the password and refresh-token grants, answering
//! errors in the identity host's shape (`{error, error_description, error_status}`, HTTP 400).

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;
use uuid::Uuid;

use crate::model::IssuedToken;
use crate::server::Shared;

/// Scopes the sandbox grants.
const KNOWN_SCOPES: &[&str] = &["openid", "extern.api", "extern.test-tools", "offline_access"];

/// Serves one request of the identity host.
pub async fn serve(shared: Arc<Shared>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.uri.path() != "/connect/token" {
        return identity_error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("the sandbox's identity host has no {}", parts.uri.path()),
        );
    }
    if parts.method != axum::http::Method::POST {
        return identity_error(StatusCode::METHOD_NOT_ALLOWED, "invalid_request", "use POST for /connect/token");
    }
    let Ok(body) = axum::body::to_bytes(body, 64 * 1024).await else {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_request", "the form is too large");
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let answer = token(&shared, &parts.headers, &form);
    if answer.status().is_success() {
        shared.save().await;
    }
    answer
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// `client_id` and `client_secret` from the form, or from `Authorization: Basic`.
fn client_credentials(headers: &HeaderMap, form: &[(String, String)]) -> Option<(String, String)> {
    if let (Some(id), Some(secret)) = (field(form, "client_id"), field(form, "client_secret")) {
        return Some((id.to_owned(), secret.to_owned()));
    }
    let basic = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(basic.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn token(shared: &Shared, headers: &HeaderMap, form: &[(String, String)]) -> Response {
    let Some((client_id, secret)) = client_credentials(headers, form) else {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_client", "client_id and client_secret are required");
    };
    let wall = shared.clock.wall_now();
    let mut world = shared.world();
    let known_client = world.identity.integrators.iter().any(|i| i.client_id == client_id && i.api_key == secret);
    if !known_client {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_client", "unknown client or wrong api-key");
    }
    let (login, scope) = match field(form, "grant_type") {
        Some("password") => {
            let (Some(username), Some(password)) = (field(form, "username"), field(form, "password")) else {
                return identity_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "username and password are required",
                );
            };
            if !world.identity.users.iter().any(|user| user.login == username && user.password == password) {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", "wrong login or password");
            }
            (username.to_owned(), field(form, "scope").unwrap_or("extern.api").to_owned())
        }
        Some("refresh_token") => {
            let Some(refresh) = field(form, "refresh_token") else {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_request", "refresh_token is required");
            };
            match world.identity.refresh_tokens.remove(refresh) {
                Some(issued) if issued.client_id == client_id => {
                    (issued.login, field(form, "scope").map_or(issued.scope, str::to_owned))
                }
                _ => {
                    return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or used refresh token");
                }
            }
        }
        Some(other) => {
            return identity_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("the sandbox does not support grant {other}"),
            );
        }
        None => {
            return identity_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required");
        }
    };
    if let Some(unknown) = scope.split_whitespace().find(|scope| !KNOWN_SCOPES.contains(scope)) {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_scope", &format!("unknown scope {unknown}"));
    }
    let lifetime = shared.token_lifetime;
    let access = format!("sbx.{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let refresh = format!("sbr.{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let grant_type = field(form, "grant_type").unwrap_or_default().to_owned();
    let issued = IssuedToken { login, client_id, scope: scope.clone(), expires_at: wall + lifetime };
    world.identity.access_tokens.retain(|_, token| token.expires_at > wall);
    world.identity.access_tokens.insert(access.clone(), issued.clone());
    world.identity.refresh_tokens.insert(refresh.clone(), issued);
    drop(world);
    shared.note_grant(&grant_type);
    (
        StatusCode::OK,
        axum::Json(json!({
            "access_token": access,
            "expires_in": lifetime.num_seconds(),
            "token_type": "Bearer",
            "refresh_token": refresh,
            "scope": scope,
        })),
    )
        .into_response()
}

fn identity_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "error": error,
            "error_description": description,
            "error_status": status.as_u16(),
        })),
    )
        .into_response()
}
