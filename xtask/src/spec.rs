//! Assembling the spec files.
//!
//! An import (public swagger groups or `--from`) is converted to OpenAPI 3.0, merged, normalised
//! and stored as `spec/upstream.json`. The project's own `spec/base.json` and `spec/parts/*.json`
//! are laid over it as JSON merge patches (parts win) and the result is normalised into
//! `spec/openapi.json`. `spec/base.json` + `spec/test-tools.json` → `spec/test-tools.openapi.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::changes;
use crate::normalise::{self, is_method};
use crate::{source, swagger2, verify};

/// Reads a JSON document.
pub fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The `*.json` files of a directory, in name order.
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    Ok(files)
}

/// `path` relative to the workspace root when it is inside it, for messages.
pub fn shown(path: &Path) -> String {
    let root = crate::workspace_root();
    path.strip_prefix(&root).unwrap_or(path).display().to_string()
}

/// A path with its parameter names left out: `/v1/{id}` and `/v1/{accountId}` are one shape.
pub fn path_shape(path: &str) -> String {
    let mut shape = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                shape.push('{');
            }
            '}' => {
                in_param = false;
                shape.push('}');
            }
            _ if in_param => {}
            _ => shape.push(c),
        }
    }
    shape
}

fn param_names(path: &str) -> Vec<String> {
    path.split('{').skip(1).filter_map(|s| s.split_once('}')).map(|(name, _)| name.to_owned()).collect()
}

/// Fails when two sources define one component or operation differently: parts must not
/// silently override each other.
pub fn check_conflicts(sources: &[(PathBuf, Value)]) -> Result<()> {
    let mut seen: BTreeMap<String, (&Path, &Value)> = BTreeMap::new();
    let mut problems = Vec::new();
    for (file, doc) in sources {
        let mut entries: Vec<(String, &Value)> = Vec::new();
        for (kind, items) in doc.get("components").and_then(Value::as_object).into_iter().flatten() {
            for (name, value) in items.as_object().into_iter().flatten() {
                entries.push((format!("components/{kind}/{name}"), value));
            }
        }
        for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if is_method(method) {
                    entries.push((format!("operation {} {path}", method.to_uppercase()), op));
                }
            }
        }
        for (key, value) in entries {
            match seen.get(&key) {
                Some((first, earlier)) if *earlier != value => {
                    problems.push(format!("  {key} is defined differently in {} and {}", shown(first), shown(file)))
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (file, value));
                }
            }
        }
    }
    if !problems.is_empty() {
        bail!("spec sources disagree:\n{}\nDefine each in one file (or identically in both).", problems.join("\n"));
    }
    Ok(())
}

/// Renames upstream paths to the parameter names the project's sources use for the same shape
/// (`/v1/{id}` → `/v1/{accountId}`), so that the overlay patches them instead of adding twins.
fn align_paths(upstream: &mut Value, overlays: &[(PathBuf, Value)]) {
    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    for (_, doc) in overlays {
        for path in doc.get("paths").and_then(Value::as_object).into_iter().flatten().map(|(p, _)| p) {
            wanted.entry(path_shape(path)).or_insert_with(|| path.clone());
        }
    }
    let Some(paths) = upstream.get_mut("paths").and_then(Value::as_object_mut) else { return };
    let renames: Vec<(String, String)> = paths
        .keys()
        .filter_map(|p| {
            wanted.get(&path_shape(p)).filter(|w| *w != p && !paths.contains_key(*w)).map(|w| (p.clone(), w.clone()))
        })
        .collect();
    for (old, new) in renames {
        let names: BTreeMap<String, String> = param_names(&old).into_iter().zip(param_names(&new)).collect();
        let Some(mut item) = paths.remove(&old) else { continue };
        rename_path_params(&mut item, &names);
        paths.insert(new, item);
    }
}

fn rename_path_params(item: &mut Value, names: &BTreeMap<String, String>) {
    let rename_list = |list: &mut Value| {
        for p in list.as_array_mut().into_iter().flatten() {
            if p.get("in").and_then(Value::as_str) != Some("path") {
                continue;
            }
            if let Some(new) = p.get("name").and_then(Value::as_str).and_then(|n| names.get(n)) {
                p["name"] = json!(new);
            }
        }
    };
    for (key, value) in item.as_object_mut().into_iter().flatten() {
        if key == "parameters" {
            rename_list(value);
        } else if is_method(key)
            && let Some(list) = value.get_mut("parameters")
        {
            rename_list(list);
        }
    }
}

/// Operation ids written in the project's sources are public names the project chose: an upstream
/// operation on another route with the same id takes its route's id, so the project's method keeps
/// its name instead of both giving way to their routes.
fn yield_ids_to_overlays(upstream: &mut Value, overlays: &[(PathBuf, Value)]) {
    let mut ours: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (_, doc) in overlays {
        for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten().filter(|(m, _)| is_method(m)) {
                if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                    ours.insert(normalise::snake_case(id), (path_shape(path), method.clone()));
                }
            }
        }
    }
    normalise::for_each_operation(upstream, |path, method, op| {
        let id = op.get("operationId").and_then(Value::as_str).map(normalise::snake_case);
        if let Some(route) = id.and_then(|id| ours.get(&id))
            && *route != (path_shape(path), method.to_owned())
        {
            op.insert("operationId".into(), json!(normalise::id_from_route(method, path)));
        }
    });
}

/// JSON merge patch (RFC 7396: objects merge, `null` deletes, anything else replaces), except that
/// an object with a `$ref` on either side replaces the other whole: a reference and an inline
/// schema merged key by key would make a schema that is neither.
pub fn overlay(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    let replace = patch.contains_key("$ref") || target.get("$ref").is_some();
    if replace || !target.is_object() {
        *target = json!({});
    }
    let target = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            overlay(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// `upstream` (when there is one) with `base` and `parts` laid over it, normalised.
pub fn assemble(upstream: Option<Value>, base: &Path, parts: &[PathBuf]) -> Result<Value> {
    let mut overlays = vec![(base.to_path_buf(), read_json(base)?)];
    for part in parts {
        overlays.push((part.clone(), read_json(part)?));
    }
    check_conflicts(&overlays)?;
    let mut doc = upstream.unwrap_or_else(|| json!({}));
    align_paths(&mut doc, &overlays);
    yield_ids_to_overlays(&mut doc, &overlays);
    for (_, patch) in &overlays {
        overlay(&mut doc, patch);
    }
    normalise::normalise(&mut doc);
    let unsendable = normalise::unsendable_request_bodies(&doc);
    if !unsendable.is_empty() {
        bail!(
            "the generated client cannot send these request bodies (progenitor has no multipart; it \
             would send them with a wrong Content-Type):\n  {}\n\
             In a part, give each a body it can send (JSON, form, octet-stream, text/plain), or remove \
             the operation (`null`) and send it by hand through `Transport::send`.",
            unsendable.join("\n  ")
        );
    }
    Ok(doc)
}

/// Makes imported documents one: OpenAPI 3.0, components renamed where two groups disagree.
pub fn merge_imports(docs: Vec<(String, Value)>) -> Result<Value> {
    let mut merged: Option<Value> = None;
    for (source, doc) in docs {
        let doc = if swagger2::is_swagger2(&doc) {
            swagger2::convert(&doc)
        } else if doc.get("openapi").and_then(Value::as_str).is_some_and(|v| v.starts_with("3.")) {
            doc
        } else {
            bail!("{source} is neither Swagger 2.0 nor OpenAPI 3.x");
        };
        match merged.as_mut() {
            None => merged = Some(doc),
            Some(into) => merge_import(into, doc, &source)?,
        }
    }
    merged.context("nothing to import")
}

/// Merges one more imported document into `into`. A component name both define differently is
/// renamed in `doc` to the first `{name}{n}` free in both documents, deterministically and with a
/// note; every `$ref` follows.
fn merge_import(into: &mut Value, mut doc: Value, source: &str) -> Result<()> {
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for (kind, items) in doc.get("components").and_then(Value::as_object).into_iter().flatten() {
        let Some(items) = items.as_object() else { continue };
        let existing = into.pointer(&format!("/components/{kind}")).and_then(Value::as_object);
        let mut taken: BTreeSet<&str> = items.keys().map(String::as_str).collect();
        taken.extend(existing.into_iter().flat_map(|e| e.keys().map(String::as_str)));
        let mut chosen: Vec<String> = Vec::new();
        for (name, value) in items {
            if existing.and_then(|e| e.get(name)).is_none_or(|e| e == value) {
                continue;
            }
            let new = (2..)
                .map(|n| format!("{name}{n}"))
                .find(|n| !taken.contains(n.as_str()) && !chosen.contains(n))
                .expect("a free name");
            eprintln!("note: {source} defines {kind} `{name}` differently from an earlier import; imported as `{new}`");
            renames.insert(format!("#/components/{kind}/{name}"), format!("#/components/{kind}/{new}"));
            chosen.push(new);
        }
    }
    if !renames.is_empty() {
        rewrite_refs(&mut doc, &renames);
        if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
            for (kind, items) in components.iter_mut() {
                let Some(items) = items.as_object_mut() else { continue };
                *items = std::mem::take(items)
                    .into_iter()
                    .map(|(name, v)| {
                        let key = format!("#/components/{kind}/{name}");
                        let name = renames.get(&key).and_then(|r| r.rsplit('/').next()).map_or(name, str::to_owned);
                        (name, v)
                    })
                    .collect();
            }
        }
    }
    let into_map = into.as_object_mut().context("an imported document is not an object")?;
    for (key, value) in doc.as_object().cloned().unwrap_or_default() {
        match key.as_str() {
            "paths" => {
                let paths = into_map.entry("paths").or_insert_with(|| json!({}));
                for (path, item) in value.as_object().into_iter().flatten() {
                    let target =
                        paths.as_object_mut().context("paths")?.entry(path.clone()).or_insert_with(|| json!({}));
                    merge_path_item(target, item.clone(), path, source)?;
                }
            }
            "components" => {
                let components = into_map.entry("components").or_insert_with(|| json!({}));
                for (kind, items) in value.as_object().into_iter().flatten() {
                    let target = components
                        .as_object_mut()
                        .context("components")?
                        .entry(kind.clone())
                        .or_insert_with(|| json!({}));
                    for (name, v) in items.as_object().into_iter().flatten() {
                        target.as_object_mut().context("components")?.entry(name.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            "servers" | "tags" => {
                let list = into_map.entry(key.clone()).or_insert_with(|| json!([]));
                if let Some(list) = list.as_array_mut() {
                    for item in value.as_array().into_iter().flatten() {
                        if !list.contains(item) {
                            list.push(item.clone());
                        }
                    }
                }
            }
            _ => {
                into_map.entry(key).or_insert(value);
            }
        }
    }
    Ok(())
}

/// One path of a later import into the same path of the merged document. Operations are added
/// (one defined differently twice is an error). Path-level `parameters` that differ move into
/// the operations of each side, where they mean the same; any other difference is an error.
fn merge_path_item(target: &mut Value, mut item: Value, path: &str, source: &str) -> Result<()> {
    let earlier = target.as_object().is_some_and(|t| !t.is_empty());
    if earlier && target.get("parameters") != item.get("parameters") {
        push_down_parameters(target);
        push_down_parameters(&mut item);
    }
    let target = target.as_object_mut().with_context(|| format!("path {path} is not an object"))?;
    for (k, v) in item.as_object().into_iter().flatten() {
        match target.get(k) {
            Some(existing) if existing != v && is_method(k) => {
                bail!("{source} defines {} {path} differently from an earlier import", k.to_uppercase())
            }
            Some(existing) if existing != v => {
                bail!("{source} gives path {path} a different `{k}` than an earlier import")
            }
            Some(_) => {}
            None => {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

/// Moves a path item's `parameters` into each of its operations (an operation's own parameter of
/// the same name and place wins, as OpenAPI says).
fn push_down_parameters(item: &mut Value) {
    let Some(map) = item.as_object_mut() else { return };
    let Some(Value::Array(shared)) = map.remove("parameters") else { return };
    let key = |p: &Value| (p.get("name").cloned(), p.get("in").cloned(), p.get("$ref").cloned());
    for (method, op) in map.iter_mut() {
        if !is_method(method) {
            continue;
        }
        let Some(op) = op.as_object_mut() else { continue };
        let own = op.entry("parameters").or_insert_with(|| json!([]));
        let Some(own) = own.as_array_mut() else { continue };
        let inherited: Vec<Value> = shared.iter().filter(|p| !own.iter().any(|o| key(o) == key(p))).cloned().collect();
        own.splice(0..0, inherited);
    }
}

fn rewrite_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some(new) = renames.get(&normalise::decode_ref(r))
            {
                *r = new.clone();
            }
            map.values_mut().for_each(|v| rewrite_refs(v, renames));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, renames)),
        _ => {}
    }
}

pub fn to_text(doc: &Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(doc)? + "\n")
}

/// Options of `cargo xtask update-spec`.
#[derive(Debug, Default)]
pub struct Options {
    pub from: Vec<String>,
    pub offline: bool,
    pub check: bool,
    pub out: Option<PathBuf>,
    pub verify: bool,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--from" => options.from.push(args.next().context("--from needs a URL or a file")?.clone()),
                "--out" => options.out = Some(PathBuf::from(args.next().context("--out needs a directory")?)),
                "--offline" => options.offline = true,
                "--check" => options.check = true,
                "--verify" => options.verify = true,
                other => bail!("unknown argument `{other}`"),
            }
        }
        if options.check && (options.out.is_some() || !options.from.is_empty() || options.verify) {
            bail!("--check compares the committed spec with its sources; it takes no --from, --out or --verify");
        }
        if options.offline && !options.from.is_empty() {
            bail!("--offline reassembles without importing; it takes no --from");
        }
        if options.verify && options.out.is_none() {
            bail!("--verify needs --out DIR (a copy of the crate is built there)");
        }
        Ok(options)
    }
}

/// The project's spec directory.
pub struct SpecDir {
    pub dir: PathBuf,
}

impl SpecDir {
    fn base(&self) -> PathBuf {
        self.dir.join("base.json")
    }
    fn parts(&self) -> Result<Vec<PathBuf>> {
        let dir = self.dir.join("parts");
        if dir.exists() { json_files(&dir) } else { Ok(Vec::new()) }
    }
    fn upstream(&self) -> Result<Option<Value>> {
        let path = self.dir.join("upstream.json");
        if path.exists() { Ok(Some(read_json(&path)?)) } else { Ok(None) }
    }

    /// Every output file with its text, from the committed sources.
    pub fn outputs(&self, upstream: Option<Value>) -> Result<Vec<(PathBuf, Value)>> {
        let mut out = vec![(self.dir.join("openapi.json"), assemble(upstream, &self.base(), &self.parts()?)?)];
        let test_tools = self.dir.join("test-tools.json");
        if test_tools.exists() {
            out.push((self.dir.join("test-tools.openapi.json"), assemble(None, &self.base(), &[test_tools])?));
        }
        Ok(out)
    }
}

fn previous(path: &Path) -> Result<Value> {
    if path.exists() { read_json(path) } else { Ok(Value::Null) }
}

fn report(name: &Path, old: &Value, new: &Value) {
    println!("{}:", shown(name));
    print!("{}", changes::compare(old, new));
}

pub fn update_spec(args: &[String]) -> Result<ExitCode> {
    let options = Options::parse(args)?;
    let spec = SpecDir { dir: crate::workspace_root().join("spec") };
    run(&spec, &options)
}

pub fn run(spec: &SpecDir, options: &Options) -> Result<ExitCode> {
    if options.check {
        return check(spec);
    }
    if options.offline {
        for (path, doc) in spec.outputs(spec.upstream()?)? {
            let old = previous(&path)?;
            fs::write(&path, to_text(&doc)?).with_context(|| format!("writing {}", path.display()))?;
            report(&path, &old, &doc);
        }
        return Ok(ExitCode::SUCCESS);
    }

    let mut upstream = merge_imports(source::load_all(&options.from)?)?;
    normalise::normalise(&mut upstream);
    // Everything is assembled before anything is written: a failure leaves spec/ as it was.
    let outputs = spec.outputs(Some(upstream.clone()))?;
    let out_dir = options.out.clone().unwrap_or_else(|| spec.dir.clone());
    fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let upstream_path = out_dir.join("upstream.json");
    fs::write(&upstream_path, to_text(&upstream)?).with_context(|| format!("writing {}", upstream_path.display()))?;
    println!("{}: {} operations imported", shown(&upstream_path), count_operations(&upstream));

    for (path, doc) in &outputs {
        let target = out_dir.join(path.file_name().context("an output file name")?);
        // Compared with the project's current file, read before it may be overwritten.
        let old = previous(path)?;
        fs::write(&target, to_text(doc)?).with_context(|| format!("writing {}", target.display()))?;
        println!("{}: {} operations", shown(&target), count_operations(doc));
        report(&target, &old, doc);
    }
    if options.verify {
        let specs: Vec<(PathBuf, &Value)> = outputs.iter().map(|(path, doc)| (path.clone(), doc)).collect();
        verify::verify(&out_dir, &specs)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn count_operations(doc: &Value) -> usize {
    doc.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(_, item)| item.as_object().into_iter().flatten())
        .filter(|(m, _)| is_method(m))
        .count()
}

fn check(spec: &SpecDir) -> Result<ExitCode> {
    let mut stale = false;
    for (path, doc) in spec.outputs(spec.upstream()?)? {
        let expected = to_text(&doc)?;
        let committed = fs::read_to_string(&path).unwrap_or_default();
        if committed != expected {
            stale = true;
            eprintln!("{} differs from what `cargo xtask update-spec --offline` writes from spec/:", shown(&path));
            let old: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
            eprint!("{}", changes::compare(&old, &doc));
        }
    }
    if stale {
        eprintln!("Run `cargo xtask update-spec --offline` and commit the result.");
        return Ok(ExitCode::FAILURE);
    }
    println!("spec is up to date");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
    }

    #[test]
    fn overlay_is_a_merge_patch_that_keeps_references_whole() {
        let mut doc = json!({
            "a": { "keep": 1, "drop": 2, "list": [1, 2] },
            "by_ref": { "$ref": "#/components/schemas/Old" },
            "inline": { "type": "object", "properties": { "x": { "type": "string" } } }
        });
        overlay(
            &mut doc,
            &json!({
                "a": { "drop": null, "list": [3], "new": true },
                "by_ref": { "type": "array", "items": { "type": "string" } },
                "inline": { "$ref": "#/components/schemas/New" }
            }),
        );
        assert_eq!(
            doc,
            json!({
                "a": { "keep": 1, "list": [3], "new": true },
                "by_ref": { "type": "array", "items": { "type": "string" } },
                "inline": { "$ref": "#/components/schemas/New" }
            })
        );
    }

    #[test]
    fn shapes_ignore_parameter_names() {
        assert_eq!(path_shape("/v1/{accountId}/drafts/{draftId}"), "/v1/{}/drafts/{}");
        assert_eq!(path_shape("/v1/{id}/drafts/{x}"), path_shape("/v1/{accountId}/drafts/{draftId}"));
        assert_eq!(param_names("/v1/{accountId}/drafts/{draftId}"), ["accountId", "draftId"]);
    }

    #[test]
    fn parts_are_laid_over_the_upstream_import() {
        let dir = fixtures().join("spec");
        let spec = SpecDir { dir: dir.clone() };
        let upstream = read_json(&dir.join("upstream.json")).unwrap();
        let doc = assemble(Some(upstream), &spec.base(), &spec.parts().unwrap()).unwrap();
        // The upstream path with `{id}` took the part's parameter names and its correction.
        let get = &doc["paths"]["/v1/{accountId}"]["get"];
        assert!(doc["paths"].get("/v1/{id}").is_none());
        assert_eq!(get["operationId"], "get_account");
        assert_eq!(get["summary"], "One account (corrected by the project).");
        assert_eq!(get["parameters"][0]["name"], "accountId");
        // Upstream-only operations and schemas survive; the parts add theirs; base wins its keys.
        assert_eq!(doc["paths"]["/v1/{accountId}"]["delete"]["operationId"], "accounts_delete");
        assert_eq!(doc["paths"]["/v1/{accountId}"]["delete"]["parameters"][0]["name"], "accountId");
        assert_eq!(doc["paths"]["/v1"]["get"]["operationId"], "list_accounts");
        assert!(doc["components"]["schemas"].get("Account").is_some());
        assert_eq!(doc["components"]["schemas"]["Account"]["properties"]["kind"]["type"], "string");
        assert_eq!(doc["info"]["title"], "Fixture API");
        assert_eq!(doc["servers"], json!([{ "url": "https://api.example" }]));
        assert_eq!(
            doc["paths"]["/v1/{accountId}"]["get"]["responses"]["4XX"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ApiError"
        );
    }

    #[test]
    fn an_upstream_operation_gives_way_to_a_part_that_uses_its_id() {
        let dir = fixtures().join("spec");
        let spec = SpecDir { dir: dir.clone() };
        let mut upstream = read_json(&dir.join("upstream.json")).unwrap();
        // The API names its account certificates `GetAccount` too.
        upstream["paths"]["/v1/{id}/certificates"] =
            json!({ "get": { "operationId": "GetAccount", "responses": { "200": { "description": "" } } } });
        let doc = assemble(Some(upstream), &spec.base(), &spec.parts().unwrap()).unwrap();
        assert_eq!(doc["paths"]["/v1/{accountId}"]["get"]["operationId"], "get_account", "the project's name stays");
        assert_eq!(doc["paths"]["/v1/{id}/certificates"]["get"]["operationId"], "get_v1_id_certificates");
    }

    #[test]
    fn parts_that_disagree_fail() {
        let dir = fixtures().join("conflict");
        let err =
            assemble(None, &dir.join("base.json"), &json_files(&dir.join("parts")).unwrap()).unwrap_err().to_string();
        assert!(err.contains("components/schemas/Account is defined differently in"), "{err}");
        assert!(err.contains("a.json") && err.contains("b.json"), "{err}");
        assert!(err.contains("operation GET /v1"), "{err}");
        assert!(!err.contains("components/parameters/accountId"), "identical definitions are fine: {err}");
    }

    #[test]
    fn imports_merge_and_rename_disagreeing_components() {
        let first = json!({
            "openapi": "3.0.3", "info": { "title": "A", "version": "1" },
            "paths": { "/a": { "get": { "operationId": "a", "responses": { "200": { "description": "",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Link" } } } } } } } },
            "components": { "schemas": { "Link": { "type": "object", "properties": { "href": { "type": "string" } } } } }
        });
        let second = json!({
            "swagger": "2.0", "info": { "title": "B", "version": "1" },
            "paths": { "/b": { "get": { "operationId": "b", "responses": { "200": { "description": "", "schema": { "$ref": "#/definitions/Link" } } } } } },
            "definitions": { "Link": { "type": "object", "properties": { "rel": { "type": "string" } } } }
        });
        let doc = merge_imports(vec![("first".into(), first), ("second".into(), second)]).unwrap();
        assert_eq!(doc["info"]["title"], "A");
        assert_eq!(
            doc["paths"]["/b"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Link2"
        );
        assert_eq!(doc["components"]["schemas"]["Link2"]["properties"]["rel"]["type"], "string");
        assert_eq!(doc["components"]["schemas"]["Link"]["properties"]["href"]["type"], "string");
    }

    #[test]
    fn a_renamed_component_takes_a_name_free_in_both_imports() {
        let schema = |property: &str| json!({ "type": "object", "properties": { property: { "type": "string" } } });
        let doc = |schemas: Value, used: &str| {
            json!({ "openapi": "3.0.3", "info": {}, "paths": { format!("/{used}"): { "get": { "responses": { "200": {
                "description": "", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{used}") } } }
            } } } } }, "components": { "schemas": schemas } })
        };
        let first = doc(json!({ "Link": schema("href") }), "Link");
        // The second group already has a `Link2` of its own, and refers to its `Link` percent-encoded.
        let mut second = doc(json!({ "Link": schema("rel"), "Link2": schema("name") }), "Link2");
        second["paths"]["/other"] = json!({ "get": { "responses": { "200": { "description": "",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/%4Cink" } } } } } } });
        let merged = merge_imports(vec![("first".into(), first), ("second".into(), second)]).unwrap();
        let schemas = merged["components"]["schemas"].as_object().unwrap();
        assert_eq!(schemas.keys().collect::<Vec<_>>(), ["Link", "Link3", "Link2"], "nothing dropped");
        assert_eq!(schemas["Link"], schema("href"));
        assert_eq!(schemas["Link2"], schema("name"), "the second group's own Link2 is untouched");
        assert_eq!(schemas["Link3"], schema("rel"));
        let reference = |path: &str| {
            merged["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].clone()
        };
        assert_eq!(reference("/Link2"), "#/components/schemas/Link2");
        assert_eq!(reference("/other"), "#/components/schemas/Link3");
    }

    #[test]
    fn differing_path_level_parameters_move_into_the_operations() {
        let param = |name: &str, place: &str| json!({ "name": name, "in": place, "required": place == "path", "schema": { "type": "string" } });
        let doc = |params: Value, method: &str| {
            json!({ "openapi": "3.0.3", "info": {}, "paths": { "/v1/{accountId}/drafts": {
                "parameters": params,
                method: { "operationId": method, "responses": {} }
            } } })
        };
        let first = doc(json!([param("accountId", "path")]), "get");
        let second = doc(json!([param("accountId", "path"), param("X-Kontur-Request-Id", "header")]), "post");
        let merged = merge_imports(vec![("first".into(), first), ("second".into(), second)]).unwrap();
        let item = &merged["paths"]["/v1/{accountId}/drafts"];
        assert!(item.get("parameters").is_none());
        assert_eq!(item["get"]["parameters"], json!([param("accountId", "path")]));
        assert_eq!(
            item["post"]["parameters"],
            json!([param("accountId", "path"), param("X-Kontur-Request-Id", "header")])
        );

        let described =
            |text: &str| json!({ "openapi": "3.0.3", "info": {}, "paths": { "/a": { "description": text } } });
        let err = merge_imports(vec![("one".into(), described("x")), ("two".into(), described("y"))]).unwrap_err();
        assert!(err.to_string().contains("two gives path /a a different `description`"), "{err}");
    }

    #[test]
    fn imports_that_disagree_on_an_operation_fail() {
        let doc = |summary: &str| json!({ "openapi": "3.0.3", "info": {}, "paths": { "/a": { "get": { "summary": summary, "responses": {} } } } });
        let err = merge_imports(vec![("one".into(), doc("x")), ("two".into(), doc("y"))]).unwrap_err().to_string();
        assert!(err.contains("two defines GET /a differently"), "{err}");
    }

    #[test]
    fn options_reject_nonsense() {
        let parse = |args: &[&str]| Options::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(parse(&["--check", "--from", "x.json"]).is_err());
        assert!(parse(&["--verify"]).is_err());
        assert!(parse(&["--offline", "--from", "x"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        let options = parse(&["--from", "a.json", "--from", "b.json", "--out", "/tmp/x", "--verify"]).unwrap();
        assert_eq!(options.from, ["a.json", "b.json"]);
        assert!(options.verify);
    }

    /// A scratch spec directory with the fixture's base and parts (no upstream).
    fn scratch_spec(name: &str) -> SpecDir {
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("parts")).unwrap();
        let source = fixtures().join("spec");
        fs::copy(source.join("base.json"), dir.join("base.json")).unwrap();
        for part in json_files(&source.join("parts")).unwrap() {
            fs::copy(&part, dir.join("parts").join(part.file_name().unwrap())).unwrap();
        }
        SpecDir { dir }
    }

    #[test]
    fn an_import_is_stored_then_overlaid() {
        let spec = scratch_spec("import");
        let dir = spec.dir.clone();
        let swagger = fixtures().join("import/swashbuckle.json").display().to_string();
        let import = Options { from: vec![swagger], ..Options::default() };
        assert_eq!(run(&spec, &import).unwrap(), ExitCode::SUCCESS);

        let upstream = read_json(&dir.join("upstream.json")).unwrap();
        assert_eq!(upstream["openapi"], "3.0.3");
        assert_eq!(upstream["paths"]["/v1/{id}/contracts"]["post"]["operationId"], "accounts_add_contract");
        assert!(upstream["components"]["schemas"].get("ContractObject").is_some());

        let doc = read_json(&dir.join("openapi.json")).unwrap();
        // The part's names and corrections win; the import's other operations stay.
        assert_eq!(doc["paths"]["/v1/{accountId}"]["get"]["operationId"], "get_account");
        // Paths the parts do not name keep the import's parameter names.
        let post = &doc["paths"]["/v1/{id}/contracts"]["post"];
        assert_eq!(post["parameters"][0]["name"], "id");
        assert_eq!(
            post["requestBody"]["content"],
            json!({ "application/json": { "schema": { "$ref": "#/components/schemas/ContractObject" } } })
        );
        assert_eq!(post["responses"]["200"]["content"], post["responses"]["201"]["content"]);
        assert_eq!(
            doc["components"]["schemas"]["ContractObject"]["properties"]["kind"]["x-known-values"],
            json!(["usn", "ens"])
        );
        assert_eq!(
            doc["components"]["schemas"]["Account"]["additionalProperties"],
            json!({}),
            "a closed upstream object is opened"
        );

        // What the import wrote is what the committed sources assemble to.
        assert_eq!(run(&spec, &Options { check: true, ..Options::default() }).unwrap(), ExitCode::SUCCESS);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_multipart_upload_stops_the_import_until_a_part_describes_it() {
        let spec = scratch_spec("multipart");
        let dir = spec.dir.clone();
        let groups = ["extern.docflows.json", "extern.drafts.json"];
        let from = groups.iter().map(|g| fixtures().join("swashbuckle").join(g).display().to_string()).collect();
        let import = Options { from, ..Options::default() };
        let err = run(&spec, &import).unwrap_err().to_string();
        assert!(
            err.contains("POST /v1/{accountId}/drafts/{draftId}/documents/{documentId}/signatures/upload (signatures_upload): multipart/form-data"),
            "{err}"
        );
        assert!(err.contains("Transport::send"), "says what to do: {err}");
        assert!(!dir.join("upstream.json").exists() && !dir.join("openapi.json").exists(), "nothing written");

        fs::write(
            dir.join("parts/uploads.json"),
            r#"{ "paths": { "/v1/{accountId}/drafts/{draftId}/documents/{documentId}/signatures/upload": { "post": {
                "requestBody": { "content": { "multipart/form-data": null,
                    "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } } } } } }"#,
        )
        .unwrap();
        assert_eq!(run(&spec, &import).unwrap(), ExitCode::SUCCESS);
        let doc = read_json(&dir.join("openapi.json")).unwrap();
        let body = &doc["paths"]["/v1/{accountId}/drafts/{draftId}/documents/{documentId}/signatures/upload"]["post"]["requestBody"];
        assert_eq!(
            body["content"],
            json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } })
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn check_reports_a_stale_output() {
        let spec = scratch_spec("check");
        let dir = spec.dir.clone();
        let offline = Options { offline: true, ..Options::default() };
        let check_only = Options { check: true, ..Options::default() };
        assert_eq!(run(&spec, &offline).unwrap(), ExitCode::SUCCESS);
        assert_eq!(run(&spec, &check_only).unwrap(), ExitCode::SUCCESS);
        fs::write(dir.join("openapi.json"), "{}\n").unwrap();
        assert_eq!(run(&spec, &check_only).unwrap(), ExitCode::FAILURE);
        fs::remove_dir_all(&dir).unwrap();
    }
}
