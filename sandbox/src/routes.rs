//! The route table, read from the spec itself: a request is matched against every operation of
//! `spec/openapi.json` (and the test tools of `spec/test-tools.openapi.json`), so the sandbox can
//! serve nothing that is not an operation of the API, and can name the operation it does not
//! implement yet.

use std::collections::HashMap;
use std::sync::OnceLock;

const API_SPEC: &str = include_str!("../../spec/openapi.json");
const TEST_TOOLS_SPEC: &str = include_str!("../../spec/test-tools.openapi.json");

/// One operation of the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecOperation {
    /// `operationId` in the spec.
    pub operation_id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template, such as `/v1/{accountId}/drafts/{draftId}`.
    pub path: String,
    /// True for the test-stand operations (`/test-tools/v1/...`).
    pub test_tools: bool,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A request matched to an operation, with its path parameters.
#[derive(Debug)]
pub struct Matched<'a> {
    /// The operation.
    pub operation: &'a SpecOperation,
    /// Path parameters by their name in the template.
    pub params: HashMap<String, String>,
}

/// What a request path and method come to.
#[derive(Debug)]
pub enum RouteMatch<'a> {
    /// An operation of the spec.
    Operation(Matched<'a>),
    /// The path is an operation's, but not with this method.
    WrongMethod,
    /// No operation has this path.
    NoRoute,
}

/// Every operation of both spec files.
pub fn spec_operations() -> &'static [SpecOperation] {
    static OPERATIONS: OnceLock<Vec<SpecOperation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let mut operations = read_spec(API_SPEC, false);
        operations.extend(read_spec(TEST_TOOLS_SPEC, true));
        operations
    })
}

fn read_spec(text: &str, test_tools: bool) -> Vec<SpecOperation> {
    let spec: serde_json::Value = serde_json::from_str(text).expect("the spec files are JSON (checked in CI)");
    let mut operations = Vec::new();
    let Some(paths) = spec.get("paths").and_then(|paths| paths.as_object()) else {
        return operations;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, operation) in item {
            if !matches!(method.as_str(), "get" | "put" | "post" | "delete" | "patch" | "head" | "options") {
                continue;
            }
            let Some(operation_id) = operation.get("operationId").and_then(|id| id.as_str()) else {
                continue;
            };
            operations.push(SpecOperation {
                operation_id: operation_id.to_owned(),
                method: method.to_uppercase(),
                path: path.clone(),
                test_tools,
                segments: parse_template(path),
            });
        }
    }
    operations
}

fn parse_template(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')) {
            Some(name) => Segment::Param(name.to_owned()),
            None => Segment::Literal(segment.to_owned()),
        })
        .collect()
}

/// Finds the operation for `method` and `path`. Literal segments win over parameters, position by
/// position from the left (`/drafts/builders` is not the draft with id `builders`).
pub fn match_route<'a>(method: &str, path: &str) -> RouteMatch<'a> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut best: Option<(Vec<bool>, &SpecOperation)> = None;
    let mut path_known = false;
    for operation in spec_operations() {
        let Some(rank) = rank(&operation.segments, &segments) else {
            continue;
        };
        path_known = true;
        if operation.method != method {
            continue;
        }
        if best.as_ref().is_none_or(|(best_rank, _)| rank > *best_rank) {
            best = Some((rank, operation));
        }
    }
    match best {
        Some((_, operation)) => {
            let params = operation
                .segments
                .iter()
                .zip(&segments)
                .filter_map(|(template, actual)| match template {
                    Segment::Param(name) => Some((name.clone(), percent_decode(actual))),
                    Segment::Literal(_) => None,
                })
                .collect();
            RouteMatch::Operation(Matched { operation, params })
        }
        None if path_known => RouteMatch::WrongMethod,
        None => RouteMatch::NoRoute,
    }
}

/// `Some(literal positions)` when the template matches the path.
fn rank(template: &[Segment], path: &[&str]) -> Option<Vec<bool>> {
    if template.len() != path.len() {
        return None;
    }
    let mut literal = Vec::with_capacity(path.len());
    for (segment, actual) in template.iter().zip(path) {
        match segment {
            Segment::Literal(text) if text == actual => literal.push(true),
            Segment::Literal(_) => return None,
            Segment::Param(_) if actual.is_empty() => return None,
            Segment::Param(_) => literal.push(false),
        }
    }
    Some(literal)
}

fn percent_decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation_of(method: &str, path: &str) -> String {
        match match_route(method, path) {
            RouteMatch::Operation(matched) => matched.operation.operation_id.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        assert_eq!(operation_of("POST", "/v1/acc/drafts/builders"), "create_drafts_builder");
        assert_eq!(operation_of("GET", "/v1/acc/drafts/d1"), "get_draft");
        assert_eq!(operation_of("GET", "/v1/acc/docflows/demands-assignees"), "list_demand_assignees");
        assert_eq!(operation_of("GET", "/v1/handbooks/control-units"), "list_control_units");
        assert_eq!(operation_of("GET", "/v1/event-publishers"), "list_event_publishers");
        assert_eq!(
            operation_of("GET", "/test-tools/v1/get-cloud-sign-confirmation-code"),
            "get_cloud_sign_confirmation_code"
        );
    }

    #[test]
    fn unknown_paths_and_methods_are_told_apart() {
        assert!(matches!(match_route("GET", "/v2/nothing"), RouteMatch::NoRoute));
        assert!(matches!(match_route("PATCH", "/v1"), RouteMatch::WrongMethod));
        assert!(matches!(match_route("GET", "/v1//drafts"), RouteMatch::NoRoute));
    }

    #[test]
    fn parameters_are_captured_by_name() {
        let RouteMatch::Operation(matched) = match_route("GET", "/v1/a1/docflows/d1/documents/x%20y") else {
            panic!("a docflow document path")
        };
        assert_eq!(matched.operation.operation_id, "get_docflow_document");
        assert_eq!(matched.params["accountId"], "a1");
        assert_eq!(matched.params["documentId"], "x y");
    }
}
