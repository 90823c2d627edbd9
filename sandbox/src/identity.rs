//! The identity host: `POST /connect/token` with the password, refresh-token and device-code
//! grants, and `POST /connect/deviceauthorization`, answering errors in the identity host's shape
//! (`{error, error_description, error_status}`, HTTP 400).
//!
//! `GET /connect/authorize` signs the sandbox's user in at once and redirects to `redirect_uri` with
//! a code (valid 300 s of wall time, one exchange, PKCE S256 checked when a challenge was sent);
//! the `authorization_code` grant answers with an `id_token` carrying the nonce. That ID token is
//! an unsigned JWT (`alg: none`): the sandbox has no signing key to publish.
//!
//! A device login is confirmed on the host's page `GET /device?userCode=…` (its
//! `verification_uri_complete`): the sandbox's user is always signed in there, so opening the page
//! confirms; `&deny=true` refuses. Codes live 300 s of wall time and are polled every 3 s, as
//! documented.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;
use uuid::Uuid;

use crate::model::{AuthorizationCodeRecord, DeviceLogin, IssuedToken};
use crate::server::Shared;

/// Scopes the sandbox grants.
const KNOWN_SCOPES: &[&str] = &["openid", "extern.api", "extern.test-tools", "offline_access"];

/// Serves one request of the identity host.
pub async fn serve(shared: Arc<Shared>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.uri.path() == "/device" && parts.method == axum::http::Method::GET {
        let query: Vec<(String, String)> =
            form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
        let answer = confirm_device(&shared, &query);
        shared.save().await;
        return answer;
    }
    if parts.uri.path() == "/connect/authorize" && parts.method == axum::http::Method::GET {
        let query: Vec<(String, String)> =
            form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
        let answer = authorize(&shared, &query);
        shared.save().await;
        return answer;
    }
    let path = parts.uri.path().to_owned();
    if path != "/connect/token" && path != "/connect/deviceauthorization" {
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
    let answer = if path == "/connect/deviceauthorization" {
        start_device(&shared, &parts.headers, &form)
    } else {
        token(&shared, &parts.headers, &form)
    };
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
    let mut id_token = None;
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
        Some("authorization_code") => {
            let Some(code) = field(form, "code") else {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_request", "code is required");
            };
            let Some(issued) = world.identity.authorization_codes.remove(code) else {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or used code");
            };
            if issued.client_id != client_id || issued.expires_at <= wall {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", "the code is expired or not yours");
            }
            if field(form, "redirect_uri") != Some(issued.redirect_uri.as_str()) {
                return identity_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri differs from the authorize call",
                );
            }
            if let Some(challenge) = &issued.code_challenge {
                use sha2::Digest as _;
                let verifier = field(form, "code_verifier").unwrap_or_default();
                let computed =
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
                if &computed != challenge {
                    return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", "code_verifier does not match");
                }
            }
            id_token = Some(unsigned_id_token(&issued, &shared.identity_url, wall, shared.token_lifetime));
            (issued.login, issued.scope)
        }
        Some(DEVICE_CODE_GRANT) => {
            let Some(device_code) = field(form, "device_code") else {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_request", "device_code is required");
            };
            let Some(device) = world.identity.device_logins.get_mut(device_code).filter(|d| d.client_id == client_id)
            else {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown device code");
            };
            if device.expires_at <= wall && device.state != "used" {
                return identity_error(StatusCode::BAD_REQUEST, "expired_token", "the device code has expired");
            }
            match (device.state.as_str(), device.login.clone()) {
                ("approved", Some(login)) => {
                    device.state = "used".to_owned();
                    (login, device.scope.clone())
                }
                ("pending", _) => {
                    return identity_error(
                        StatusCode::BAD_REQUEST,
                        "authorization_pending",
                        "the user has not confirmed the login yet",
                    );
                }
                ("denied", _) => {
                    return identity_error(StatusCode::BAD_REQUEST, "access_denied", "the user refused the login");
                }
                _ => return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", "the device code was used"),
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
    let mut answer = json!({
        "access_token": access,
        "expires_in": lifetime.num_seconds(),
        "token_type": "Bearer",
        "refresh_token": refresh,
        "scope": scope,
    });
    if let Some(id_token) = id_token {
        answer["id_token"] = json!(id_token);
    }
    (StatusCode::OK, axum::Json(answer)).into_response()
}

/// Wall seconds an authorization code may wait for its exchange.
const CODE_LIFETIME_SECS: i64 = 300;

/// `GET /connect/authorize`: the sandbox's user is signed in, so the browser goes straight back to
/// `redirect_uri` with a code (or with `error` when the request is unusable).
fn authorize(shared: &Shared, query: &[(String, String)]) -> Response {
    let (Some(client_id), Some(redirect_uri)) = (field(query, "client_id"), field(query, "redirect_uri")) else {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_request", "client_id and redirect_uri are required");
    };
    if !redirect_uri.contains("://") || redirect_uri.contains('#') {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_request", "redirect_uri is not an absolute URL");
    }
    let mut back = form_urlencoded::Serializer::new(String::new());
    let wall = shared.clock.wall_now();
    let mut world = shared.world();
    if !world.identity.integrators.iter().any(|integrator| integrator.client_id == client_id) {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_client", "unknown client");
    }
    let scope = field(query, "scope").unwrap_or("openid extern.api").to_owned();
    let refusal = if field(query, "response_type") != Some("code") {
        Some("unsupported_response_type")
    } else if scope.split_whitespace().any(|scope| !KNOWN_SCOPES.contains(&scope)) {
        Some("invalid_scope")
    } else if field(query, "code_challenge").is_some() && field(query, "code_challenge_method") != Some("S256") {
        Some("invalid_request")
    } else {
        None
    };
    if let Some(error) = refusal {
        back.append_pair("error", error);
    } else {
        let Some(login) = world.identity.users.first().map(|user| user.login.clone()) else {
            return identity_error(StatusCode::BAD_REQUEST, "access_denied", "the sandbox has no user");
        };
        let code = format!("sbc.{}", Uuid::new_v4().simple());
        world.identity.authorization_codes.retain(|_, code| code.expires_at > wall);
        world.identity.authorization_codes.insert(
            code.clone(),
            AuthorizationCodeRecord {
                client_id: client_id.to_owned(),
                login,
                scope,
                redirect_uri: redirect_uri.to_owned(),
                nonce: field(query, "nonce").map(str::to_owned),
                code_challenge: field(query, "code_challenge").map(str::to_owned),
                expires_at: wall + chrono::Duration::seconds(CODE_LIFETIME_SECS),
            },
        );
        back.append_pair("code", &code);
    }
    if let Some(state) = field(query, "state") {
        back.append_pair("state", state);
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{}", back.finish());
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// An ID token for the user behind `code`: a JWT with `alg: none` (the sandbox signs nothing).
fn unsigned_id_token(
    code: &AuthorizationCodeRecord,
    issuer: &str,
    now: chrono::DateTime<chrono::Utc>,
    lifetime: chrono::Duration,
) -> String {
    let encode = |value: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string().as_bytes())
    };
    let mut claims = json!({
        "iss": issuer.trim_end_matches('/'),
        "sub": code.login,
        "aud": code.client_id,
        "iat": now.timestamp(),
        "exp": (now + lifetime).timestamp(),
    });
    if let Some(nonce) = &code.nonce {
        claims["nonce"] = json!(nonce);
    }
    format!("{}.{}.", encode(json!({ "alg": "none", "typ": "JWT" })), encode(claims))
}

/// The grant type of device-code polling (RFC 8628).
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Wall seconds a device login may take.
const DEVICE_LIFETIME_SECS: i64 = 300;
/// Seconds between polls the host asks for.
const DEVICE_INTERVAL_SECS: i64 = 3;

/// `POST /connect/deviceauthorization`: codes for the application and the user.
fn start_device(shared: &Shared, headers: &HeaderMap, form: &[(String, String)]) -> Response {
    let Some((client_id, secret)) = client_credentials(headers, form) else {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_client", "client_id and client_secret are required");
    };
    let scope = field(form, "scope").unwrap_or("extern.api").to_owned();
    if let Some(unknown) = scope.split_whitespace().find(|scope| !KNOWN_SCOPES.contains(scope)) {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_scope", &format!("unknown scope {unknown}"));
    }
    let wall = shared.clock.wall_now();
    let mut world = shared.world();
    if !world.identity.integrators.iter().any(|i| i.client_id == client_id && i.api_key == secret) {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_client", "unknown client or wrong api-key");
    }
    let device_code = format!("sbd.{}", Uuid::new_v4().simple());
    let digits = Uuid::new_v4().as_u128() % 100_000_000;
    let user_code = format!("{:04}-{:04}", digits / 10_000, digits % 10_000);
    world.identity.device_logins.retain(|_, device| device.expires_at > wall);
    world.identity.device_logins.insert(
        device_code.clone(),
        DeviceLogin {
            user_code: user_code.clone(),
            client_id,
            scope,
            expires_at: wall + chrono::Duration::seconds(DEVICE_LIFETIME_SECS),
            state: "pending".to_owned(),
            login: None,
        },
    );
    let page = format!("{}device", shared.identity_url);
    let complete = format!("{page}?userCode={user_code}");
    (
        StatusCode::OK,
        axum::Json(json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": page,
            "verification_uri_complete": complete,
            "interval": DEVICE_INTERVAL_SECS,
            "expires_in": DEVICE_LIFETIME_SECS,
        })),
    )
        .into_response()
}

/// `GET /device?userCode=…[&deny=true]`: the user, signed in, confirms or refuses a device login.
fn confirm_device(shared: &Shared, query: &[(String, String)]) -> Response {
    let page = |status: StatusCode, text: &str| {
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], format!("<!doctype html><p>{text}</p>"))
            .into_response()
    };
    let Some(user_code) = field(query, "userCode").or_else(|| field(query, "user_code")) else {
        return page(StatusCode::BAD_REQUEST, "Enter the code the application shows: /device?userCode=…");
    };
    let deny = field(query, "deny") == Some("true");
    let wall = shared.clock.wall_now();
    let mut world = shared.world();
    let login = world.identity.users.first().map(|user| user.login.clone());
    let Some(device) = world
        .identity
        .device_logins
        .values_mut()
        .find(|device| device.user_code == user_code && device.state == "pending" && device.expires_at > wall)
    else {
        return page(StatusCode::NOT_FOUND, "No login waits for this code (wrong, used or expired).");
    };
    if deny {
        device.state = "denied".to_owned();
        return page(StatusCode::OK, "Login refused. You may close this page.");
    }
    device.state = "approved".to_owned();
    device.login = login;
    page(StatusCode::OK, "Login confirmed. You may close this page.")
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
