//! The binary's contract: one JSON line on stdout when ready, serving until SIGTERM.

use std::io::BufRead;
use std::process::{Command, Stdio};

use serde_json::Value;

#[tokio::test]
async fn the_binary_prints_one_start_line_and_serves_until_terminated() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kontur-extern-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--speed", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let line = lines.next().expect("a start line").expect("readable");
    let start: Value = serde_json::from_str(&line).expect("the start line is JSON");
    for key in ["api_url", "identity_url", "client_id", "api_key", "login", "password", "account_id"] {
        assert!(start[key].as_str().is_some_and(|v| !v.is_empty()), "{key} in {line}");
    }

    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{}connect/token", start["identity_url"].as_str().unwrap()))
        .form(&[
            ("grant_type", "password"),
            ("client_id", start["client_id"].as_str().unwrap()),
            ("client_secret", start["api_key"].as_str().unwrap()),
            ("username", start["login"].as_str().unwrap()),
            ("password", start["password"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let account: Value = http
        .get(format!("{}v1/{}", start["api_url"].as_str().unwrap(), start["account_id"].as_str().unwrap()))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["id"], start["account_id"]);

    let terminated = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(terminated.success());
    let status = child.wait().expect("the binary exits");
    assert!(status.success(), "SIGTERM stops the sandbox cleanly: {status}");
    assert!(lines.next().is_none(), "exactly one line on stdout");
}
