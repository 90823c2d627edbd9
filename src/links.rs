//! Links (`links[]`) on the API's answers: reading them and following them.
//!
//! [`Link`] is the generated wire type, the same on every answer; this module adds its relation
//! as an open enum ([`LinkRel`]), [`HasLinks`] on every answer that carries links, and
//! [`Links`] (from [`Client::links`]) to follow one. A followed link takes the same path as every
//! other request (credentials, in-flight cap, retries, spans) and goes only to the API host: a
//! link to any other host is refused with [`LinkError::ForeignHost`] before anything is sent.
//!
//! ```no_run
//! # async fn demo(client: kontur_extern::Client, account: kontur_extern::ids::AccountId,
//! #     id: kontur_extern::ids::DocflowId) -> Result<(), kontur_extern::Error> {
//! use kontur_extern::links::{HasLinks, LinkRel};
//!
//! let docflow = client.account(account).docflow(id).get().await?;
//! if let Some(link) = docflow.link(&LinkRel::Organization) {
//!     let organization: kontur_extern::raw::types::Organization = client.links().get(link).await?;
//! }
//! # Ok(()) }
//! ```

use std::fmt;

use bytes::Bytes;
use progenitor_client::ClientInfo as _;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;
use uuid::Uuid;

use crate::contents::{Contents, Download, Located};
use crate::error::{ApiFailure, DecodeFailure, TransportFailure, UnexpectedStatus, excerpt, trace_id_of};
use crate::handles::{Ctx, with_options};
use crate::raw::types;
use crate::{Client, Error};

pub use crate::raw::types::Link;

/// The operation name under which followed links appear in errors and spans.
pub const FOLLOW_LINK_OPERATION: &str = "follow_link";

/// The relation of a link to the answer carrying it. Open: relations this crate does not know
/// are kept in [`LinkRel::Other`] exactly as sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkRel {
    /// `self`: the answer itself.
    SelfRel,
    /// `docflow`.
    Docflow,
    /// `document`.
    Document,
    /// `reply`: an answer that must be generated and sent (its `name` is the document type).
    Reply,
    /// `related-docflow`.
    RelatedDocflow,
    /// `related-document`.
    RelatedDocument,
    /// `content`.
    Content,
    /// `decrypted-content`.
    DecryptedContent,
    /// `encrypted-content`.
    EncryptedContent,
    /// `decrypt-content`.
    DecryptContent,
    /// `organization`.
    Organization,
    /// `web-docflow`: the docflow in Kontur.Extern's web interface.
    WebDocflow,
    /// `inventories`.
    Inventories,
    /// `save-signature`.
    SaveSignature,
    /// `save-content`.
    SaveContent,
    /// `send`.
    Send,
    /// `sign`.
    Sign,
    /// `sign-confirm`.
    SignConfirm,
    /// `signed`.
    Signed,
    /// `signing`.
    Signing,
    /// `task`.
    Task,
    /// `draft`.
    Draft,
    /// `documents-request`.
    DocumentsRequest,
    /// `first` page.
    First,
    /// `last` page.
    Last,
    /// `next`: the next page, or the next step (a prepared draft's `next` leads to sending).
    Next,
    /// `prev` page.
    Prev,
    /// Any other relation, as sent.
    Other(String),
}

const KNOWN_RELS: &[(&str, LinkRel)] = &[
    ("self", LinkRel::SelfRel),
    ("docflow", LinkRel::Docflow),
    ("document", LinkRel::Document),
    ("reply", LinkRel::Reply),
    ("related-docflow", LinkRel::RelatedDocflow),
    ("related-document", LinkRel::RelatedDocument),
    ("content", LinkRel::Content),
    ("decrypted-content", LinkRel::DecryptedContent),
    ("encrypted-content", LinkRel::EncryptedContent),
    ("decrypt-content", LinkRel::DecryptContent),
    ("organization", LinkRel::Organization),
    ("web-docflow", LinkRel::WebDocflow),
    ("inventories", LinkRel::Inventories),
    ("save-signature", LinkRel::SaveSignature),
    ("save-content", LinkRel::SaveContent),
    ("send", LinkRel::Send),
    ("sign", LinkRel::Sign),
    ("sign-confirm", LinkRel::SignConfirm),
    ("signed", LinkRel::Signed),
    ("signing", LinkRel::Signing),
    ("task", LinkRel::Task),
    ("draft", LinkRel::Draft),
    ("documents-request", LinkRel::DocumentsRequest),
    ("first", LinkRel::First),
    ("last", LinkRel::Last),
    ("next", LinkRel::Next),
    ("prev", LinkRel::Prev),
];

impl LinkRel {
    /// The relation as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            LinkRel::Other(text) => text,
            known => KNOWN_RELS.iter().find(|(_, rel)| rel == known).map(|(text, _)| *text).unwrap_or_default(),
        }
    }
}

impl From<&str> for LinkRel {
    fn from(text: &str) -> Self {
        KNOWN_RELS
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(text))
            .map(|(_, rel)| rel.clone())
            .unwrap_or_else(|| LinkRel::Other(text.to_owned()))
    }
}

impl From<String> for LinkRel {
    fn from(text: String) -> Self {
        LinkRel::from(text.as_str())
    }
}

impl fmt::Display for LinkRel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Link {
    /// The link's relation; a link without `rel` is [`LinkRel::Other`] with an empty string.
    pub fn relation(&self) -> LinkRel {
        LinkRel::from(self.rel.as_deref().unwrap_or_default())
    }

    /// The document type a `reply` link asks for: its `name`, else the `documentType` of its
    /// `href`, with any `urn:document:` prefix removed.
    pub fn document_type(&self) -> Option<String> {
        let from_name = self.name.as_deref().filter(|name| !name.is_empty()).map(str::to_owned);
        let from_href = || {
            let href = self.href.as_deref()?;
            let url = Url::parse(href).or_else(|_| Url::parse("http://relative.invalid/")?.join(href)).ok()?;
            url.query_pairs()
                .find(|(key, _)| key.eq_ignore_ascii_case("documentType"))
                .map(|(_, value)| value.into_owned())
        };
        from_name.or_else(from_href).map(|kind| kind.strip_prefix("urn:document:").map(str::to_owned).unwrap_or(kind))
    }
}

/// Answers that carry `links[]`.
pub trait HasLinks {
    /// All links of the answer.
    fn links(&self) -> &[Link];

    /// The first link with relation `rel`.
    fn link(&self, rel: &LinkRel) -> Option<&Link> {
        self.links().iter().find(|link| &link.relation() == rel)
    }

    /// Every link with relation `rel`.
    fn links_with<'a>(&'a self, rel: &'a LinkRel) -> impl Iterator<Item = &'a Link> + 'a {
        self.links().iter().filter(move |link| &link.relation() == rel)
    }
}

macro_rules! has_links {
    ($($ty:ident . $field:ident),* $(,)?) => {
        $(
            impl HasLinks for types::$ty {
                fn links(&self) -> &[Link] {
                    &self.$field
                }
            }
        )*
    };
}

has_links!(
    Account.links,
    AccountList.links,
    AccountCertificateList.links,
    EmployeeList.links,
    Employee.links,
    AccountUserList.links,
    WarrantList.links,
    DocflowPageItem.links,
    Docflow.links,
    Document.links,
    Signature.links,
    CheckDemandResult.links,
    DocumentsRequest.links,
    SaveDecryptedContentResult.links,
    PrepareResult.links,
    SignInitResult.links,
    SignConfirmResult.links,
    Draft.links,
    DraftsPage.page_links,
    EventsPage.links,
    EventPublisherList.links,
    OrganizationBatch.links,
    OrganizationGeneral.links,
    ReplyDocument.links,
    PfrReply.links,
    PfrReplyDocument.links,
);

/// Why a link was not followed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The link points outside the API host; nothing was sent.
    #[error("refusing to follow a link to {origin}: only the API host {api_origin} is followed (href {href:?})")]
    ForeignHost {
        /// The link's `href`.
        href: String,
        /// Scheme, host and port the link points to.
        origin: String,
        /// Scheme, host and port of the API.
        api_origin: String,
    },
    /// The link has no `href`.
    #[error("the link (rel {rel:?}) has no href")]
    MissingHref {
        /// The link's relation.
        rel: String,
    },
    /// The `href` is not a URL, nor a path relative to the API.
    #[error("the link's href {href:?} is not a URL: {reason}")]
    InvalidHref {
        /// The link's `href`.
        href: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The `href` is a URI template (`templated: true`): fill it in and follow the result.
    #[error("the link's href {href:?} is a URI template; fill it in first")]
    Templated {
        /// The link's `href`.
        href: String,
    },
}

fn link_error(error: LinkError) -> Error {
    Error::Link(Box::new(error))
}

fn origin_of(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        _ => url.scheme().to_owned(),
    }
}

/// Resolves `href` against the API base `api`: absolute URLs must be on the API host; a
/// path-absolute href (`/v1/...`) keeps a base path the API is mounted under.
pub(crate) fn resolve_href(api: &Url, href: &str) -> Result<Url, LinkError> {
    let invalid = |reason: String| LinkError::InvalidHref { href: href.to_owned(), reason };
    let url = match Url::parse(href) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let base_path = api.path().trim_end_matches('/');
            let joined = match href.strip_prefix('/') {
                Some(rest) if !base_path.is_empty() && !href.starts_with(&format!("{base_path}/")) => {
                    api.join(&format!("{base_path}/{rest}"))
                }
                _ => api.join(href),
            };
            joined.map_err(|error| invalid(error.to_string()))?
        }
        Err(error) => return Err(invalid(error.to_string())),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!("scheme {:?} is not http(s)", url.scheme())));
    }
    let (origin, api_origin) = (origin_of(&url), origin_of(api));
    if !origin.eq_ignore_ascii_case(&api_origin) {
        return Err(LinkError::ForeignHost { href: href.to_owned(), origin, api_origin });
    }
    Ok(url)
}

/// Follows links through the client's transport. Get it from [`Client::links`].
///
/// ```no_run
/// # async fn demo(client: kontur_extern::Client, docflow: kontur_extern::raw::types::Docflow)
/// # -> Result<(), Box<dyn std::error::Error>> {
/// use kontur_extern::links::{HasLinks, LinkRel};
/// for link in docflow.documents.iter().flat_map(|document| document.links_with(&LinkRel::DecryptedContent)) {
///     let bytes = client.links().content(link).bytes().await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Links {
    ctx: Ctx,
}

impl Client {
    /// Follows links found on answers (`links[]`), only to the API host.
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client, link: kontur_extern::links::Link)
    /// # -> Result<(), kontur_extern::Error> {
    /// let docflow = client.links().docflow(&link).await?;
    /// # Ok(()) }
    /// ```
    pub fn links(&self) -> Links {
        Links { ctx: Ctx::new(self.clone()) }
    }
}

impl Links {
    pub(crate) fn from_ctx(ctx: Ctx) -> Self {
        Self { ctx }
    }

    with_options!();

    /// The absolute URL the link leads to, checked to be on the API host.
    pub fn resolve(&self, link: &Link) -> Result<Url, Error> {
        let href = link
            .href
            .as_deref()
            .filter(|href| !href.is_empty())
            .ok_or_else(|| link_error(LinkError::MissingHref { rel: link.rel.clone().unwrap_or_default() }))?;
        if link.templated == Some(true) {
            return Err(link_error(LinkError::Templated { href: href.to_owned() }));
        }
        resolve_href(self.ctx.client.environment().api_url(), href).map_err(link_error)
    }

    /// GETs the link and decodes the JSON answer as `T`.
    pub async fn get<T: DeserializeOwned>(&self, link: &Link) -> Result<T, Error> {
        let url = self.resolve(link)?;
        let (status, trace_id, body) = self.execute(Method::GET, url, None).await?;
        decode_json(&body, status, trace_id, FOLLOW_LINK_OPERATION)
    }

    /// GETs the link and returns the bytes it names: a JSON string holding base64 (how the API
    /// returns document contents) is decoded; any other body is returned as it came.
    pub async fn bytes(&self, link: &Link) -> Result<Bytes, Error> {
        let url = self.resolve(link)?;
        let (status, trace_id, body) = self.execute(Method::GET, url, None).await?;
        bytes_of(body, status, trace_id)
    }

    /// Sends `body` as JSON with `method` to the link and decodes the JSON answer.
    pub async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        link: &Link,
        body: &B,
    ) -> Result<T, Error> {
        let url = self.resolve(link)?;
        let body = serde_json::to_vec(body).map_err(|error| Error::InvalidRequest {
            operation: Some(FOLLOW_LINK_OPERATION),
            message: format!("the body cannot be encoded: {error}"),
        })?;
        let (status, trace_id, answer) = self.execute(method, url, Some(body)).await?;
        decode_json(&answer, status, trace_id, FOLLOW_LINK_OPERATION)
    }

    /// Follows a `docflow` or `related-docflow` link.
    pub async fn docflow(&self, link: &Link) -> Result<types::Docflow, Error> {
        self.get(link).await
    }

    /// Follows a `document` (or `related-document`) link.
    pub async fn document(&self, link: &Link) -> Result<types::Document, Error> {
        self.get(link).await
    }

    /// Follows a link to a generated reply (`self` of a reply, or a reply's location).
    pub async fn reply(&self, link: &Link) -> Result<types::ReplyDocument, Error> {
        self.get(link).await
    }

    /// Follows a `draft` link.
    pub async fn draft(&self, link: &Link) -> Result<types::Draft, Error> {
        self.get(link).await
    }

    /// Follows an `organization` link.
    pub async fn organization(&self, link: &Link) -> Result<types::Organization, Error> {
        self.get(link).await
    }

    /// Follows a `content`, `decrypted-content` or `encrypted-content` link as a [`Download`]
    /// (a stream, reader, file or bytes, with progress), as every content of the crate comes:
    /// a link into the content service (`…/v1/{accountId}/contents/{contentId}`) is fetched in
    /// `Range` chunks; any other link (the deprecated `…/decrypted-content` answers carry base64
    /// in JSON) is fetched once through the same transport, decoded and handed over in pieces.
    /// The link is followed when the download is first read.
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client, document: kontur_extern::raw::types::Document)
    /// # -> Result<(), kontur_extern::contents::ContentError> {
    /// use kontur_extern::links::{HasLinks, LinkRel};
    /// if let Some(link) = document.link(&LinkRel::DecryptedContent) {
    ///     let saved = client.links().content(link).to_path("document.bin").await?;
    ///     println!("{saved} bytes saved");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn content(&self, link: &Link) -> Download {
        let resolved = self.resolve(link);
        let in_service = resolved.as_ref().ok().and_then(content_service_ids);
        let account = in_service.map_or(Uuid::nil(), |(account, _)| account);
        let contents = Contents::new(self.ctx.client.clone(), account);
        let this = self.clone();
        Download::lookup(contents, FOLLOW_LINK_OPERATION, async move { this.locate_url(resolved?).await })
    }

    /// Where the bytes behind a content link are: a content of the content service, or the
    /// base64 answer of any other link, fetched and decoded.
    pub(crate) async fn locate(&self, link: &Link) -> Result<Located, crate::contents::ContentError> {
        self.locate_url(self.resolve(link)?).await
    }

    /// [`locate`](Self::locate) for a link already resolved to `url`.
    async fn locate_url(&self, url: Url) -> Result<Located, crate::contents::ContentError> {
        if let Some((_, content_id)) = content_service_ids(&url) {
            return Ok(Located::Content(content_id));
        }
        let (status, trace_id, body) = self.execute(Method::GET, url, None).await?;
        Ok(Located::Inline(bytes_of(body, status, trace_id)?))
    }

    /// Follows a `next` (or `first`, `last`, `prev`) page link; `T` is the page type.
    pub async fn page<T: DeserializeOwned>(&self, link: &Link) -> Result<T, Error> {
        self.get(link).await
    }

    async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<(reqwest::StatusCode, Option<String>, Bytes), Error> {
        self.execute_as(method, url, body, FOLLOW_LINK_OPERATION).await
    }

    async fn execute_as(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        operation: &'static str,
    ) -> Result<(reqwest::StatusCode, Option<String>, Bytes), Error> {
        let mut request = Request::new(method, url);
        request.headers_mut().insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(body) = body {
            request.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            *request.body_mut() = Some(body.into());
        }
        if let Some(timeout) = self.ctx.options.timeout_value() {
            *request.timeout_mut() = Some(timeout);
        }
        let raw = self.ctx.client.raw();
        let response = raw
            .inner()
            .send(raw.client(), request, operation)
            .await
            .map_err(|source| transport_error(source, false, operation))?;
        read_answer(response, operation).await
    }
}

fn transport_error(source: reqwest::Error, body_read: bool, operation: &'static str) -> Error {
    Error::Transport(Box::new(TransportFailure::new(Some(operation), 0, body_read, source)))
}

async fn read_answer(
    response: Response,
    operation: &'static str,
) -> Result<(reqwest::StatusCode, Option<String>, Bytes), Error> {
    let status = response.status();
    let trace_id = trace_id_of(response.headers());
    let body = response.bytes().await.map_err(|source| transport_error(source, true, operation))?;
    if status.is_success() {
        return Ok((status, trace_id, body));
    }
    match serde_json::from_slice::<types::ApiError>(&body) {
        Ok(error) => {
            let trace_id = trace_id.or_else(|| error.trace_id.clone()).or_else(|| error.track_id.clone());
            Err(Error::Api(Box::new(ApiFailure { operation: Some(operation), status, trace_id, body: error })))
        }
        Err(_) => Err(Error::UnexpectedStatus(Box::new(UnexpectedStatus {
            operation: Some(operation),
            status,
            trace_id,
            excerpt: excerpt(&body),
        }))),
    }
}

fn decode_json<T: DeserializeOwned>(
    body: &[u8],
    status: reqwest::StatusCode,
    trace_id: Option<String>,
    operation: &'static str,
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|source| {
        Error::Decode(Box::new(DecodeFailure {
            operation: Some(operation),
            status: Some(status),
            trace_id,
            excerpt: excerpt(body),
            source,
        }))
    })
}

/// The account and content ids of a link into the content service (`…/v1/{accountId}/contents/{contentId}`
/// with no query), which downloads in `Range` chunks; `None` for any other link.
fn content_service_ids(url: &Url) -> Option<(Uuid, Uuid)> {
    if url.query().is_some() {
        return None;
    }
    let segments: Vec<&str> = url.path_segments()?.filter(|segment| !segment.is_empty()).collect();
    match segments.as_slice() {
        [.., "v1", account, "contents", content] => Some((account.parse().ok()?, content.parse().ok()?)),
        _ => None,
    }
}

fn bytes_of(body: Bytes, status: reqwest::StatusCode, trace_id: Option<String>) -> Result<Bytes, Error> {
    if body.first() != Some(&b'"') {
        return Ok(body);
    }
    let text: String = decode_json(&body, status, trace_id.clone(), FOLLOW_LINK_OPERATION)?;
    types::Base64Bytes(text.trim().to_owned()).decode().map(Bytes::from).map_err(|error| {
        Error::Decode(Box::new(DecodeFailure {
            operation: Some(FOLLOW_LINK_OPERATION),
            status: Some(status),
            trace_id,
            excerpt: excerpt(&body),
            source: serde::de::Error::custom(format!("a JSON string that is not base64: {error}")),
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(base: &str) -> Url {
        Url::parse(base).unwrap()
    }

    #[test]
    fn only_links_into_the_content_service_download_in_ranges() {
        let account = "6f1f7d1e-4a7b-4a8e-9d55-3c7e2a9b1c01";
        let content = "0b5e8f64-2d1c-4f7a-8a3b-9c6d5e4f3a21";
        let ids = |href: String| content_service_ids(&api(&href));
        let expected = Some((account.parse().unwrap(), content.parse().unwrap()));
        assert_eq!(ids(format!("https://api.example/v1/{account}/contents/{content}")), expected);
        assert_eq!(ids(format!("https://api.example/extern/v1/{account}/contents/{content}/")), expected);
        assert_eq!(ids(format!("https://api.example/v1/{account}/contents/{content}?x=1")), None);
        assert_eq!(ids(format!("https://api.example/v1/{account}/docflows/{content}")), None);
        assert_eq!(ids(format!("https://api.example/v1/{account}/contents/not-a-uuid")), None);
        assert_eq!(ids(format!("https://api.example/v1/{account}/docflows/{content}/decrypted-content")), None);
    }

    #[test]
    fn relative_hrefs_resolve_under_the_api_base() {
        let root = api("https://extern-api.testkontur.ru/");
        assert_eq!(
            resolve_href(&root, "/v1/a/docflows").unwrap().as_str(),
            "https://extern-api.testkontur.ru/v1/a/docflows"
        );
        assert_eq!(resolve_href(&root, "v1/a?x=1").unwrap().as_str(), "https://extern-api.testkontur.ru/v1/a?x=1");
        let mounted = api("https://proxy.example/extern/");
        assert_eq!(resolve_href(&mounted, "/v1/a").unwrap().as_str(), "https://proxy.example/extern/v1/a");
        assert_eq!(resolve_href(&mounted, "/extern/v1/a").unwrap().as_str(), "https://proxy.example/extern/v1/a");
    }

    #[test]
    fn only_the_api_origin_is_accepted() {
        let root = api("https://extern-api.testkontur.ru/");
        assert!(resolve_href(&root, "https://extern-api.testkontur.ru:443/v1/a").is_ok());
        for foreign in [
            "https://evil.example/v1/a",
            "http://extern-api.testkontur.ru/v1/a",
            "https://extern-api.testkontur.ru:8443/v1/a",
            "//evil.example/v1/a",
        ] {
            assert!(matches!(resolve_href(&root, foreign), Err(LinkError::ForeignHost { .. })), "{foreign}");
        }
        assert!(matches!(resolve_href(&root, "ftp://extern-api.testkontur.ru/x"), Err(LinkError::InvalidHref { .. })));
    }

    #[test]
    fn the_document_type_of_a_reply_link_has_no_urn_prefix() {
        let link: Link = serde_json::from_value(serde_json::json!({
            "rel": "reply", "href": "/v1/a/docflows/b/documents/c/generate-reply?documentType=urn%3Adocument%3Afns534-ion-receipt"
        }))
        .unwrap();
        assert_eq!(link.document_type().as_deref(), Some("fns534-ion-receipt"));
    }
}
