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

/// Path words of the API are lowercase letters with dashes (`docflows`, `cloud-sign-confirm`)
/// or version tags (`v1`); everything else (uuids, numbers, codes like `00-87`, percent-encoded
/// values, event cursors like `ae1_143`) is a value the caller supplied.
fn is_id_like(segment: &str) -> bool {
    let is_version = segment.len() <= 3
        && segment.starts_with('v')
        && segment.len() > 1
        && segment[1..].bytes().all(|b| b.is_ascii_digit());
    if is_version {
        return false;
    }
    let is_word = segment.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
        && segment.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    !is_word || uuid::Uuid::try_parse(segment).is_ok()
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
            template("https://extern-api.example/v1/6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11/docflows/0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d?x=1"),
            "/v1/{id}/docflows/{id}"
        );
        assert_eq!(template("http://h/v1/handbooks/control-units/0087"), "/v1/handbooks/control-units/{id}");
        assert_eq!(template("http://h/v1/handbooks/control-units/00-87"), "/v1/handbooks/control-units/{id}");
        assert_eq!(template("http://h/v1/1a2b/drafts/x%20y/cloud-sign-confirm"), "/v1/{id}/drafts/{id}/cloud-sign-confirm");
        assert_eq!(template("http://h/v1"), "/v1");
        assert_eq!(template("http://h/"), "/");
    }
}
