//! A request's path without its ids, fit for logs and metrics (few distinct values, no identifiers).

/// `/v1/6b1a…/docflows/0c7e…` → `/v1/{id}/docflows/{id}`. Uuids, numbers and other
/// id-like segments become `{id}`; the query string is left out.
pub(crate) fn path_template(url: &reqwest::Url) -> String {
    let mut template = String::new();
    for segment in url.path().split('/').filter(|segment| !segment.is_empty()) {
        template.push('/');
        if is_id_like(segment) {
            template.push_str("{id}");
        } else {
            template.push_str(segment);
        }
    }
    if template.is_empty() {
        template.push('/');
    }
    template
}

/// Path words of the API are lowercase letters, digits and dashes starting with a letter
/// (`docflows`, `cloud-sign-confirm`, `generate-fuf-3ndfl`, `v1`); everything else (uuids,
/// numbers, codes like `00-87` or `SEDO-TEST`, percent-encoded values, long hex strings)
/// is a value the caller supplied.
fn is_id_like(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    let word_shaped = bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    let hex_shaped = bytes.len() >= 16 && bytes.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
    !word_shaped || hex_shaped
}

#[cfg(test)]
mod tests {
    use super::path_template;

    fn template(url: &str) -> String {
        path_template(&url.parse().unwrap())
    }

    #[test]
    fn ids_become_placeholders() {
        assert_eq!(
            template(
                "https://extern-api.example/v1/6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11/docflows/0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d?x=1"
            ),
            "/v1/{id}/docflows/{id}"
        );
        assert_eq!(template("http://h/v1/handbooks/control-units/0087"), "/v1/handbooks/control-units/{id}");
        assert_eq!(template("http://h/v1/handbooks/control-units/00-87"), "/v1/handbooks/control-units/{id}");
        assert_eq!(
            template("http://h/v1/1a2b/drafts/x%20y/cloud-sign-confirm"),
            "/v1/{id}/drafts/{id}/cloud-sign-confirm"
        );
        assert_eq!(template("http://h/v1"), "/v1");
        assert_eq!(
            template("http://h/v1/abcdef12-3456-4789-8abc-def012345678/generate-fuf-3ndfl"),
            "/v1/{id}/generate-fuf-3ndfl"
        );
        assert_eq!(template("http://h/v1/handbooks/fns-forms"), "/v1/handbooks/fns-forms");
        assert_eq!(template("http://h/v1/x/SEDO-TEST/deadbeefdeadbeefdeadbeef"), "/v1/x/{id}/{id}");
        assert_eq!(template("http://h/"), "/");
    }

    /// Every path of the spec, with ids filled in, comes back as the spec's path with `{id}`s.
    #[test]
    fn every_spec_path_loses_its_ids() {
        let spec_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/openapi.json");
        let spec: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(spec_file).unwrap()).unwrap();
        let paths = spec["paths"].as_object().expect("paths");
        assert!(!paths.is_empty());
        for path in paths.keys() {
            let mut filled = String::new();
            let mut expected = String::new();
            for segment in path.split('/').filter(|segment| !segment.is_empty()) {
                let is_parameter = segment.starts_with('{');
                filled.push('/');
                filled.push_str(if is_parameter { "0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d" } else { segment });
                expected.push('/');
                expected.push_str(if is_parameter { "{id}" } else { segment });
            }
            assert_eq!(template(&format!("https://extern-api.example{filled}?skip=0")), expected, "{path}");
        }
    }
}
