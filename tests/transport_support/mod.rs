//! Test helpers of the transport tests: a loopback HTTP server that follows a script and
//! measures concurrency, and an authenticator that counts its calls.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use kontur_extern::auth::{AuthError, Authenticator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
pub const DOCFLOW: &str = "0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d";
pub const DRAFT: &str = "5d0b0c1e-7a1a-4f0e-9c55-8c5f8f1d2e3a";

pub fn uuid(text: &str) -> uuid::Uuid {
    text.parse().expect("a test uuid")
}

/// One answer of the loopback server.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// How long the server "works" on the request before answering.
    pub delay: Duration,
    /// Close the connection without answering.
    pub hang_up: bool,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::raw(status, body.to_string())
    }

    pub fn raw(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
            delay: Duration::ZERO,
            hang_up: false,
        }
    }

    pub fn hang_up() -> Self {
        Self { hang_up: true, ..Self::raw(500, "") }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request as the loopback server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

type Script = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 answering one request per connection as `script` says
/// (given the index of the request, from 0). It counts the requests it is working on at once.
pub struct LoopbackServer {
    pub base_url: String,
    state: Arc<ServerState>,
}

struct ServerState {
    script: Box<Script>,
    hits: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
}

impl LoopbackServer {
    pub async fn start(script: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let address = listener.local_addr().expect("the port");
        let state = Arc::new(ServerState {
            script: Box::new(script),
            hits: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
        });
        let serving = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, serving.clone()));
            }
        });
        Self { base_url: format!("http://{address}"), state }
    }

    /// A server that gives every request the same answer.
    pub async fn always(reply: Reply) -> Self {
        Self::start(move |_, _| reply.clone()).await
    }

    /// A server that answers the n-th request with `replies[n]`, and the last one after that.
    pub async fn sequence(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty());
        Self::start(move |index, _| replies[index.min(replies.len() - 1)].clone()).await
    }

    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

async fn serve(mut socket: TcpStream, state: Arc<ServerState>) {
    let Some(seen) = read_request(&mut socket).await else { return };
    let index = state.hits.fetch_add(1, Ordering::SeqCst);
    state.seen.lock().unwrap().push(seen.clone());
    let reply = (state.script)(index, &seen);

    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(reply.delay).await;
    // Done working before the answer leaves, so the client can never see an answer of a
    // request the server still counts.
    state.in_flight.fetch_sub(1, Ordering::SeqCst);

    if reply.hang_up {
        return;
    }
    let reason = reqwest::StatusCode::from_u16(reply.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    let mut answer =
        format!("HTTP/1.1 {} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n", reply.status, reply.body.len());
    for (name, value) in &reply.headers {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    answer.push_str("\r\n");
    answer.push_str(&reply.body);
    let _ = socket.write_all(answer.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// Reads one request (head and body) from `socket`; `None` when the peer closes first.
pub async fn read_request(socket: &mut TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let header = |name: &str| headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());

    let mut body = buffer[head_end..].to_vec();
    if let Some(length) = header("content-length").and_then(|value| value.parse::<usize>().ok()) {
        while body.len() < length {
            let read = socket.read(&mut chunk).await.ok()?;
            if read == 0 {
                return None;
            }
            body.extend_from_slice(&chunk[..read]);
        }
    } else if header("transfer-encoding").is_some_and(|value| value.contains("chunked")) {
        while !body.ends_with(b"0\r\n\r\n") {
            let read = socket.read(&mut chunk).await.ok()?;
            if read == 0 {
                return None;
            }
            body.extend_from_slice(&chunk[..read]);
        }
    }
    Some(Seen { method, path, headers, body })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Hands out `Bearer token-<n>`, where n counts the reauthorizations; counts every call.
#[derive(Debug, Default)]
pub struct CountingAuthenticator {
    pub authorize_calls: AtomicUsize,
    pub reauthorize_calls: AtomicUsize,
    pub generation: AtomicUsize,
    /// What `reauthorize` answers.
    pub refresh_succeeds: bool,
    /// Make `authorize` fail.
    pub authorize_fails: bool,
}

impl CountingAuthenticator {
    pub fn refreshing() -> Arc<Self> {
        Arc::new(Self { refresh_succeeds: true, ..Self::default() })
    }

    pub fn authorizes(&self) -> usize {
        self.authorize_calls.load(Ordering::SeqCst)
    }

    pub fn reauthorizes(&self) -> usize {
        self.reauthorize_calls.load(Ordering::SeqCst)
    }
}

impl Authenticator for CountingAuthenticator {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            self.authorize_calls.fetch_add(1, Ordering::SeqCst);
            if self.authorize_fails {
                return Err(AuthError::InvalidClient {
                    description: Some("the identity host refused the api key".into()),
                    trace_id: None,
                });
            }
            let token = format!("Bearer token-{}", self.generation.load(Ordering::SeqCst));
            request.headers_mut().insert(reqwest::header::AUTHORIZATION, token.parse().unwrap());
            Ok(())
        })
    }

    fn reauthorize<'a>(&'a self, _rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            self.reauthorize_calls.fetch_add(1, Ordering::SeqCst);
            if self.refresh_succeeds {
                self.generation.fetch_add(1, Ordering::SeqCst);
            }
            Ok(self.refresh_succeeds)
        })
    }
}
