//! Content service: raw uploads with `Content-Range`, ranged downloads.

mod common;

use httpmock::prelude::*;
use kontur_extern::raw::Error;
use serde_json::json;
use uuid::Uuid;

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const CONTENT: &str = "9089d7cf-58d0-4739-ba3f-110ecd4180d7";

fn account_id() -> Uuid {
    ACCOUNT.parse().expect("a uuid")
}

fn content_id() -> Uuid {
    CONTENT.parse().expect("a uuid")
}

#[tokio::test]
async fn op_upload_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/contents"))
                .header("content-type", "application/octet-stream")
                .header("content-range", "bytes 0-11/12")
                .body("<xml>1</xml>");
            then.status(201).json_body(json!({ "id": CONTENT }));
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .upload_content()
        .account_id(account_id())
        .content_range("bytes 0-11/12")
        .body(b"<xml>1</xml>".to_vec())
        .send()
        .await
        .expect("the upload is accepted");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 201, "a whole content answers 201");
    assert_eq!(answer.into_inner().id, content_id());
}

#[tokio::test]
async fn upload_content_first_part_answers_200() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/contents"))
                .header("content-range", "bytes 0-3/*")
                .body("abcd");
            then.status(200).json_body(json!({ "id": CONTENT }));
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .upload_content()
        .account_id(account_id())
        .content_range("bytes 0-3/*")
        .body(b"abcd".to_vec())
        .send()
        .await
        .expect("the first part is accepted");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200, "a started multi-part upload answers 200");
    assert_eq!(answer.into_inner().id, content_id());
}

#[tokio::test]
async fn op_upload_content_part() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(format!("/v1/{ACCOUNT}/contents/{CONTENT}"))
                .header("content-type", "application/octet-stream")
                .header("content-range", "bytes 4-7/8")
                .body("efgh");
            then.status(201).json_body(json!({ "id": CONTENT }));
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .upload_content_part()
        .account_id(account_id())
        .content_id(content_id())
        .content_range("bytes 4-7/8")
        .body(b"efgh".to_vec())
        .send()
        .await
        .expect("the part is accepted");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 201);
    assert_eq!(answer.into_inner().id, content_id());
}

#[tokio::test]
async fn upload_content_part_over_64_mb_decodes_api_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path(format!("/v1/{ACCOUNT}/contents/{CONTENT}"));
            then.status(413).json_body(json!({
                "id": "urn:error:contents:partTooLarge",
                "status-code": 413,
                "message": "A part may not exceed 64 MB",
                "trace-id": "a1b2c3"
            }));
        })
        .await;

    let error = common::raw_client(&server.base_url())
        .upload_content_part()
        .account_id(account_id())
        .content_id(content_id())
        .content_range("bytes 0-67108864/67108865")
        .body(b"x".to_vec())
        .send()
        .await
        .expect_err("413 is an error");

    let Error::ErrorResponse(answer) = error else { panic!("expected an API error, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 413);
    assert_eq!(answer.message.as_deref(), Some("A part may not exceed 64 MB"));
    assert_eq!(answer.id.as_deref(), Some("urn:error:contents:partTooLarge"));
}

async fn collect(stream: kontur_extern::raw::ByteStream) -> Vec<u8> {
    use futures::TryStreamExt;
    stream.into_inner().map_ok(|chunk| chunk.to_vec()).try_concat().await.expect("the body arrives")
}

#[tokio::test]
async fn op_download_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/contents/{CONTENT}")).header("range", "bytes=2-5");
            then.status(206)
                .header("content-type", "application/octet-stream")
                .header("content-range", "bytes 2-5/8")
                .body(b"cdef");
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .download_content()
        .account_id(account_id())
        .content_id(content_id())
        .range("bytes=2-5")
        .send()
        .await
        .expect("the range arrives");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 206);
    assert_eq!(answer.headers().get("content-range").and_then(|v| v.to_str().ok()), Some("bytes 2-5/8"));
    assert_eq!(collect(answer.into_inner()).await, b"cdef");
}

#[tokio::test]
async fn download_whole_content_answers_200() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/contents/{CONTENT}")).header_missing("range");
            then.status(200).header("content-type", "application/octet-stream").body(b"abcdefgh");
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .download_content()
        .account_id(account_id())
        .content_id(content_id())
        .send()
        .await
        .expect("the content arrives");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(collect(answer.into_inner()).await, b"abcdefgh");
}
