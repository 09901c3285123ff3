//! Journal entries as `audit` and `connections history` show them: newest first, never a secret
//! (an entry holds none).

use authbridge::domain::JournalEntry;
use serde::Serialize;

use crate::output::{Row, or_none, rfc3339};

/// One entry; in JSON its time is RFC 3339 (UTC).
#[derive(Debug, Serialize)]
pub struct JournalView {
    pub time: String,
    pub subject: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: Option<String>,
    pub address: Option<String>,
    pub summary: String,
}

impl From<JournalEntry> for JournalView {
    fn from(entry: JournalEntry) -> Self {
        JournalView {
            time: rfc3339(entry.time),
            subject: entry.subject.key(),
            kind: entry.kind,
            actor: entry.actor,
            address: entry.address.map(|a| a.to_string()),
            summary: entry.summary,
        }
    }
}

impl Row for JournalView {
    const HEADERS: &'static [&'static str] = &["time", "type", "actor", "address", "summary"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.time.clone(),
            self.kind.clone(),
            or_none(self.actor.as_deref()),
            or_none(self.address.as_deref()),
            self.summary.clone(),
        ]
    }
}
