//! Generates the raw clients from the spec with progenitor:
//! `spec/openapi.json` → `kontur_extern::raw`, and with the `test-tools` feature
//! `spec/test-tools.openapi.json` → `kontur_extern::raw_test_tools`.
//!
//! `cargo xtask update-spec --verify` includes this file as a module, so `generate_code` is the one
//! definition of the generator settings.

use std::path::Path;

/// Inner type of the generated clients: every request goes through it (auth, retries, limits, tracing).
const TRANSPORT: &str = "crate::transport::Transport";

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    generate(Path::new("spec/openapi.json"), &Path::new(&out_dir).join("raw.rs"));
    if std::env::var_os("CARGO_FEATURE_TEST_TOOLS").is_some() {
        generate(Path::new("spec/test-tools.openapi.json"), &Path::new(&out_dir).join("raw_test_tools.rs"));
    }
    let mut fact_sources = vec![Path::new("spec/openapi.json")];
    if std::env::var_os("CARGO_FEATURE_TEST_TOOLS").is_some() {
        fact_sources.push(Path::new("spec/test-tools.openapi.json"));
    }
    write_operation_facts(&fact_sources, &Path::new(&out_dir).join("operation_facts.rs"));
}

fn generate(spec_path: &Path, out: &Path) {
    // Only the spec drives generation: editing `src/` must not regenerate.
    println!("cargo:rerun-if-changed={}", spec_path.display());
    let text =
        std::fs::read_to_string(spec_path).unwrap_or_else(|err| panic!("reading {}: {err}", spec_path.display()));
    let spec: openapiv3::OpenAPI =
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("{} is not OpenAPI 3.0: {err}", spec_path.display()));
    let code = generate_code(&spec, Some(TRANSPORT))
        .unwrap_or_else(|err| panic!("progenitor rejected {}: {err}", spec_path.display()));
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

/// Rust source of the builder-style client for `spec`. `inner_type` is the client's inner type
/// (`()` when `None`); the client must implement `progenitor_client::ClientHooks` for it.
pub fn generate_code(spec: &openapiv3::OpenAPI, inner_type: Option<&str>) -> Result<String, String> {
    let mut settings = progenitor_impl::GenerationSettings::default();
    settings
        .with_interface(progenitor_impl::InterfaceStyle::Builder)
        .with_tag(progenitor_impl::TagStyle::Merged)
        .with_hooks(progenitor_impl::HooksMode::Expected)
        .with_derive("PartialEq");
    if let Some(inner_type) = inner_type {
        settings.with_inner_type(inner_type.parse().map_err(|err| format!("inner type {inner_type}: {err}"))?);
    }
    // Objects that keep unknown fields (`extra`) lose typify's own `Default`; give it back where
    // every field is optional, so request bodies can still be written as `T { a, ..Default::default() }`.
    let with_default = progenitor_impl::TypePatch::default().with_derive("Default").clone();
    for name in open_optional_objects(spec) {
        settings.with_patch(name, &with_default);
    }
    let mut generator = progenitor_impl::Generator::new(&settings);
    let tokens = generator.generate_tokens(spec).map_err(|err| err.to_string())?;
    let file = syn::parse2(tokens).map_err(|err| format!("generated code does not parse: {err}"))?;
    Ok(prettyplease::unparse(&file))
}

/// Names of the component schemas that are objects with unknown fields kept and no required field.
fn open_optional_objects(spec: &openapiv3::OpenAPI) -> Vec<String> {
    use openapiv3::{ReferenceOr, SchemaKind, Type};
    let Some(components) = &spec.components else {
        return Vec::new();
    };
    components
        .schemas
        .iter()
        .filter_map(|(name, schema)| match schema {
            ReferenceOr::Item(schema) => match &schema.schema_kind {
                SchemaKind::Type(Type::Object(object))
                    if object.additional_properties.is_some()
                        && !object.properties.is_empty()
                        && object.required.is_empty() =>
                {
                    Some(name.clone())
                }
                _ => None,
            },
            ReferenceOr::Reference { .. } => None,
        })
        .collect()
}

/// The transport's per-operation facts (`OUT_DIR/operation_facts.rs`): whether sending the
/// operation twice does no harm, and which answer statuses the spec documents.
///
/// An operation is retry-safe when its method is idempotent (GET, HEAD, PUT, DELETE, OPTIONS),
/// unless the spec says otherwise with `x-retry-safe: true|false` on the operation (a GET that
/// starts a task, a POST that only searches). Sorted by operation id for binary search.
fn write_operation_facts(spec_paths: &[&Path], out: &Path) {
    let mut rows = Vec::new();
    for spec_path in spec_paths {
        println!("cargo:rerun-if-changed={}", spec_path.display());
        let text =
            std::fs::read_to_string(spec_path).unwrap_or_else(|err| panic!("reading {}: {err}", spec_path.display()));
        let spec: openapiv3::OpenAPI = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{} is not OpenAPI 3.0: {err}", spec_path.display()));
        for (path, method, operation) in spec.operations() {
            let Some(id) = &operation.operation_id else {
                continue;
            };
            let method = method.to_ascii_uppercase();
            let declared = match operation.extensions.get("x-retry-safe") {
                None => None,
                Some(serde_json::Value::Bool(safe)) => Some(*safe),
                Some(other) => panic!("{id}: x-retry-safe must be true or false, not {other}"),
            };
            let by_method = matches!(method.as_str(), "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS");
            let mut documented: Vec<(u16, u16)> = operation
                .responses
                .responses
                .keys()
                .map(|status| match status {
                    openapiv3::StatusCode::Code(code) => (*code, *code),
                    openapiv3::StatusCode::Range(hundreds) => (hundreds * 100, hundreds * 100 + 99),
                })
                .collect();
            if operation.responses.default.is_some() {
                documented = vec![(100, 999)];
            }
            documented.sort_unstable();
            let ranges: Vec<String> = documented.iter().map(|(low, high)| format!("({low}, {high})")).collect();
            rows.push((
                id.clone(),
                format!(
                    "    OperationFacts {{ id: {id:?}, method: {method:?}, path: {path:?}, retry_safe: {}, \
                     declared_in_spec: {}, documented: &[{}] }},\n",
                    declared.unwrap_or(by_method),
                    declared.is_some(),
                    ranges.join(", ")
                ),
            ));
        }
    }
    rows.sort();
    let mut code = String::from("// Generated by build.rs (write_operation_facts) from the spec.\n&[\n");
    for (_, row) in rows {
        code.push_str(&row);
    }
    code.push_str("]\n");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
