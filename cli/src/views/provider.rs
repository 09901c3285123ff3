//! A provider as `providers list` shows it.

use serde::Serialize;

use crate::output::Row;

/// A provider's name (what a client's `--provider` names) and title.
#[derive(Debug, Serialize)]
pub struct ProviderView {
    pub name: String,
    pub title: String,
}

impl Row for ProviderView {
    const HEADERS: &'static [&'static str] = &["name", "title"];

    fn cells(&self) -> Vec<String> {
        vec![self.name.clone(), self.title.clone()]
    }
}

/// A provider and the quirks it uses, as `providers table` shows it.
#[derive(Debug, Serialize)]
pub struct ProviderQuirksView {
    pub name: String,
    pub title: String,
    /// The catalogue's one-line summary of each quirk.
    pub quirks: Vec<String>,
}

impl Row for ProviderQuirksView {
    const HEADERS: &'static [&'static str] = &["name", "title", "quirks"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.title.clone(),
            self.quirks.join("\n"),
        ]
    }
}
