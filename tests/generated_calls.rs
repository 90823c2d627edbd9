//! What the generated calls tell their callers, kept as progenitor words it while `build.rs`
//! rewrites the generated code for speed: a builder's errors (missing field, failed conversion)
//! and a decoded answer's status, headers and decoding errors; and that a decoded answer keeps
//! its in-flight slot and idle timeout while its body is read.

mod transport_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kontur_extern::raw;
use kontur_extern::transport::{RetryPolicy, SendExt, Transport};
use progenitor_client::Error as RawError;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use transport_support::{ACCOUNT, DOCFLOW, LoopbackServer, Reply, uuid};

fn client(base_url: &str) -> raw::Client {
    Transport::unauthenticated().retry_policy(RetryPolicy::none()).into_client(base_url).unwrap()
}

/// The message of a raw call's `InvalidRequest`.
fn invalid_request<T: std::fmt::Debug, E: std::fmt::Debug>(result: Result<T, RawError<E>>) -> String {
    match result {
        Err(RawError::InvalidRequest(message)) => message,
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_field_names_itself_as_progenitor_words_it() {
    let raw = client("http://127.0.0.1:9");
    let result = raw.get_docflow().account_id(uuid(ACCOUNT)).send().await;
    assert_eq!(invalid_request(result), "docflow_id was not initialized");
    let result = raw.get_docflow().docflow_id(uuid(DOCFLOW)).send().await;
    assert_eq!(invalid_request(result), "account_id was not initialized");

    let checked =
        raw.get_docflow().account_id(uuid(ACCOUNT)).send().checked().await.expect_err("docflow_id is missing");
    let kontur_extern::Error::InvalidRequest { message, .. } = &checked else { panic!("{checked:?}") };
    assert_eq!(message, "docflow_id was not initialized");

    // A builder's Debug shows the missing field's message as before.
    let builder = format!("{:?}", raw.get_docflow().account_id(uuid(ACCOUNT)));
    assert!(builder.contains(r#"docflow_id: Err("docflow_id was not initialized")"#), "{builder}");
}

#[tokio::test]
async fn a_failed_conversion_names_the_field_and_the_type() {
    let raw = client("http://127.0.0.1:9");
    let result = raw.list_accounts().take(u64::MAX).send().await;
    assert_eq!(invalid_request(result), "conversion to `i32` for take failed");
}

#[tokio::test]
async fn a_body_that_cannot_be_built_says_what_is_missing() {
    let raw = client("http://127.0.0.1:9");
    // A typed body whose required fields were not all set: the conversion's own message comes through.
    let incomplete = raw::types::CreateAccountRequest::builder().inn("7757424860".to_owned());
    let result = raw.create_account().body(incomplete).send().await;
    let message = invalid_request(result);
    assert!(message.contains("organization_name"), "{message}");

    let result = raw.create_account().body_map(|body| body.inn("7757424860".to_owned())).send().await;
    let message = invalid_request(result);
    assert!(message.contains("organization_name"), "{message}");
}

#[tokio::test]
async fn a_decoded_answer_keeps_its_status_and_headers() {
    let docflow = json!({ "id": DOCFLOW, "documents": [] });
    let server = LoopbackServer::always(Reply::json(200, docflow).header("X-Kontur-Trace-Id", "trace-1")).await;
    let answer = client(&server.base_url)
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .await
        .expect("a docflow");
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    assert_eq!(answer.headers().get("x-kontur-trace-id").map(|v| v.as_bytes()), Some(&b"trace-1"[..]));
    assert_eq!(answer.headers().get("content-type").map(|v| v.as_bytes()), Some(&b"application/json"[..]));
    assert_eq!(answer.into_inner().id, uuid(DOCFLOW));
}

#[tokio::test]
async fn an_answer_that_is_not_json_keeps_its_body_in_the_error() {
    let server = LoopbackServer::always(Reply::raw(200, "not json")).await;
    let error = client(&server.base_url)
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .await
        .expect_err("not a docflow");
    let RawError::InvalidResponsePayload(body, source) = &error else { panic!("{error:?}") };
    assert_eq!(&body[..], b"not json");
    assert!(source.is_syntax(), "{source}");
}

#[tokio::test]
async fn an_error_answer_is_decoded_with_its_headers() {
    let body = json!({ "id": "urn:error:externapi:docflowNotFound", "status-code": 404 });
    let server = LoopbackServer::always(Reply::json(404, body).header("X-Kontur-Trace-Id", "trace-2")).await;
    let error = client(&server.base_url)
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .await
        .expect_err("404");
    let RawError::ErrorResponse(answer) = &error else { panic!("{error:?}") };
    assert_eq!(answer.status(), reqwest::StatusCode::NOT_FOUND);
    assert_eq!(answer.headers().get("x-kontur-trace-id").map(|v| v.as_bytes()), Some(&b"trace-2"[..]));
    assert_eq!(answer.id.as_deref(), Some("urn:error:externapi:docflowNotFound"));
}

/// Serves every GET on its own connection with a docflow whose body stops after its first
/// half for `pause` (or for good when `pause` is `None`). Records, per request, whether an
/// earlier answer's body was still unfinished when it arrived.
async fn pausing_server(pause: Option<Duration>) -> (String, Arc<Mutex<Vec<bool>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let overlapped = Arc::new(Mutex::new(Vec::new()));
    let unfinished = Arc::new(AtomicUsize::new(0));
    let seen = overlapped.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (seen, unfinished) = (seen.clone(), unfinished.clone());
            tokio::spawn(async move {
                if transport_support::read_request(&mut socket).await.is_none() {
                    return;
                }
                seen.lock().unwrap().push(unfinished.fetch_add(1, Ordering::SeqCst) > 0);
                let body = json!({ "id": DOCFLOW, "documents": [] }).to_string();
                let (first, rest) = body.split_at(body.len() / 2);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/json\r\n\r\n{first}",
                    body.len()
                );
                socket.write_all(head.as_bytes()).await.unwrap();
                socket.flush().await.unwrap();
                tokio::time::sleep(pause.unwrap_or(Duration::from_secs(30))).await;
                let _ = socket.write_all(rest.as_bytes()).await;
                unfinished.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (format!("http://{address}"), overlapped)
}

#[tokio::test]
async fn a_decoded_answer_keeps_its_slot_until_its_body_is_read() {
    let (base_url, overlapped) = pausing_server(Some(Duration::from_millis(300))).await;
    let client = Transport::unauthenticated().max_in_flight(1).into_client(&base_url).unwrap();
    let get = || client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send();
    let (first, second) = tokio::join!(get(), get());
    assert_eq!(first.expect("the first docflow").into_inner().id, uuid(DOCFLOW));
    assert_eq!(second.expect("the second docflow").into_inner().id, uuid(DOCFLOW));
    assert_eq!(*overlapped.lock().unwrap(), [false, false], "the second request waited for the first body");
}

#[tokio::test]
async fn a_decoded_answer_whose_body_stalls_ends_with_a_timeout() {
    let (base_url, _) = pausing_server(None).await;
    let client = Transport::unauthenticated().idle_timeout(Duration::from_millis(300)).into_client(&base_url).unwrap();
    let started = Instant::now();
    let error = client
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .await
        .expect_err("the body stalls");
    let RawError::ResponseBodyError(source) = &error else { panic!("{error:?}") };
    assert!(source.is_timeout(), "{source:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    let url = source.url().expect("the answer's URL");
    assert_eq!(url.path(), format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}"));
    let mut cause: &dyn std::error::Error = source;
    while let Some(next) = cause.source() {
        cause = next;
    }
    assert_eq!(cause.to_string(), "no data for 300 ms");
}

#[tokio::test]
async fn checked_calls_polled_together_on_one_task_each_name_their_own_operation() {
    let body = json!({ "id": "urn:error:externapi:notFound", "status-code": 404 });
    let server = LoopbackServer::always(Reply::json(404, body).delay(Duration::from_millis(50))).await;
    let raw = client(&server.base_url);
    let (docflow, draft, bare) = tokio::join!(
        raw.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked(),
        raw.get_draft().account_id(uuid(ACCOUNT)).draft_id(uuid(DOCFLOW)).send().checked(),
        raw.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send(),
    );
    assert_eq!(docflow.expect_err("404").operation(), Some("get_docflow"));
    assert_eq!(draft.expect_err("404").operation(), Some("get_draft"));
    let bare = kontur_extern::Error::from(bare.expect_err("404"));
    assert_eq!(bare.operation(), None, "a bare call polled beside checked ones is in no call's context");

    // Nothing is left behind on the thread: a later bare call is in no context either.
    let later = raw.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().await;
    assert_eq!(kontur_extern::Error::from(later.expect_err("404")).operation(), None);
}

#[tokio::test]
async fn a_checked_decoded_answer_keeps_its_slot_until_its_body_is_read() {
    let (base_url, overlapped) = pausing_server(Some(Duration::from_millis(300))).await;
    let client = Transport::unauthenticated().max_in_flight(1).into_client(&base_url).unwrap();
    let get = || client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked();
    let (first, second) = tokio::join!(get(), get());
    assert_eq!(first.expect("the first docflow").into_inner().id, uuid(DOCFLOW));
    assert_eq!(second.expect("the second docflow").into_inner().id, uuid(DOCFLOW));
    assert_eq!(*overlapped.lock().unwrap(), [false, false], "the second request waited for the first body");
}

#[tokio::test]
async fn a_checked_answer_without_a_body_frees_its_slot() {
    let server = LoopbackServer::always(Reply::raw(204, "")).await;
    let client = Transport::unauthenticated().max_in_flight(1).into_client(&server.base_url).unwrap();
    for _ in 0..3 {
        let deleted = client.delete_account().account_id(uuid(ACCOUNT)).send().checked();
        tokio::time::timeout(Duration::from_secs(5), deleted)
            .await
            .expect("the slot of the call before was freed")
            .expect("deleted");
    }
    assert_eq!(server.hits(), 3);
}

/// A request's kept headers reuse the room an earlier call left on the thread: none of that
/// call's headers may reach a later call, on its first attempt or its retry.
#[tokio::test]
async fn a_call_never_carries_the_headers_of_the_call_before_it() {
    let docflow = json!({ "id": DOCFLOW, "documents": [] });
    let content = json!({ "id": DOCFLOW });
    let server = LoopbackServer::sequence(vec![
        Reply::json(201, content),
        Reply::raw(200, "abc".to_owned()),
        Reply::json(503, json!({ "status-code": 503 })),
        Reply::json(200, docflow),
    ])
    .await;
    let policy = RetryPolicy::default().with_base_delay(Duration::from_millis(10)).with_max_attempts(2);
    let client = Transport::unauthenticated().retry_policy(policy).into_client(&server.base_url).unwrap();
    client
        .upload_content()
        .account_id(uuid(ACCOUNT))
        .content_range("bytes 0-2/3")
        .body(b"abc".to_vec())
        .send()
        .checked()
        .await
        .expect("the upload is answered");
    // A bodyless request with a header of its own, whose kept headers are left for the next call.
    let download = client
        .download_content()
        .account_id(uuid(ACCOUNT))
        .content_id(uuid(DOCFLOW))
        .range("bytes=0-2")
        .send()
        .checked()
        .await
        .expect("the download is answered");
    drop(download);
    let answer = client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().await;
    assert_eq!(answer.expect("the retry answers").into_inner().id, uuid(DOCFLOW));
    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].header("content-range"), Some("bytes 0-2/3"));
    assert_eq!(seen[1].header("range"), Some("bytes=0-2"));
    for request in &seen[2..] {
        assert_eq!(request.method, "GET");
        assert_eq!(request.header("content-range"), None, "{request:?}");
        assert_eq!(request.header("content-type"), None, "{request:?}");
        assert_eq!(request.header("range"), None, "{request:?}");
    }
    let mut first = seen[2].headers.clone();
    let mut second = seen[3].headers.clone();
    first.sort();
    second.sort();
    assert_eq!(first, second, "the retry repeats the head");
}

#[tokio::test]
async fn a_retried_call_sends_the_same_request_again() {
    let docflow = json!({ "id": DOCFLOW, "documents": [] });
    let server =
        LoopbackServer::sequence(vec![Reply::json(503, json!({ "status-code": 503 })), Reply::json(200, docflow)])
            .await;
    let policy = RetryPolicy::default().with_base_delay(Duration::from_millis(10)).with_max_attempts(2);
    let client = Transport::unauthenticated().retry_policy(policy).into_client(&server.base_url).unwrap();
    let answer = client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().await;
    assert_eq!(answer.expect("the second attempt answers").into_inner().id, uuid(DOCFLOW));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}"));
        assert_eq!(request.header("accept"), Some("application/json"));
        assert!(request.header("api-version").is_some_and(|version| !version.is_empty()), "{request:?}");
        assert!(request.header("user-agent").is_some_and(|agent| agent.starts_with("kontur-extern/")), "{request:?}");
    }
    let mut first = seen[0].headers.clone();
    let mut second = seen[1].headers.clone();
    first.sort();
    second.sort();
    assert_eq!(first, second, "the retry repeats the head");
}
