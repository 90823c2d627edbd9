//! The few places where answers meet the generated wire types: dates, vocabulary values, links
//! and blank objects. Kept small so that a change of the generated types is a small edit here.

use chrono::{DateTime, FixedOffset, Utc};
use kontur_extern::raw::types::Link;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// A `date-time` field of an answer.
pub fn date<T: From<DateTime<Utc>>>(at: DateTime<Utc>) -> T {
    T::from(at)
}

/// A date the API writes as text in Moscow time without an offset (`send-date` of docflows).
pub fn moscow_text(at: DateTime<Utc>) -> String {
    let moscow = FixedOffset::east_opt(3 * 3600).expect("+03:00 is a valid offset");
    let local = at.with_timezone(&moscow);
    // Seven fractional digits, as the API writes them (chrono formats 3, 6 or 9).
    format!("{}.{:07}", local.format("%Y-%m-%dT%H:%M:%S"), local.timestamp_subsec_nanos() % 1_000_000_000 / 100)
}

/// A date the API writes in Moscow time without an offset (`send-date` of docflows), as a wire date
/// that keeps that text.
pub fn moscow_date(at: DateTime<Utc>) -> kontur_extern::ExternDateTime {
    kontur_extern::ExternDateTime::parse(&moscow_text(at)).unwrap_or_else(|_| at.into())
}

/// A value of a vocabulary (docflow type, status, task state, ...).
pub fn vocab<T: From<String>>(value: &str) -> T {
    T::from(value.to_owned())
}

/// A wire object with only its id set; the caller fills the rest field by field. Going through
/// serde keeps this independent of which fields the generated type has.
pub fn with_id<T: DeserializeOwned>(id: Uuid) -> T {
    serde_json::from_value(serde_json::json!({ "id": id }))
        .expect("wire objects built with with_id need no field but the id")
}

/// A link to a resource of the sandbox.
pub fn link(href: String, rel: &str) -> Link {
    Link { href: Some(href), rel: Some(rel.to_owned()), ..blank() }
}

/// A link with a name (reply links name the document type to generate).
pub fn named_link(href: String, rel: &str, name: &str) -> Link {
    Link { name: Some(name.to_owned()), ..link(href, rel) }
}

/// A wire object with every field absent.
pub fn blank<T: DeserializeOwned>() -> T {
    serde_json::from_value(serde_json::json!({})).expect("wire objects built with blank have no required field")
}

/// JSON of an answer.
pub fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Bytes as a base64 wire value.
pub fn base64<T: From<String>>(bytes: &[u8]) -> T {
    use base64::Engine;
    T::from(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn moscow_text_has_seven_fractional_digits_and_no_offset() {
        let at =
            chrono::DateTime::parse_from_rfc3339("2020-02-26T06:51:08.4636938Z").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(super::moscow_text(at), "2020-02-26T09:51:08.4636938");
    }
}
