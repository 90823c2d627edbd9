//! A request's path without its ids, fit for logs and metrics (few distinct values, no identifiers).

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// What a path segment must percent-encode (WHATWG's path-segment set with `%`): the set
/// `progenitor_client::encode_path` uses.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// `byte` is outside [`PATH_SEGMENT`] and ASCII, so encoding leaves it as it is.
const fn is_left_as_is(byte: u8) -> bool {
    !matches!(byte, 0x00..=0x1f | 0x7f..=0xff | b' ' | b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}' | b'/' | b'%')
}

/// [`is_left_as_is`] for every byte: one load per byte on the path of every call.
static LEFT_AS_IS: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = is_left_as_is(byte as u8);
        byte += 1;
    }
    table
};

/// A path parameter as the generated clients put it into a URL: its `Display` text,
/// percent-encoded as a path segment, written straight into the URL being formatted. The same
/// text as `progenitor_client::encode_path(&value.to_string())` without its two strings per
/// parameter; `build.rs` makes the generated code use it.
#[doc(hidden)]
pub struct PathSegment<'a, T: ?Sized>(pub &'a T);

impl<T: fmt::Display + 'static> fmt::Display for PathSegment<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Most path parameters are ids: their text needs no encoding, and writing it directly
        // skips the formatting machinery. (The type test is decided when the code is compiled.)
        if let Some(id) = (self.0 as &dyn std::any::Any).downcast_ref::<uuid::Uuid>() {
            return f.write_str(id.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()));
        }
        /// Percent-encodes what is written through it. Each byte is encoded on its own, so the
        /// pieces the value is written in do not change the result.
        struct Encoding<'a, 'b>(&'a mut fmt::Formatter<'b>);

        impl fmt::Write for Encoding<'_, '_> {
            fn write_str(&mut self, text: &str) -> fmt::Result {
                // Ids and numbers need no encoding: pass them on whole. (A fold rather than
                // `all`: no branch per byte.)
                if text.bytes().fold(true, |clean, byte| clean & LEFT_AS_IS[usize::from(byte)]) {
                    return self.0.write_str(text);
                }
                utf8_percent_encode(text, PATH_SEGMENT).try_for_each(|piece| self.0.write_str(piece))
            }
        }

        fmt::write(&mut Encoding(f), format_args!("{}", self.0))
    }
}

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
    use proptest::prelude::*;

    use super::{PathSegment, path_template};

    proptest! {
        /// The generated clients' path parameters come out as progenitor would write them.
        #[test]
        fn path_segments_encode_as_progenitor_does(value in any::<String>(), number in any::<i64>(), id in any::<u128>()) {
            prop_assert_eq!(PathSegment(&value).to_string(), progenitor_client::encode_path(&value));
            prop_assert_eq!(PathSegment(&number).to_string(), progenitor_client::encode_path(&number.to_string()));
            let id = uuid::Uuid::from_u128(id);
            prop_assert_eq!(PathSegment(&id).to_string(), progenitor_client::encode_path(&id.to_string()));
        }
    }

    #[test]
    fn every_ascii_character_encodes_as_progenitor_does() {
        for byte in 0u8..=0x7f {
            let text = format!("a{}b", byte as char);
            assert_eq!(PathSegment(&text).to_string(), progenitor_client::encode_path(&text), "{byte:#x}");
        }
    }

    #[test]
    fn path_segments_encode_reserved_characters() {
        let id: uuid::Uuid = "0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d".parse().unwrap();
        assert_eq!(PathSegment(&id).to_string(), "0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d");
        assert_eq!(PathSegment(&"a b/c?d#e%f{g}").to_string(), "a%20b%2Fc%3Fd%23e%25f%7Bg%7D");
        assert_eq!(PathSegment(&"Отчёт").to_string(), "%D0%9E%D1%82%D1%87%D1%91%D1%82");
    }

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
