//! Links through the layer: relations, following (relative and absolute) through the transport,
//! refusal of other hosts with nothing sent, the replies a docflow awaits and starting one.

mod common;

use common::{id, layer_client};
use httpmock::prelude::*;
use kontur_extern::Error;
use kontur_extern::handles::{AwaitedReply, ReplyKind, StartedReply};
use kontur_extern::ids::{AccountId, DocflowId, DocumentId, ReplyId};
use kontur_extern::links::{HasLinks, Link, LinkError, LinkRel};
use kontur_extern::raw::types;
use serde_json::json;

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
const DOCUMENT: &str = "08d1aa6b-4506-4fd0-b45e-4e37086a38a6";
const REPLY: &str = "c0ffee00-1234-4abc-8def-0123456789ab";
const INVENTORY: &str = "5b2f0f9e-6c1d-4a0b-9f3e-2d7c8e1a4b6f";

fn link(rel: &str, href: &str) -> Link {
    serde_json::from_value(json!({ "rel": rel, "href": href })).expect("a link")
}

fn docflow_json() -> serde_json::Value {
    json!({ "id": DOCFLOW, "type": "urn:docflow:fns534-demand", "status": "urn:docflow-common-status:arrived" })
}

#[tokio::test]
async fn a_link_to_another_host_is_refused_and_nothing_is_sent_there() {
    let api = MockServer::start_async().await;
    let foreign = MockServer::start_async().await;
    let anything = foreign
        .mock_async(|_, then| {
            then.status(200).json_body(docflow_json());
        })
        .await;
    let client = layer_client(&api);
    let outside = link("docflow", &foreign.url(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}")));
    let error = client.links().docflow(&outside).await.expect_err("refused");
    let Error::Link(link_error) = &error else { panic!("expected a link error, got {error:?}") };
    assert!(matches!(**link_error, LinkError::ForeignHost { .. }), "{link_error:?}");
    assert!(error.to_string().contains("only the API host"), "{error}");
    assert_eq!(anything.calls_async().await, 0, "no request reached the other host");
}

#[tokio::test]
async fn a_relative_link_is_followed_on_the_api_host_with_credentials() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}"))
                .header("authorization", "Bearer layer-test-token");
            then.status(200).json_body(docflow_json());
        })
        .await;
    let client = layer_client(&server);
    let relative = link("docflow", &format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}"));
    let docflow = client.links().docflow(&relative).await.expect("followed");
    get.assert_async().await;
    assert_eq!(docflow.docflow_id(), DocflowId::from(id(DOCFLOW)));

    let absolute = link("docflow", &server.url(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}")));
    client.links().docflow(&absolute).await.expect("followed");
    assert_eq!(get.calls_async().await, 2);
}

#[tokio::test]
async fn content_links_give_bytes_and_errors_name_the_trace() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/content-as-base64");
            then.status(200).json_body(json!("SGVsbG8="));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/missing");
            then.status(404).header("X-Kontur-Trace-Id", "trace-404").json_body(json!({
                "id": "urn:error:externapi:notFound", "message": "no such document"
            }));
        })
        .await;
    let client = layer_client(&server);
    let bytes =
        client.links().content(&link("decrypted-content", "/v1/content-as-base64")).bytes().await.expect("bytes");
    assert_eq!(&bytes[..], b"Hello");
    let error = client.links().document(&link("document", "/v1/missing")).await.expect_err("404");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(error.trace_id(), Some("trace-404"));
    assert_eq!(error.operation(), Some("follow_link"));
}

#[tokio::test]
async fn a_content_link_into_the_content_service_downloads_in_range_chunks() {
    const CONTENT: &str = "0b5e8f64-2d1c-4f7a-8a3b-9c6d5e4f3a21";
    let server = MockServer::start_async().await;
    let path = format!("/v1/{ACCOUNT}/contents/{CONTENT}");
    let ranges: Vec<_> = [(0, 3, "Hell"), (4, 7, "o, w"), (8, 10, "orl")]
        .into_iter()
        .map(|(start, last, part)| (start, last, part, path.clone()))
        .collect();
    let mut mocks = Vec::new();
    for (start, last, part, path) in ranges {
        mocks.push(
            server
                .mock_async(move |when, then| {
                    // The first range is asked before the length is known; the last ends at the length.
                    let asked_last = (start + 3).min(10);
                    when.method(GET).path(path).header("range", format!("bytes={start}-{asked_last}"));
                    then.status(206).header("content-range", format!("bytes {start}-{last}/11")).body(part);
                })
                .await,
        );
    }
    let client = layer_client(&server);
    let bytes = client.links().content(&link("content", &path)).chunk_size(4).bytes().await.expect("downloaded");
    assert_eq!(&bytes[..], b"Hello, worl");
    for mock in mocks {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn templated_and_empty_links_are_refused() {
    let server = MockServer::start_async().await;
    let client = layer_client(&server);
    let templated: Link =
        serde_json::from_value(json!({ "rel": "next", "href": "/v1/x{?skip}", "templated": true })).unwrap();
    let error = client.links().page::<serde_json::Value>(&templated).await.expect_err("templated");
    assert!(matches!(&error, Error::Link(e) if matches!(**e, LinkError::Templated { .. })), "{error:?}");
    let empty: Link = serde_json::from_value(json!({ "rel": "self" })).unwrap();
    let error = client.links().page::<serde_json::Value>(&empty).await.expect_err("no href");
    assert!(matches!(&error, Error::Link(e) if matches!(**e, LinkError::MissingHref { .. })), "{error:?}");
}

#[test]
fn relations_are_an_open_enum() {
    assert_eq!(LinkRel::from("related-docflow"), LinkRel::RelatedDocflow);
    assert_eq!(LinkRel::from("self"), LinkRel::SelfRel);
    assert_eq!(LinkRel::from("brand-new-rel"), LinkRel::Other("brand-new-rel".into()));
    assert_eq!(LinkRel::Other("brand-new-rel".into()).as_str(), "brand-new-rel");
    assert_eq!(LinkRel::DecryptedContent.to_string(), "decrypted-content");
    let docflow: types::Docflow = serde_json::from_value(json!({
        "id": DOCFLOW,
        "links": [
            { "rel": "self", "href": "/a" },
            { "rel": "web-docflow", "href": "https://extern.kontur.ru/x" },
            { "rel": "reply", "href": "/b" },
            { "rel": "reply", "href": "/c" }
        ]
    }))
    .unwrap();
    assert_eq!(docflow.link(&LinkRel::WebDocflow).and_then(|l| l.href.as_deref()), Some("https://extern.kontur.ru/x"));
    assert_eq!(docflow.links_with(&LinkRel::Reply).count(), 2);
}

fn demand_with_reply_links(base: &str) -> types::Docflow {
    let docflows = format!("{base}/v1/{ACCOUNT}/docflows/{DOCFLOW}");
    serde_json::from_value(json!({
        "id": DOCFLOW,
        "type": "urn:docflow:fns534-demand",
        "links": [
            { "rel": "self", "href": docflows },
            { "rel": "reply", "name": "urn:document:fns534-demand-receipt",
              "href": format!("{docflows}/documents/{DOCUMENT}/generate-reply?documentType=fns534-demand-receipt") }
        ],
        "documents": [{
            "id": DOCUMENT,
            "links": [
                { "rel": "reply",
                  "href": format!("{docflows}/documents/{DOCUMENT}/generate-reply?documentType=fns534-demand-receipt") },
                { "rel": "reply", "name": "pfr-ios-receipt",
                  "href": format!("{docflows}/documents/{DOCUMENT}/pfr-generate-reply?documentType=pfr-ios-receipt") },
                { "rel": "reply",
                  "href": format!("{docflows}/documents/{DOCUMENT}/inventories/{INVENTORY}/documents/{DOCUMENT}/generate-reply?documentType=fns534-inventory-receipt") }
            ]
        }]
    }))
    .expect("a docflow")
}

#[test]
fn a_docflow_lists_the_replies_it_awaits() {
    let docflow = demand_with_reply_links("https://extern-api.testkontur.ru");
    let awaited = docflow.awaited_replies();
    assert_eq!(awaited.len(), 3, "the same link on the docflow and its document counts once: {awaited:?}");
    assert_eq!(awaited[0].document_type, "fns534-demand-receipt");
    assert_eq!(awaited[0].document_id, DocumentId::from(id(DOCUMENT)));
    assert_eq!(awaited[0].kind, ReplyKind::Document);
    assert_eq!(awaited[1].kind, ReplyKind::Pfr);
    assert_eq!(awaited[1].document_type, "pfr-ios-receipt");
    assert_eq!(
        awaited[2].kind,
        ReplyKind::Inventory {
            inventory_id: DocflowId::from(id(INVENTORY)),
            inventory_document_id: DocumentId::from(id(DOCUMENT))
        }
    );
    assert_eq!(awaited[2].document_type, "fns534-inventory-receipt");
    assert!(AwaitedReply::from_link(&link("self", "/x")).is_none());
}

#[tokio::test]
async fn a_reply_starts_from_the_link_then_is_signed_and_sent() {
    let server = MockServer::start_async().await;
    let base = format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}");
    let generate = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{base}/generate-reply"))
                .query_param("documentType", "fns534-demand-receipt")
                .json_body(json!({ "certificate-base64": "Y2VydA==" }));
            then.status(201).json_body(json!({
                "id": REPLY, "docflow-id": DOCFLOW, "document-id": DOCUMENT, "content": "PGZpbGUvPg==",
                "links": [{ "rel": "send", "href": format!("{base}/replies/{REPLY}/send") }]
            }));
        })
        .await;
    let signature = server
        .mock_async(|when, then| {
            when.method(PUT).path(format!("{base}/replies/{REPLY}/signature")).body("signature bytes");
            then.status(200).json_body(json!({ "id": REPLY }));
        })
        .await;
    let send = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{base}/replies/{REPLY}/send"))
                .json_body(json!({ "sender-ip": "192.0.2.1" }));
            then.status(200).json_body(docflow_json());
        })
        .await;
    let client = layer_client(&server);
    let handle = client.account(AccountId::from(id(ACCOUNT))).docflow(DocflowId::from(id(DOCFLOW)));
    let docflow = demand_with_reply_links(&server.base_url());
    let awaited = docflow.awaited_replies().into_iter().next().expect("a reply is awaited");
    let StartedReply::Reply(reply, generated) = handle.start_reply(&awaited, b"cert").await.expect("generated") else {
        panic!("an ordinary reply")
    };
    generate.assert_async().await;
    assert_eq!(reply.id(), ReplyId::from(id(REPLY)));
    assert_eq!(generated.content.expect("content").decode().unwrap(), b"<file/>");
    reply.put_signature(b"signature bytes".to_vec()).await.expect("signature saved");
    signature.assert_async().await;
    let sent = reply.send(Some("192.0.2.1".into())).await.expect("sent");
    send.assert_async().await;
    assert_eq!(sent.docflow_id(), DocflowId::from(id(DOCFLOW)));
}

#[tokio::test]
async fn a_reply_link_of_another_docflow_is_refused() {
    let server = MockServer::start_async().await;
    let client = layer_client(&server);
    let other = client.account(AccountId::from(id(ACCOUNT))).docflow(DocflowId::from(id(INVENTORY)));
    let awaited = demand_with_reply_links(&server.base_url()).awaited_replies().remove(0);
    let error = other.start_reply(&awaited, b"cert").await.expect_err("wrong docflow");
    assert!(error.to_string().contains("belongs to docflow"), "{error}");
}
