//! What a failed call tells: operation, status, the API's error body and the trace id.

mod transport_support;

use httpmock::prelude::*;
use kontur_extern::error::TransportErrorKind;
use kontur_extern::raw::types::StatusCode;
use kontur_extern::transport::{RetryPolicy, SendExt, Transport};
use kontur_extern::{Error, raw};
use serde_json::json;
use transport_support::{ACCOUNT, DOCFLOW, LoopbackServer, Reply, uuid};

fn client(base_url: &str) -> raw::Client {
    Transport::unauthenticated().retry_policy(RetryPolicy::none()).into_client(base_url).unwrap()
}

async fn get_docflow(client: &raw::Client) -> Result<raw::types::Docflow, Error> {
    Ok(client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().await?.into_inner())
}

async fn api_error_for(status: u16, status_code: serde_json::Value, trace_id: &str) -> Error {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}"));
            then.status(status).header("X-Kontur-Trace-Id", trace_id).json_body(json!({
                "id": "urn:error:externapi:docflowNotFound",
                "status-code": status_code,
                "message": "Docflow not found",
                "properties": { "docflow-id": DOCFLOW },
                "field-from-the-future": 1
            }));
        })
        .await;
    get_docflow(&client(&server.base_url())).await.expect_err("an error answer")
}

#[tokio::test]
async fn status_code_decodes_as_number_numeric_string_and_word() {
    for (status_code, trace_id) in
        [(json!(404), "trace-number"), (json!("404"), "trace-string"), (json!("not-found"), "trace-word")]
    {
        let error = api_error_for(404, status_code.clone(), trace_id).await;
        let Error::Api(failure) = &error else { panic!("expected an API error, got {error:?}") };

        assert_eq!(failure.status, reqwest::StatusCode::NOT_FOUND);
        assert_eq!(failure.id(), Some("urn:error:externapi:docflowNotFound"));
        assert_eq!(failure.message(), Some("Docflow not found"));
        assert_eq!(failure.body.properties["docflow-id"], json!(DOCFLOW));
        let decoded = failure.body.status_code.as_ref().expect("status-code is decoded");
        assert_eq!(decoded.as_u16(), Some(404), "status-code {status_code} means 404");
        assert_eq!(error.operation(), Some("get_docflow"));
        assert_eq!(error.trace_id(), Some(trace_id));

        let message = error.to_string();
        assert!(message.contains("get_docflow"), "{message}");
        assert!(message.contains(trace_id), "the trace id is shown: {message}");
        assert!(message.contains("urn:error:externapi:docflowNotFound"), "{message}");
    }
}

#[test]
fn status_code_words_in_any_spelling() {
    for (value, expected) in [
        (StatusCode::Int32(409), Some(409)),
        (StatusCode::String("409".into()), Some(409)),
        (StatusCode::String("request-timeout".into()), Some(408)),
        (StatusCode::String("RequestTimeout".into()), Some(408)),
        (StatusCode::String("TOO_MANY_REQUESTS".into()), Some(429)),
        (StatusCode::String("internal-server-error".into()), Some(500)),
        (StatusCode::String("something-else".into()), None),
        (StatusCode::String("".into()), None),
        (StatusCode::Int32(-1), None),
        (StatusCode::Int32(70000), None),
    ] {
        assert_eq!(value.as_u16(), expected, "{value:?}");
    }
    assert_eq!(StatusCode::String("conflict".into()).to_http(), Some(reqwest::StatusCode::CONFLICT));
}

#[tokio::test]
async fn trace_id_falls_back_to_the_body() {
    let server = LoopbackServer::always(Reply::json(
        500,
        json!({ "id": "urn:error:externapi:internal", "status-code": 500, "trace-id": "from-the-body" }),
    ))
    .await;
    let error = get_docflow(&client(&server.base_url)).await.expect_err("500");
    assert_eq!(error.trace_id(), Some("from-the-body"));
    assert!(error.to_string().contains("from-the-body"));
}

#[tokio::test]
async fn an_error_answer_without_json_is_a_decode_error_with_status_trace_id_and_excerpt() {
    let server = LoopbackServer::always(
        Reply::raw(502, "<html><body>Bad gateway from the proxy</body></html>")
            .header("X-Kontur-Trace-Id", "proxy-trace"),
    )
    .await;
    let error = get_docflow(&client(&server.base_url)).await.expect_err("502");

    let Error::Decode(failure) = &error else { panic!("expected a decode error, got {error:?}") };
    assert_eq!(failure.status, Some(reqwest::StatusCode::BAD_GATEWAY));
    assert_eq!(failure.trace_id.as_deref(), Some("proxy-trace"));
    assert!(failure.excerpt.contains("Bad gateway from the proxy"));
    let message = error.to_string();
    assert!(message.contains("get_docflow") && message.contains("proxy-trace") && message.contains("502"), "{message}");
}

#[tokio::test]
async fn a_success_body_of_the_wrong_shape_is_a_decode_error() {
    let long_garbage = format!("{{\"id\": 42, \"padding\": \"{}\"}}", "x".repeat(5000));
    let server = LoopbackServer::always(Reply::raw(200, long_garbage).header("X-Kontur-Trace-Id", "shape-trace")).await;
    let error = get_docflow(&client(&server.base_url)).await.expect_err("id must be a uuid");

    let Error::Decode(failure) = &error else { panic!("expected a decode error, got {error:?}") };
    assert_eq!(failure.status, Some(reqwest::StatusCode::OK));
    assert_eq!(error.trace_id(), Some("shape-trace"));
    assert!(failure.excerpt.chars().count() <= 257, "the excerpt is short: {} chars", failure.excerpt.chars().count());
    assert!(failure.excerpt.starts_with("{\"id\": 42"));
}

#[tokio::test]
async fn an_undocumented_status_is_reported_with_its_body() {
    let server = LoopbackServer::always(Reply::raw(204, "").header("X-Kontur-Trace-Id", "no-content-trace")).await;
    let error = get_docflow(&client(&server.base_url)).await.expect_err("204 is not documented for get_docflow");
    let Error::UnexpectedStatus(failure) = &error else { panic!("expected an unexpected status, got {error:?}") };
    assert_eq!(failure.status, reqwest::StatusCode::NO_CONTENT);
    assert_eq!(error.trace_id(), Some("no-content-trace"));
    assert!(error.to_string().contains("get_docflow"));
}

#[tokio::test]
async fn bare_send_errors_convert_with_less_context() {
    let server = LoopbackServer::always(
        Reply::json(409, json!({ "id": "urn:error:externapi:concurrentApiTaskActive", "status-code": "conflict" }))
            .header("X-Kontur-Trace-Id", "bare-trace"),
    )
    .await;
    let raw_error = client(&server.base_url)
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .await
        .expect_err("409");
    let error = Error::from(raw_error);
    let Error::Api(failure) = &error else { panic!("{error:?}") };
    assert_eq!(failure.status, reqwest::StatusCode::CONFLICT);
    assert_eq!(failure.id(), Some("urn:error:externapi:concurrentApiTaskActive"));
    assert_eq!(error.trace_id(), Some("bare-trace"));
    assert_eq!(error.operation(), None, "the operation is known only to checked calls");
}

#[tokio::test]
async fn a_missing_parameter_is_an_invalid_request_naming_no_server() {
    let error = client("http://127.0.0.1:9")
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .send()
        .checked()
        .await
        .expect_err("docflow_id is missing");
    let Error::InvalidRequest { message, .. } = &error else { panic!("{error:?}") };
    assert!(message.contains("docflow_id"), "{message}");
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_naming_operation_and_host() {
    // Bind and drop a listener: its port is then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let error = get_docflow(&client(&format!("http://127.0.0.1:{port}"))).await.expect_err("nobody listens");
    let Error::Transport(failure) = &error else { panic!("{error:?}") };
    assert_eq!(failure.kind, TransportErrorKind::Connect);
    let message = error.to_string();
    assert!(message.contains("get_docflow") && message.contains("127.0.0.1"), "{message}");
}

#[tokio::test]
async fn errors_and_checked_calls_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Error>();

    let server = LoopbackServer::always(Reply::json(404, json!({ "status-code": 404 }))).await;
    let client = client(&server.base_url);
    let spawned = tokio::spawn(async move { get_docflow(&client).await });
    let error = spawned.await.expect("the task ends").expect_err("404");
    assert_eq!(error.status(), Some(reqwest::StatusCode::NOT_FOUND));
}
