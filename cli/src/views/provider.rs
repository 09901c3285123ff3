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
