//! Retries: which requests are sent again, how often, and after which pause.

mod common;
mod transport_support;

use std::time::{Duration, Instant};

use httpmock::prelude::*;
use kontur_extern::transport::{RetryPolicy, SendExt, Transport};
use kontur_extern::{Error, raw};
use serde_json::json;
use transport_support::{ACCOUNT, DOCFLOW, DRAFT, LoopbackServer, Reply, uuid};

/// Retries in milliseconds, so the tests stay fast.
fn quick_policy() -> RetryPolicy {
    RetryPolicy::default().with_base_delay(Duration::from_millis(5)).with_max_delay(Duration::from_millis(20))
}

fn client(base_url: &str, policy: RetryPolicy) -> raw::Client {
    Transport::unauthenticated().retry_policy(policy).into_client(base_url).expect("a client")
}

fn docflow_json() -> serde_json::Value {
    json!({ "id": DOCFLOW, "type": "urn:docflow:fns534-report" })
}

fn unavailable() -> Reply {
    Reply::json(503, json!({ "id": "urn:error:externapi:unavailable", "status-code": 503 }))
}

#[tokio::test]
async fn get_failing_twice_with_503_succeeds_on_the_third_request() {
    let server = LoopbackServer::sequence(vec![unavailable(), unavailable(), Reply::json(200, docflow_json())]).await;

    let docflow = client(&server.base_url, quick_policy())
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .await
        .expect("the third attempt succeeds")
        .into_inner();

    assert_eq!(docflow.id, uuid(DOCFLOW));
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn retries_also_work_for_callers_of_bare_send() {
    let server = LoopbackServer::sequence(vec![unavailable(), Reply::json(200, docflow_json())]).await;
    let answer = client(&server.base_url, quick_policy())
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .await
        .expect("the second attempt succeeds");
    assert_eq!(answer.status(), 200);
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn post_failing_with_503_is_sent_exactly_once() {
    let server = MockServer::start_async().await;
    let check = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{ACCOUNT}/drafts/{DRAFT}/check"));
            then.status(503).json_body(json!({ "id": "urn:error:externapi:unavailable", "status-code": 503 }));
        })
        .await;

    let error = client(&server.base_url(), quick_policy())
        .check_draft()
        .account_id(uuid(ACCOUNT))
        .draft_id(uuid(DRAFT))
        .deferred(true)
        .send()
        .checked()
        .await
        .expect_err("503 is an error");

    assert_eq!(error.status(), Some(reqwest::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(error.operation(), Some("check_draft"));
    check.assert_calls_async(1).await;
}

#[tokio::test]
async fn post_marked_retry_safe_is_retried() {
    let task = json!({ "id": "9f0e1d2c-3b4a-4596-8877-665544332211", "task-state": "running" });
    let server = LoopbackServer::sequence(vec![unavailable(), Reply::json(202, task)]).await;

    let answer = client(&server.base_url, quick_policy())
        .check_draft()
        .account_id(uuid(ACCOUNT))
        .draft_id(uuid(DRAFT))
        .deferred(true)
        .send()
        .checked()
        .retry_safe()
        .await
        .expect("the retry succeeds");

    assert_eq!(answer.status(), 202);
    assert_eq!(server.hits(), 2);
    assert!(server.seen().iter().all(|seen| seen.method == "POST"));
}

#[tokio::test]
async fn streaming_upload_is_never_retried_even_when_marked_safe() {
    let server = LoopbackServer::always(unavailable()).await;
    let chunks: Vec<Result<&'static [u8], std::io::Error>> = vec![Ok(b"part one, "), Ok(b"part two")];
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));

    let error = client(&server.base_url, quick_policy())
        .upload_content()
        .account_id(uuid(ACCOUNT))
        .body(body)
        .send()
        .checked()
        .retry_safe()
        .await
        .expect_err("503 is an error");

    assert_eq!(error.status(), Some(reqwest::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.hits(), 1, "a body that cannot be replayed is sent once");
    assert_eq!(server.seen()[0].header("content-type"), Some("application/octet-stream"));
}

#[tokio::test]
async fn replayable_upload_marked_safe_is_retried_with_the_same_body() {
    let content = json!({ "id": "1a2b3c4d-0000-4000-8000-000000000001" });
    let server = LoopbackServer::sequence(vec![unavailable(), Reply::json(201, content)]).await;

    client(&server.base_url, quick_policy())
        .upload_content()
        .account_id(uuid(ACCOUNT))
        .body(b"whole file".to_vec())
        .send()
        .checked()
        .retry_safe()
        .await
        .expect("the retry succeeds");

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|request| request.body == b"whole file"), "both attempts carry the body");
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited_for() {
    let server =
        LoopbackServer::sequence(vec![unavailable().header("Retry-After", "1"), Reply::json(200, docflow_json())])
            .await;

    let started = Instant::now();
    client(&server.base_url, quick_policy())
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .await
        .expect("the retry succeeds");

    assert_eq!(server.hits(), 2);
    // Behaviour, not speed: the 5 ms backoff was replaced by the server's one second.
    assert!(started.elapsed() >= Duration::from_millis(950), "waited only {:?}", started.elapsed());
}

#[tokio::test]
async fn retry_after_beyond_the_time_budget_ends_retrying_with_the_answer() {
    let server = LoopbackServer::always(
        Reply::json(429, json!({ "id": "urn:error:externapi:tooManyRequests", "status-code": 429 }))
            .header("Retry-After", "3600"),
    )
    .await;

    let error = client(&server.base_url, quick_policy().with_max_elapsed(Duration::from_secs(30)))
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .await
        .expect_err("429");

    assert_eq!(error.status(), Some(reqwest::StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(server.hits(), 1, "an hour's wait does not fit in 30 s");
}

#[tokio::test]
async fn a_429_storm_ends_with_the_error_after_the_attempt_cap() {
    let server = MockServer::start_async().await;
    let search = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows"));
            then.status(429)
                .header("X-Kontur-Trace-Id", "storm-trace")
                .json_body(json!({ "id": "urn:error:externapi:tooManyRequests", "status-code": "too-many-requests" }));
        })
        .await;

    let error = client(&server.base_url(), quick_policy().with_max_attempts(5))
        .search_docflows()
        .account_id(uuid(ACCOUNT))
        .send()
        .checked()
        .await
        .expect_err("the storm does not end");

    search.assert_calls_async(5).await;
    let Error::Api(failure) = &error else { panic!("expected an API error, got {error:?}") };
    assert_eq!(failure.status, reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(failure.id(), Some("urn:error:externapi:tooManyRequests"));
    assert_eq!(failure.body.status_code.as_ref().and_then(|code| code.as_u16()), Some(429));
    assert_eq!(error.trace_id(), Some("storm-trace"));
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let server = LoopbackServer::always(unavailable()).await;
    let result = client(&server.base_url, RetryPolicy::none())
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .await;
    assert!(result.is_err());
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_call_can_override_the_transport_policy() {
    let server = LoopbackServer::always(unavailable()).await;
    let result = client(&server.base_url, quick_policy())
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .retry_policy(quick_policy().with_max_attempts(2))
        .await;
    assert!(result.is_err());
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn dropped_connections_are_retried_for_get() {
    let server =
        LoopbackServer::sequence(vec![Reply::hang_up(), Reply::hang_up(), Reply::json(200, docflow_json())]).await;

    client(&server.base_url, quick_policy())
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .await
        .expect("the third connection answers");

    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn no_answer_after_every_attempt_is_a_transport_error_naming_operation_and_host() {
    let server = LoopbackServer::always(Reply::hang_up()).await;
    let error = client(&server.base_url, quick_policy().with_max_attempts(3))
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .await
        .expect_err("nobody answers");

    assert_eq!(server.hits(), 3);
    let Error::Transport(failure) = &error else { panic!("expected a transport error, got {error:?}") };
    assert_eq!(failure.attempts, 3);
    assert_eq!(failure.host.as_deref(), Some("127.0.0.1"));
    let message = error.to_string();
    assert!(message.contains("get_docflow") && message.contains("127.0.0.1"), "{message}");
}

#[tokio::test]
async fn a_per_call_timeout_ends_a_slow_request() {
    let server = LoopbackServer::always(Reply::json(200, docflow_json()).delay(Duration::from_secs(5))).await;
    let error = client(&server.base_url, RetryPolicy::none())
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .timeout(Duration::from_millis(100))
        .await
        .expect_err("the server takes longer than the timeout");

    assert!(error.is_timeout(), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("get_docflow") && message.contains("127.0.0.1") && message.contains("timed out"),
        "{message}"
    );
}

#[tokio::test]
async fn the_transport_default_timeout_applies_to_every_call() {
    let server = LoopbackServer::always(Reply::json(200, docflow_json()).delay(Duration::from_secs(5))).await;
    let client = Transport::unauthenticated()
        .retry_policy(RetryPolicy::none())
        .default_timeout(Duration::from_millis(100))
        .into_client(&server.base_url)
        .unwrap();
    let error = client
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .await
        .expect_err("timeout");
    assert!(error.is_timeout(), "{error:?}");
}

#[tokio::test]
async fn every_request_names_the_library_in_user_agent() {
    let server = MockServer::start_async().await;
    let expected = format!("kontur-extern/{}", env!("CARGO_PKG_VERSION"));
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}")).header("user-agent", &expected);
            then.status(200).json_body(docflow_json());
        })
        .await;

    // The shared test helper and a client built by progenitor's own constructor both send it.
    for client in
        [common::raw_client(&server.base_url()), raw::Client::new(&server.base_url(), Transport::unauthenticated())]
    {
        client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().await.unwrap();
    }
    get.assert_calls_async(2).await;
}
