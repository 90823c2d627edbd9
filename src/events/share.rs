//! Who may read an account's events, and which ones: sharing and event publishers.

use crate::raw::types;
use crate::vocab::DocflowType;

/// Which of an account's events a subscriber may read; [`EventFilter::all`] shares everything.
///
/// ```
/// use kontur_extern::events::EventFilter;
/// use kontur_extern::vocab::DocflowType;
///
/// let filter = EventFilter::all()
///     .docflow_type(DocflowType::Fns534Report)
///     .knd("1151001")
///     .okud("0610016");
/// assert!(!filter.is_everything());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventFilter {
    docflow_types: Vec<DocflowType>,
    forms: Vec<DocumentForm>,
}

/// A report form by its code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocumentForm {
    /// An FNS form, by its KND code (`1151001`).
    Knd(String),
    /// A Rosstat form, by its OKUD code (`0610016`).
    Okud(String),
}

impl EventFilter {
    /// Every event of the account.
    pub fn all() -> Self {
        Self::default()
    }

    /// Also the events of docflows of this type.
    pub fn docflow_type(mut self, docflow_type: DocflowType) -> Self {
        self.docflow_types.push(docflow_type);
        self
    }

    /// Also the events of reports of this FNS form (KND code).
    pub fn knd(mut self, code: impl Into<String>) -> Self {
        self.forms.push(DocumentForm::Knd(code.into()));
        self
    }

    /// Also the events of reports of this Rosstat form (OKUD code).
    pub fn okud(mut self, code: impl Into<String>) -> Self {
        self.forms.push(DocumentForm::Okud(code.into()));
        self
    }

    /// True when nothing narrows the filter: every event is shared.
    pub fn is_everything(&self) -> bool {
        self.docflow_types.is_empty() && self.forms.is_empty()
    }

    /// The docflow types named.
    pub fn docflow_types(&self) -> &[DocflowType] {
        &self.docflow_types
    }

    /// The forms named.
    pub fn forms(&self) -> &[DocumentForm] {
        &self.forms
    }

    /// The wire form; `None` for "everything" (the API then sends every event).
    // Field by field rather than a literal: the generated type may gain fields (such as `extra`).
    #[allow(clippy::field_reassign_with_default)]
    pub fn to_raw(&self) -> Option<types::EventsFilter> {
        if self.is_everything() {
            return None;
        }
        let mut filter = types::EventsFilter::default();
        filter.docflow_types = self.docflow_types.clone();
        filter.document_forms = self.forms.iter().map(DocumentForm::to_raw).collect();
        Some(filter)
    }
}

impl DocumentForm {
    /// The wire form.
    pub fn to_raw(&self) -> types::EventsDocumentForm {
        let mut form = types::EventsDocumentForm::default();
        match self {
            DocumentForm::Knd(code) => form.knd = Some(code.clone()),
            DocumentForm::Okud(code) => form.okud = Some(code.clone()),
        }
        form
    }
}
