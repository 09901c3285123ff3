//! The journal: one record of what happened, for the audit trail and for a connection's history.
//! An entry names who did what to which subject, when and from where, in words; never a token, a
//! code, a secret or a password.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::clock::Epoch;

/// How long an entry is kept: 90 days. On DynamoDB its `ttl` attribute lets the table expire it;
/// the embedded store prunes expired entries as it writes new ones. Neither lists an expired entry.
pub const RETENTION: Epoch = 90 * 24 * 3600;

/// What an entry is about: entries are listed per subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The connection (token record) with this tag: its history.
    Connection(String),
    /// A user of the login bridge, by id: migrated, synced.
    User(String),
    /// A change an administrator made (clients, secrets, API tokens, users, roles): the audit trail.
    Admin,
}

/// A subject that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a subject is `admin`, `connection:TAG` or `user:ID`")]
pub struct SubjectError;

impl Subject {
    /// The stored key: `admin`, `connection:<tag>` or `user:<id>`. Prefixed, so a tag can never
    /// read as another kind of subject.
    pub fn key(&self) -> String {
        match self {
            Subject::Connection(tag) => format!("connection:{tag}"),
            Subject::User(id) => format!("user:{id}"),
            Subject::Admin => "admin".to_string(),
        }
    }

    /// Reads a stored key (the inverse of [`Subject::key`]).
    pub fn parse(key: &str) -> Result<Self, SubjectError> {
        if key == "admin" {
            return Ok(Subject::Admin);
        }
        match key.split_once(':') {
            Some(("connection", tag)) if !tag.is_empty() => Ok(Subject::Connection(tag.into())),
            Some(("user", id)) if !id.is_empty() => Ok(Subject::User(id.into())),
            _ => Err(SubjectError),
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.key())
    }
}

impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?;
        Subject::parse(&key).map_err(serde::de::Error::custom)
    }
}

/// One entry of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub subject: Subject,
    /// When it happened (epoch seconds).
    pub time: Epoch,
    /// The event's type, e.g. `connection.created` or `admin.client.registered`.
    pub kind: String,
    /// Who did it: an API token's name, `cli:<user>`, a console user, or `authbridge` itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The address the change came from, when it came over the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    /// What happened, in words (client, provider, owner, error code ...). Never a credential.
    pub summary: String,
    /// The microsecond the entry was made, then random digits: orders entries of the same second
    /// as they were made, and makes each key unique.
    pub id: String,
}

impl JournalEntry {
    /// An entry with a fresh id.
    pub fn new(subject: Subject, time: Epoch, kind: &str, summary: String) -> Self {
        let mut random = [0u8; 4];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut random);
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_micros())
            .unwrap_or_default();
        JournalEntry {
            subject,
            time,
            kind: kind.to_string(),
            actor: None,
            address: None,
            summary,
            id: format!("{micros:06}{}", hex::encode(random)),
        }
    }

    /// The key that orders a subject's entries by time (then id): the time zero-padded, so text
    /// order is time order. A page's cursor is the last entry's sort key.
    pub fn sort_key(&self) -> String {
        format!("{:012}#{}", self.time.max(0), self.id)
    }

    /// When the entry may be forgotten.
    pub fn expires_at(&self) -> Epoch {
        self.time.saturating_add(RETENTION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_reads_back_its_key_and_a_tag_never_reads_as_admin() {
        for subject in [
            Subject::Admin,
            Subject::Connection("admin".into()),
            Subject::Connection("mail:3".into()),
            Subject::User("u1".into()),
        ] {
            assert_eq!(Subject::parse(&subject.key()), Ok(subject.clone()));
        }
        assert_eq!(Subject::parse("mail:3"), Err(SubjectError));
        assert_eq!(Subject::parse("connection:"), Err(SubjectError));
    }

    #[test]
    fn sort_keys_order_entries_by_time() {
        let early = JournalEntry::new(Subject::Admin, 999, "admin.x", String::new());
        let late = JournalEntry::new(Subject::Admin, 1000, "admin.x", String::new());
        assert!(early.sort_key() < late.sort_key());
        assert_eq!(late.expires_at(), 1000 + RETENTION);
    }
}
