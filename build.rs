//! Generates the raw clients from the spec with progenitor:
//! `spec/openapi.json` → `kontur_extern::raw`, and with the `test-tools` feature
//! `spec/test-tools.openapi.json` → `kontur_extern::raw_test_tools`.

use std::path::Path;

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    generate(Path::new("spec/openapi.json"), &Path::new(&out_dir).join("raw.rs"));
    if std::env::var_os("CARGO_FEATURE_TEST_TOOLS").is_some() {
        generate(Path::new("spec/test-tools.openapi.json"), &Path::new(&out_dir).join("raw_test_tools.rs"));
    }
}

fn generate(spec_path: &Path, out: &Path) {
    // Only the spec drives generation: editing `src/` must not regenerate.
    println!("cargo:rerun-if-changed={}", spec_path.display());
    let text = std::fs::read_to_string(spec_path).unwrap_or_else(|err| panic!("reading {}: {err}", spec_path.display()));
    let spec: openapiv3::OpenAPI =
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("{} is not OpenAPI 3.0: {err}", spec_path.display()));

    let mut settings = progenitor_impl::GenerationSettings::default();
    settings
        .with_interface(progenitor_impl::InterfaceStyle::Builder)
        .with_tag(progenitor_impl::TagStyle::Merged)
        // Every request goes through `crate::transport::Transport` (auth, retries, limits, tracing).
        .with_inner_type("crate::transport::Transport".parse().expect("a type path"))
        .with_hooks(progenitor_impl::HooksMode::Expected)
        .with_derive("PartialEq");
    let mut generator = progenitor_impl::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|err| panic!("progenitor rejected {}: {err}", spec_path.display()));
    let file = syn::parse2(tokens).expect("generated code parses");
    std::fs::write(out, prettyplease::unparse(&file)).expect("OUT_DIR is writable");
}
