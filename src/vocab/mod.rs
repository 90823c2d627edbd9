//! The API's vocabularies as open enums: docflow types and statuses, document types, task states,
//! confirm types, event transitions and the rest.
//!
//! Each enum is generated at build time from a named schema of `spec/openapi.json`: one variant
//! per value the spec knows, and `Unknown(String)` for any value the API adds later. A value
//! decodes to its variant, an unknown one keeps its exact text, and both serialise back unchanged.
//!
//! ```
//! use kontur_extern::vocab::{DocflowStatus, DocflowType};
//!
//! let status: DocflowStatus = serde_json::from_str("\"urn:docflow-common-status:delivered\"")?;
//! assert_eq!(status, DocflowStatus::Delivered);
//!
//! let new: DocflowType = serde_json::from_str("\"urn:docflow:fns999-future\"")?;
//! assert_eq!(new, DocflowType::Unknown("urn:docflow:fns999-future".into()));
//! assert_eq!(serde_json::to_string(&new)?, "\"urn:docflow:fns999-future\"");
//! # Ok::<(), serde_json::Error>(())
//! ```

#[macro_use]
mod macros;

include!(concat!(env!("OUT_DIR"), "/vocab.rs"));

/// The prefix every docflow type has on the wire and lacks in the docflow search filter.
pub const DOCFLOW_TYPE_PREFIX: &str = "urn:docflow:";

impl DocflowType {
    /// The type without `urn:docflow:`, as the docflow search filter (`type=`) takes it.
    ///
    /// ```
    /// use kontur_extern::vocab::DocflowType;
    /// assert_eq!(DocflowType::Fns534Report.short_name(), "fns534-report");
    /// assert_eq!(DocflowType::from_short_name("fns534-demand"), DocflowType::Fns534Demand);
    /// ```
    pub fn short_name(&self) -> &str {
        let value = self.as_str();
        value.strip_prefix(DOCFLOW_TYPE_PREFIX).unwrap_or(value)
    }

    /// The type from its full URN or from its short name (`fns534-report`).
    pub fn from_short_name(name: &str) -> Self {
        if name.starts_with(DOCFLOW_TYPE_PREFIX) { Self::parse(name) } else { Self::parse(&format!("{DOCFLOW_TYPE_PREFIX}{name}")) }
    }
}

/// The prefix every document type has on the wire and lacks where the API asks for a reply's type.
pub const DOCUMENT_TYPE_PREFIX: &str = "urn:document:";

impl DocumentType {
    /// The type without `urn:document:`, as `generate-reply?documentType=` takes it.
    pub fn short_name(&self) -> &str {
        let value = self.as_str();
        value.strip_prefix(DOCUMENT_TYPE_PREFIX).unwrap_or(value)
    }
}
