//! Every operation of the spec has its own httpmock test, named `op_<operationId>`.

use std::collections::BTreeSet;
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

/// Names of the functions `op_*` defined in the test sources.
fn tested_operations(tests_dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(tests_dir).expect("tests dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("test source");
            for rest in text.split("fn op_").skip(1) {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                names.insert(name);
            }
        }
    }
    names
}

#[test]
fn every_operation_has_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tested = tested_operations(&root.join("tests"));
    let mut specs = vec![root.join("spec/openapi.json")];
    let test_tools = root.join("spec/test-tools.openapi.json");
    if test_tools.exists() {
        specs.push(test_tools);
    }
    let mut untested = Vec::new();
    let mut total = 0;
    for spec in &specs {
        for id in operation_ids(spec) {
            total += 1;
            if !tested.contains(&id) {
                untested.push(id);
            }
        }
    }
    assert!(total > 0, "the spec has operations");
    assert!(untested.is_empty(), "{} of {total} operations have no `op_<operationId>` test: {untested:?}", untested.len());
}
