//! Every operation the sandbox serves is an operation of the spec; prints the coverage.

use std::collections::HashSet;

use kontur_extern_sandbox::implemented_operations;
use kontur_extern_sandbox::routes::spec_operations;

#[test]
fn every_implemented_operation_is_an_operation_of_the_spec() {
    let spec: HashSet<&str> = spec_operations().iter().map(|op| op.operation_id.as_str()).collect();
    let implemented: Vec<&str> = implemented_operations().collect();
    let unique: HashSet<&str> = implemented.iter().copied().collect();
    assert_eq!(unique.len(), implemented.len(), "each operation has one handler");
    let strangers: Vec<&&str> = implemented.iter().filter(|id| !spec.contains(**id)).collect();
    assert!(strangers.is_empty(), "handlers for operations the spec does not have: {strangers:?}");

    let api_total = spec_operations().iter().filter(|op| !op.test_tools).count();
    let api_done =
        spec_operations().iter().filter(|op| !op.test_tools && unique.contains(op.operation_id.as_str())).count();
    let tools_total = spec_operations().len() - api_total;
    let tools_done = unique.len() - api_done;
    println!(
        "sandbox implements {api_done} of {api_total} API operations and {tools_done} of {tools_total} test-tools operations"
    );
    let missing: Vec<&str> = spec_operations()
        .iter()
        .filter(|op| !unique.contains(op.operation_id.as_str()))
        .map(|op| op.operation_id.as_str())
        .collect();
    println!("answered 501: {}", missing.join(", "));
    assert!(api_done > 0 && api_total >= 146);
}
