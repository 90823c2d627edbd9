//! Generates the raw clients from the spec with progenitor:
//! `spec/openapi.json` → `kontur_extern::raw`, and with the `test-tools` feature
//! `spec/test-tools.openapi.json` → `kontur_extern::raw_test_tools`; and the API's vocabularies
//! (named string schemas with `x-known-values`) → open enums in `kontur_extern::vocab`.
//!
//! `cargo xtask update-spec --verify` includes this file as a module, so `generate_code` and
//! `vocabulary_code` are the one definition of the generator settings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Inner type of the generated clients: every request goes through it (auth, retries, limits, tracing).
const TRANSPORT: &str = "crate::transport::Transport";
/// The type of every `format: date-time` of the spec.
const DATE_TIME_TYPE: &str = "crate::datetime::ExternDateTime";
/// The type of every `format: date` of the spec.
const DATE_TYPE: &str = "crate::datetime::ExternDate";
/// Where the vocabulary enums live.
const VOCABULARY_MODULE: &str = "crate::vocab";

#[allow(dead_code)]
fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out_dir = Path::new(&out_dir);
    let spec = read_spec(Path::new("spec/openapi.json"));
    write_client(&spec, Path::new("spec/openapi.json"), &out_dir.join("raw.rs"));
    let mut vocabulary = vocabulary_code(&spec);
    if std::env::var_os("CARGO_FEATURE_TEST_TOOLS").is_some() {
        let test_tools_path = Path::new("spec/test-tools.openapi.json");
        let test_tools = read_spec(test_tools_path);
        write_client(&test_tools, test_tools_path, &out_dir.join("raw_test_tools.rs"));
        vocabulary.push_str(&vocabulary_code_except(&test_tools, &spec));
    }
    std::fs::write(out_dir.join("vocab.rs"), vocabulary).expect("OUT_DIR is writable");
    let mut fact_sources = vec![Path::new("spec/openapi.json")];
    if std::env::var_os("CARGO_FEATURE_TEST_TOOLS").is_some() {
        fact_sources.push(Path::new("spec/test-tools.openapi.json"));
    }
    write_operation_facts(&fact_sources, &out_dir.join("operation_facts.rs"));
}

fn read_spec(spec_path: &Path) -> openapiv3::OpenAPI {
    // Only the spec drives generation: editing `src/` must not regenerate.
    println!("cargo:rerun-if-changed={}", spec_path.display());
    let text =
        std::fs::read_to_string(spec_path).unwrap_or_else(|err| panic!("reading {}: {err}", spec_path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{} is not OpenAPI 3.0: {err}", spec_path.display()))
}

fn write_client(spec: &openapiv3::OpenAPI, spec_path: &Path, out: &Path) {
    let code = generate_code(spec, Some(TRANSPORT))
        .unwrap_or_else(|err| panic!("progenitor rejected {}: {err}", spec_path.display()));
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

/// Rust source of the builder-style client for `spec`. `inner_type` is the client's inner type
/// (`()` when `None`); the client must implement `progenitor_client::ClientHooks` for it.
/// The code refers to `crate::datetime` and `crate::vocab` (see [`vocabulary_code`]).
pub fn generate_code(spec: &openapiv3::OpenAPI, inner_type: Option<&str>) -> Result<String, String> {
    use progenitor_impl::TypeImpl;
    use schemars::schema::{InstanceType, SchemaObject};

    let mut settings = progenitor_impl::GenerationSettings::default();
    settings
        .with_interface(progenitor_impl::InterfaceStyle::Builder)
        .with_tag(progenitor_impl::TagStyle::Merged)
        .with_hooks(progenitor_impl::HooksMode::Expected)
        .with_derive("PartialEq");
    if let Some(inner_type) = inner_type {
        settings.with_inner_type(inner_type.parse().map_err(|err| format!("inner type {inner_type}: {err}"))?);
    }
    // The API writes one instant with `Z` and as Moscow time without an offset: one type reads both
    // and writes back what it read.
    for (format, rust_type) in [("date-time", DATE_TIME_TYPE), ("date", DATE_TYPE)] {
        let schema = SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            format: Some(format.to_owned()),
            ..Default::default()
        };
        settings.with_conversion(schema, rust_type, [TypeImpl::Display, TypeImpl::FromStr].into_iter());
    }
    for name in vocabularies(spec).keys() {
        settings.with_replacement(
            name,
            format!("{VOCABULARY_MODULE}::{name}"),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    // Every object keeps unknown fields (`extra`) and so loses typify's own `Default`; give it back
    // where every field is optional, so request bodies can still be written as
    // `T { a, ..Default::default() }`.
    let with_default = progenitor_impl::TypePatch::default().with_derive("Default").clone();
    for name in open_optional_objects(spec) {
        settings.with_patch(name, &with_default);
    }
    let mut generator = progenitor_impl::Generator::new(&settings);
    let tokens = generator.generate_tokens(spec).map_err(|err| err.to_string())?;
    let mut file: syn::File = syn::parse2(tokens).map_err(|err| format!("generated code does not parse: {err}"))?;
    syn::visit_mut::VisitMut::visit_file_mut(&mut EmptyExtraByDefault, &mut file);
    syn::visit_mut::VisitMut::visit_file_mut(&mut NullListsAreEmpty, &mut file);
    syn::visit_mut::VisitMut::visit_file_mut(&mut PathSegmentsInPlace, &mut file);
    syn::visit_mut::VisitMut::visit_file_mut(&mut LargeObjectsBoxed { names: large_objects(spec) }, &mut file);
    syn::visit_mut::VisitMut::visit_file_mut(&mut HeadersMovedOut, &mut file);
    syn::visit_mut::VisitMut::visit_file_mut(&mut HeadersBuiltOnce, &mut file);
    syn::visit_mut::VisitMut::visit_file_mut(&mut StaticHeadersAtCompileTime, &mut file);
    for item in &mut file.items {
        // The operation builders (`crate::raw::builder`), not the body types' (`types::builder`).
        if let syn::Item::Mod(module) = item
            && module.ident == "builder"
        {
            syn::visit_mut::VisitMut::visit_item_mod_mut(&mut StaticBuilderErrors, module);
        }
    }
    let code = prettyplease::unparse(&file);
    // The transport leaves `User-Agent` to `adopt_headers` for generated requests: every one must call it.
    let (sent, adopted) = (code.matches(".exec(request").count(), code.matches("adopt_headers(&mut request").count());
    if sent != adopted {
        return Err(format!("{sent} generated requests are sent but {adopted} adopt their headers"));
    }
    Ok(code)
}

/// typify's builders start every field as "no value supplied", `extra` included, so a builder of
/// a request body would fail unless the caller set `extra`. Unknown fields start empty instead.
struct EmptyExtraByDefault;

impl syn::visit_mut::VisitMut for EmptyExtraByDefault {
    fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
        let is_extra = matches!(&field.member, syn::Member::Named(name) if name == "extra");
        if is_extra && let syn::Expr::Call(call) = &field.expr {
            let missing = matches!(&*call.func, syn::Expr::Path(path) if path.path.is_ident("Err"));
            if missing {
                field.expr = syn::parse_quote!(Ok(Default::default()));
            }
        }
        syn::visit_mut::visit_field_value_mut(self, field);
    }
}

/// typify reads an optional list or map that is absent as empty, but fails the whole answer on an
/// explicit `null`, which .NET services write for empty collections. Read `null` as empty too.
struct NullListsAreEmpty;

/// The function the generated code calls for optional lists and maps.
const NULL_AS_DEFAULT: &str = "crate::nulls::null_as_default";

impl syn::visit_mut::VisitMut for NullListsAreEmpty {
    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        for attr in &mut field.attrs {
            if !attr.path().is_ident("serde") {
                continue;
            }
            let syn::Meta::List(list) = &mut attr.meta else { continue };
            let text = list.tokens.to_string();
            let empty_when_absent = text.split(',').any(|part| part.trim() == "default") && text.contains("is_empty");
            if empty_when_absent && !text.contains("deserialize_with") {
                let with: proc_macro2::TokenStream =
                    format!(", deserialize_with = \"{NULL_AS_DEFAULT}\"").parse().expect("a serde attribute argument");
                list.tokens.extend(with);
            }
        }
        syn::visit_mut::visit_field_mut(self, field);
    }
}

/// progenitor puts each path parameter into the URL as `encode_path(&value.to_string())`: two
/// strings per parameter on every call. `crate::transport::PathSegment(&value)` writes the same
/// text straight into the URL being formatted.
struct PathSegmentsInPlace;

impl PathSegmentsInPlace {
    /// `encode_path(&X.to_string())` → `crate::transport::PathSegment(&X)`.
    fn rewrite(expr: &mut syn::Expr) {
        let syn::Expr::Call(call) = expr else { return };
        let is_encode_path = matches!(&*call.func, syn::Expr::Path(path) if path.path.is_ident("encode_path"));
        if !is_encode_path || call.args.len() != 1 {
            return;
        }
        let Some(syn::Expr::Reference(reference)) = call.args.first() else { return };
        let syn::Expr::MethodCall(to_string) = &*reference.expr else { return };
        if to_string.method != "to_string" || !to_string.args.is_empty() {
            return;
        }
        let value = &to_string.receiver;
        *expr = syn::parse_quote!(crate::transport::PathSegment(&#value));
    }
}

impl syn::visit_mut::VisitMut for PathSegmentsInPlace {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        Self::rewrite(expr);
        syn::visit_mut::visit_expr_mut(self, expr);
    }

    /// The URL is built by `format!`, whose arguments are tokens to syn: parse, rewrite, put back.
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        use syn::parse::Parser as _;
        if mac.path.is_ident("format") {
            let arguments = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
            if let Ok(mut arguments) = arguments.parse2(mac.tokens.clone()) {
                for argument in arguments.iter_mut() {
                    self.visit_expr_mut(argument);
                }
                mac.tokens = syn::parse_quote!(#arguments);
            }
        }
        syn::visit_mut::visit_macro_mut(self, mac);
    }
}

/// progenitor writes fixed header names and values as `HeaderName::from_static("...")` and
/// `HeaderValue::from_static("...")`, which check their text on every call. Both are `const fn`:
/// inside `const { }` the check runs once, when the crate is compiled (and a bad name fails the
/// build instead of a call).
struct StaticHeadersAtCompileTime;

impl syn::visit_mut::VisitMut for StaticHeadersAtCompileTime {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let syn::Expr::Call(call) = &*expr else { return };
        let syn::Expr::Path(function) = &*call.func else { return };
        let mut names = function.path.segments.iter().rev().map(|segment| segment.ident.to_string());
        let (function_name, type_name) = (names.next(), names.next());
        let is_static_header = function_name.as_deref() == Some("from_static")
            && matches!(type_name.as_deref(), Some("HeaderName" | "HeaderValue"));
        let takes_a_literal =
            call.args.len() == 1 && matches!(&call.args[0], syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(_), .. }));
        if is_static_header && takes_a_literal {
            let call = call.clone();
            *expr = syn::parse_quote!(const { #call });
        }
    }
}

/// progenitor's operation builders start each required field as
/// `Err("<field> was not initialized".to_string())`: a string allocated per field on every call,
/// though set fields never read it. Their errors become `Cow<'static, str>`: the fixed messages
/// are borrowed, formatted ones owned, and `send()` hands `Error::InvalidRequest` the same text.
struct StaticBuilderErrors;

impl StaticBuilderErrors {
    /// `"text".to_string()` (alone or as a block's only expression) → its literal.
    fn literal_to_string(expr: &syn::Expr) -> Option<&syn::LitStr> {
        match expr {
            syn::Expr::Block(block) if block.block.stmts.len() == 1 => match &block.block.stmts[0] {
                syn::Stmt::Expr(inner, None) => Self::literal_to_string(inner),
                _ => None,
            },
            syn::Expr::MethodCall(call) if call.method == "to_string" && call.args.is_empty() => {
                match &*call.receiver {
                    syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) => Some(text),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The error of a builder field: a borrowed literal or an owned formatted text.
    fn error_expr(expr: &syn::Expr) -> syn::Expr {
        match Self::literal_to_string(expr) {
            Some(text) => syn::parse_quote!(::std::borrow::Cow::Borrowed(#text)),
            None => syn::parse_quote!(::std::borrow::Cow::<'static, str>::Owned(#expr)),
        }
    }
}

impl syn::visit_mut::VisitMut for StaticBuilderErrors {
    /// `Result<T, String>` fields → `Result<T, Cow<'static, str>>`.
    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        if let syn::Type::Path(path) = &mut field.ty
            && let Some(last) = path.path.segments.last_mut()
            && last.ident == "Result"
            && let syn::PathArguments::AngleBracketed(arguments) = &mut last.arguments
            && arguments.args.len() == 2
            && let Some(syn::GenericArgument::Type(error)) = arguments.args.last_mut()
            && matches!(error, syn::Type::Path(error) if error.path.is_ident("String"))
        {
            *error = syn::parse_quote!(::std::borrow::Cow<'static, str>);
        }
        syn::visit_mut::visit_field_mut(self, field);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        match expr {
            // `Err("x was not initialized".to_string())` in `new()`.
            syn::Expr::Call(call)
                if matches!(&*call.func, syn::Expr::Path(path) if path.path.is_ident("Err"))
                    && call.args.len() == 1
                    && Self::literal_to_string(&call.args[0]).is_some() =>
            {
                call.args[0] = Self::error_expr(&call.args[0]);
            }
            syn::Expr::MethodCall(call) if call.method == "map_err" && call.args.len() == 1 => {
                match &mut call.args[0] {
                    // The setters' and the body conversion's `map_err(|e| <message>)`.
                    syn::Expr::Closure(closure) => *closure.body = Self::error_expr(&closure.body),
                    // `send()`'s `map_err(Error::InvalidRequest)`.
                    syn::Expr::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "InvalidRequest") => {
                        let variant = path.clone();
                        call.args[0] = syn::parse_quote!(|error| #variant(::std::string::String::from(error)));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// progenitor's `ResponseValue::from_response` copies the answer's headers before reading its
/// body; `crate::transport::response_value` moves them out instead (same errors, same value).
/// Both it and `crate::transport::response_stream` (for `ResponseValue::stream`) keep the
/// request's in-flight slot until the body is read (see `src/transport/body.rs`).
struct HeadersMovedOut;

impl syn::visit_mut::VisitMut for HeadersMovedOut {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::Call(call) = expr
            && let syn::Expr::Path(path) = &*call.func
            && path.path.segments.len() == 2
            && path.path.segments[0].ident == "ResponseValue"
        {
            if path.path.segments[1].ident == "from_response" {
                *call.func = syn::parse_quote!(crate::transport::response_value);
            } else if path.path.segments[1].ident == "stream" {
                *call.func = syn::parse_quote!(crate::transport::response_stream);
            }
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

/// Objects with at least this many properties are kept behind a `Box` where another object holds
/// them.
const BOXED_FROM_PROPERTIES: usize = 32;

/// Names of the component schemas that are objects of [`BOXED_FROM_PROPERTIES`] properties or
/// more (`DocflowDescription`, which lists the fields of every kind of docflow: 2 KB inline).
fn large_objects(spec: &openapiv3::OpenAPI) -> Vec<String> {
    object_schemas(spec)
        .filter(|(_, object)| object.properties.len() >= BOXED_FROM_PROPERTIES)
        .map(|(name, _)| name.clone())
        .collect()
}

/// An optional field holding a large object (see [`large_objects`]) holds it boxed:
/// `Option<Box<T>>` instead of `Option<T>`, in the type and in its builder. Otherwise every
/// object that holds one (a docflow, each item of a docflow page) is 2 KB larger, and every move
/// of it, and of every future or answer that holds it, copies those 2 KB.
struct LargeObjectsBoxed {
    names: Vec<String>,
}

impl syn::visit_mut::VisitMut for LargeObjectsBoxed {
    fn visit_type_mut(&mut self, ty: &mut syn::Type) {
        syn::visit_mut::visit_type_mut(self, ty);
        let syn::Type::Path(path) = ty else { return };
        let Some(last) = path.path.segments.last_mut() else { return };
        if last.ident != "Option" {
            return;
        }
        let syn::PathArguments::AngleBracketed(arguments) = &mut last.arguments else { return };
        let Some(syn::GenericArgument::Type(inner)) = arguments.args.first_mut() else { return };
        let is_large = matches!(&*inner, syn::Type::Path(inner)
        if inner.path.segments.last().is_some_and(|segment| {
            segment.arguments.is_none() && self.names.iter().any(|name| segment.ident == name)
        }));
        if is_large {
            *inner = syn::parse_quote!(::std::boxed::Box<#inner>);
        }
    }
}

/// progenitor builds a request's header parameters in a map of their own, sets `Accept` in the
/// request builder's map, and then copies the first map into the second, which grows again when
/// the transport adds `User-Agent` and `Authorization`. Instead the parameters' map is sized for
/// every header the request will carry (`crate::transport::header_capacity`), takes `Accept` (a
/// parameter of the same name would win, as before) and becomes the request's map
/// (`crate::transport::adopt_headers`, which keeps what the builder still sets, such as a JSON
/// body's `Content-Type`, and adds `User-Agent`).
struct HeadersBuiltOnce;

impl HeadersBuiltOnce {
    /// For `let mut request = <chain>.headers(header_map).build()?;`: removes `.headers(header_map)`
    /// and every `.header(name, value)` from the chain, and returns those headers.
    fn strip_headers_calls(stmt: &mut syn::Stmt) -> Option<Vec<(syn::Expr, syn::Expr)>> {
        let syn::Stmt::Local(local) = stmt else { return None };
        let is_request = matches!(&local.pat, syn::Pat::Ident(binding) if binding.ident == "request");
        let init = local.init.as_mut()?;
        let syn::Expr::Try(attempt) = &mut *init.expr else { return None };
        let syn::Expr::MethodCall(build) = &mut *attempt.expr else { return None };
        if !is_request || build.method != "build" || !build.args.is_empty() {
            return None;
        }
        let syn::Expr::MethodCall(headers) = &*build.receiver else { return None };
        let passes_header_map = headers.args.len() == 1
            && matches!(&headers.args[0], syn::Expr::Path(path) if path.path.is_ident("header_map"));
        if headers.method != "headers" || !passes_header_map {
            return None;
        }
        let mut chain = (*headers.receiver).clone();
        let mut moved = Vec::new();
        Self::take_header_calls(&mut chain, &mut moved);
        moved.reverse();
        *build.receiver = chain;
        Some(moved)
    }

    /// Unlinks every `.header(name, value)` from the method chain `expr`, pushing them last first.
    fn take_header_calls(expr: &mut syn::Expr, moved: &mut Vec<(syn::Expr, syn::Expr)>) {
        while let syn::Expr::MethodCall(call) = expr
            && call.method == "header"
            && call.args.len() == 2
        {
            moved.push((call.args[0].clone(), call.args[1].clone()));
            *expr = (*call.receiver).clone();
        }
        if let syn::Expr::MethodCall(call) = expr {
            Self::take_header_calls(&mut call.receiver, moved);
        }
    }
}

impl syn::visit_mut::VisitMut for HeadersBuiltOnce {
    /// `HeaderMap::with_capacity(N)` → `HeaderMap::with_capacity(crate::transport::header_capacity(N))`.
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        let is_with_capacity = matches!(&*call.func, syn::Expr::Path(path)
            if path.path.segments.len() >= 2
                && path.path.segments[path.path.segments.len() - 2].ident == "HeaderMap"
                && path.path.segments[path.path.segments.len() - 1].ident == "with_capacity");
        if is_with_capacity && call.args.len() == 1 {
            let parameters = &call.args[0];
            call.args[0] = syn::parse_quote!(crate::transport::header_capacity(#parameters));
        }
        syn::visit_mut::visit_expr_call_mut(self, call);
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut statements = Vec::with_capacity(block.stmts.len() + 2);
        for mut statement in std::mem::take(&mut block.stmts) {
            match Self::strip_headers_calls(&mut statement) {
                Some(moved) => {
                    for (name, value) in moved {
                        statements.push(syn::parse_quote!(header_map.entry(#name).or_insert(#value);));
                    }
                    statements.push(statement);
                    statements.push(syn::parse_quote!(crate::transport::adopt_headers(&mut request, header_map);));
                }
                None => statements.push(statement),
            }
        }
        block.stmts = statements;
        syn::visit_mut::visit_block_mut(self, block);
    }
}

/// Names of the component schemas that are objects with unknown fields kept and no required field.
fn open_optional_objects(spec: &openapiv3::OpenAPI) -> Vec<String> {
    object_schemas(spec)
        .filter(|(_, object)| {
            object.additional_properties.is_some() && !object.properties.is_empty() && object.required.is_empty()
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The component schemas that are objects, by name.
fn object_schemas(spec: &openapiv3::OpenAPI) -> impl Iterator<Item = (&String, &openapiv3::ObjectType)> {
    use openapiv3::{ReferenceOr, SchemaKind, Type};
    spec.components.iter().flat_map(|components| &components.schemas).filter_map(|(name, schema)| match schema {
        ReferenceOr::Item(schema) => match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => Some((name, object)),
            _ => None,
        },
        ReferenceOr::Reference { .. } => None,
    })
}

/// One vocabulary of the API: a named string schema whose known values the normaliser listed.
struct Vocabulary {
    description: Option<String>,
    known: Vec<String>,
}

/// The named string schemas with `x-known-values`, by name.
fn vocabularies(spec: &openapiv3::OpenAPI) -> BTreeMap<String, Vocabulary> {
    use openapiv3::{ReferenceOr, SchemaKind, Type};
    let Some(components) = &spec.components else { return BTreeMap::new() };
    components
        .schemas
        .iter()
        .filter_map(|(name, schema)| {
            let ReferenceOr::Item(schema) = schema else { return None };
            let SchemaKind::Type(Type::String(_)) = &schema.schema_kind else { return None };
            let known = schema.schema_data.extensions.get("x-known-values")?.as_array()?;
            let known = known.iter().filter_map(|value| value.as_str().map(str::to_owned)).collect();
            Some((name.clone(), Vocabulary { description: schema.schema_data.description.clone(), known }))
        })
        .collect()
}

/// Rust source of one open enum per vocabulary of `spec`: a variant per known value and
/// `Unknown(String)` keeping any other value exactly.
pub fn vocabulary_code(spec: &openapiv3::OpenAPI) -> String {
    let mut code = String::from("// Generated by build.rs from the vocabularies of the spec.\n\n");
    for (name, vocabulary) in vocabularies(spec) {
        code.push_str(&enum_code(&name, &vocabulary));
    }
    code
}

/// The enums of `spec`'s vocabularies that `generated` does not have already.
fn vocabulary_code_except(spec: &openapiv3::OpenAPI, generated: &openapiv3::OpenAPI) -> String {
    let known = vocabularies(generated);
    vocabularies(spec)
        .into_iter()
        .filter(|(name, _)| !known.contains_key(name))
        .map(|(name, vocabulary)| enum_code(&name, &vocabulary))
        .collect()
}

fn enum_code(name: &str, vocabulary: &Vocabulary) -> String {
    let variants = variant_names(&vocabulary.known);
    let mut code = String::new();
    let description = vocabulary.description.as_deref().unwrap_or("A vocabulary of the API.");
    for line in description.lines() {
        code.push_str(&format!("/// {line}\n"));
    }
    code.push_str(
        "///\n/// Known values are variants; any other value the API sends decodes as `Unknown` and is written back \
         unchanged.\n",
    );
    code.push_str(&format!("#[derive(Clone)]\n#[non_exhaustive]\npub enum {name} {{\n"));
    for (variant, value) in variants.iter().zip(&vocabulary.known) {
        code.push_str(&format!("    /// `{value}`\n    {variant},\n"));
    }
    code.push_str("    /// A value this version of the crate does not know, kept exactly as it came.\n    Unknown(String),\n}\n\n");

    code.push_str(&format!("impl {name} {{\n"));
    code.push_str("    /// Every value this version of the crate knows, in the order of the spec.\n");
    code.push_str(&format!("    pub const KNOWN: &'static [&'static str] = &{:?};\n\n", vocabulary.known));
    code.push_str(
        "    /// The value as the API writes it.\n    pub fn as_str(&self) -> &str {\n        match self {\n",
    );
    for (variant, value) in variants.iter().zip(&vocabulary.known) {
        code.push_str(&format!("            Self::{variant} => {value:?},\n"));
    }
    code.push_str("            Self::Unknown(value) => value,\n        }\n    }\n\n");
    code.push_str("    /// The variant of `value`: a known one, or `Unknown` keeping it.\n");
    code.push_str("    pub fn parse(value: &str) -> Self {\n        match value {\n");
    for (variant, value) in variants.iter().zip(&vocabulary.known) {
        code.push_str(&format!("            {value:?} => Self::{variant},\n"));
    }
    code.push_str("            other => Self::Unknown(other.to_owned()),\n        }\n    }\n\n");
    code.push_str("    /// False for a value this version of the crate does not know.\n");
    code.push_str("    pub fn is_known(&self) -> bool {\n        !matches!(Self::parse(self.as_str()), Self::Unknown(_))\n    }\n}\n\n");
    code.push_str(&format!("impl_open_vocabulary!({name});\n\n"));
    code
}

/// UpperCamelCase of each value's last `:`-separated segment, unique within the vocabulary and
/// never `Unknown` (the catch-all's name).
fn variant_names(values: &[String]) -> Vec<String> {
    let mut taken = BTreeSet::new();
    taken.insert("Unknown".to_owned());
    values
        .iter()
        .map(|value| {
            let segment = value.rsplit(':').next().unwrap_or(value);
            let mut name: String = segment
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|part| !part.is_empty())
                .map(|part| {
                    let part = if part.chars().all(|c| !c.is_ascii_lowercase()) {
                        part.to_ascii_lowercase()
                    } else {
                        part.to_owned()
                    };
                    let mut chars = part.chars();
                    chars
                        .next()
                        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                        .unwrap_or_default()
                })
                .collect();
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                name.insert(0, 'V');
            }
            if name == "Unknown" {
                name = "UnknownValue".to_owned();
            }
            let mut unique = name.clone();
            let mut n = 2;
            while !taken.insert(unique.clone()) {
                unique = format!("{name}{n}");
                n += 1;
            }
            unique
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
