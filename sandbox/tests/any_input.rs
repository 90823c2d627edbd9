//! No panic and no hang on any input: every operation of the spec, called with unknown ids and a
//! body that is not JSON, answers in the API's error shape (or succeeds when it reads none of the
//! garbage), and never with a server error other than 501 for operations not implemented yet.

mod common;

use std::time::Duration;

use common::start;
use kontur_extern::raw::types::ApiError;
use kontur_extern_sandbox::routes::spec_operations;
use reqwest::Method;

#[tokio::test]
async fn every_operation_answers_garbage_in_the_error_shape() {
    let harness = start().await;
    let token = harness.token().await;
    let mut checked = 0;
    let mut refused = 0;
    for operation in spec_operations() {
        let path = operation
            .path
            .split('/')
            .map(|segment| match segment {
                "{accountId}" => harness.account.to_string(),
                s if s.starts_with('{') => uuid::Uuid::new_v4().to_string(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(operation.method.as_bytes()).unwrap();
        let url =
            format!("{}{}?deferred=maybe&take=-1&fromId=nonsense", harness.sandbox.api_url.trim_end_matches('/'), path);
        let response = tokio::time::timeout(
            Duration::from_secs(10),
            harness
                .http
                .request(method, &url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .header("content-range", "bytes 9-1/0")
                .header("range", "bytes=zzz")
                .body("{\u{0}not json")
                .send(),
        )
        .await
        .unwrap_or_else(|_| panic!("{} hangs", operation.operation_id))
        .unwrap();
        checked += 1;
        let status = response.status().as_u16();
        assert!(status < 500 || status == 501, "{} answered {status}", operation.operation_id);
        let text = response.text().await.unwrap();
        if status < 400 {
            // An operation with nothing to read from the garbage (list publishers) may succeed.
            continue;
        }
        let body: ApiError = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{} answered {text:?}: {err}", operation.operation_id));
        assert!(body.trace_id.is_some() && body.id.is_some(), "{}: {text}", operation.operation_id);
        refused += 1;
    }
    assert!(checked >= 150, "every operation of both specs was tried");
    assert!(refused + 3 >= checked, "nearly every operation refuses garbage: {refused} of {checked}");
}

#[tokio::test]
async fn tasks_and_robots_move_on_their_own_with_a_running_clock() {
    let harness = common::start_with(kontur_extern_sandbox::SandboxConfig { speed: 200.0, ..Default::default() }).await;
    let draft = harness.signed_draft(serde_json::json!({ "ifns-code": "0087" })).await;
    let send = harness
        .raw()
        .send_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .deferred(true)
        .force(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut docflow_id = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let task = harness
            .raw()
            .get_draft_task()
            .account_id(harness.account)
            .draft_id(draft)
            .api_task_id(send.id)
            .send()
            .await
            .unwrap()
            .into_inner();
        if common::text(&task.task_state) == "succeed" {
            docflow_id = task.task_result.and_then(|r| r["id"].as_str().map(str::to_owned));
            break;
        }
    }
    let docflow_id: uuid::Uuid = docflow_id.expect("the send task finished by itself").parse().unwrap();
    // The operator's date confirmation comes after one sandbox minute: 0.3 s at speed 200.
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if common::status(&harness.docflow(docflow_id).await) == "urn:docflow-common-status:delivered" {
            return;
        }
    }
    panic!("the robot never answered");
}
