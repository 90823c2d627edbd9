//! Every operation of the spec has its own httpmock test, named `op_<operationId>`, that calls the
//! operation's method and asserts that its mock server was hit, so the request was really sent.

use std::collections::BTreeMap;
use std::path::Path;

fn operation_ids(spec_file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(spec_file).expect("spec is readable");
    let spec: serde_json::Value = serde_json::from_str(&text).expect("spec is JSON");
    let mut ids = Vec::new();
    for item in spec["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("path item").values() {
            if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                ids.push(id.to_owned());
            }
        }
    }
    ids
}

/// The bodies of the functions `op_*` defined in the test sources, by operation id.
fn operation_tests(tests_dir: &Path) -> BTreeMap<String, String> {
    let mut tests = BTreeMap::new();
    for entry in std::fs::read_dir(tests_dir).expect("tests dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("test source");
            for rest in text.split("fn op_").skip(1) {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                // The body runs to the next item at the start of a line.
                let body = rest.split("\n}\n").next().unwrap_or(rest).to_owned();
                tests.insert(name, body);
            }
        }
    }
    tests
}

/// Why the test of `operation` does not prove the operation was sent, if it does not.
fn weakness(operation: &str, body: &str) -> Option<&'static str> {
    if !body.contains(&format!(".{operation}()")) {
        return Some("does not call the operation's method");
    }
    let asserts_hit =
        ["assert_async()", "assert_hits", ".assert()", "assert_calls"].iter().any(|check| body.contains(check));
    if !asserts_hit {
        return Some("does not assert that its mock was hit");
    }
    None
}

#[test]
fn every_operation_has_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tests = operation_tests(&root.join("tests"));
    let mut specs = vec![root.join("spec/openapi.json")];
    let test_tools = root.join("spec/test-tools.openapi.json");
    if test_tools.exists() {
        specs.push(test_tools);
    }
    let mut untested = Vec::new();
    let mut weak = Vec::new();
    let mut total = 0;
    for spec in &specs {
        for id in operation_ids(spec) {
            total += 1;
            match tests.get(&id) {
                None => untested.push(id),
                Some(body) => {
                    if let Some(why) = weakness(&id, body) {
                        weak.push(format!("op_{id} {why}"));
                    }
                }
            }
        }
    }
    assert!(total > 0, "the spec has operations");
    assert!(
        untested.is_empty(),
        "{} of {total} operations have no `op_<operationId>` test: {untested:?}",
        untested.len()
    );
    assert!(weak.is_empty(), "tests that do not prove their operation was sent: {weak:#?}");
}

#[test]
fn a_test_that_skips_the_call_or_the_hit_is_weak() {
    assert_eq!(weakness("get_docflow", "client.get_docflow().send().await; mock.assert_async().await;"), None);
    assert!(weakness("get_docflow", "client.list_docflows().send().await; mock.assert_async().await;").is_some());
    assert!(weakness("get_docflow", "client.get_docflow().send().await;").is_some());
}
