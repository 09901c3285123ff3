//! Every event as a journal entry: under its connection's tag, its user, or `admin`, with a
//! summary in words of the event's own fields (which never hold a credential).

use super::{Event, EventKind};
use crate::domain::{JournalEntry, Subject};

impl Event {
    /// What the journal keeps of this event.
    pub fn journal_entry(&self) -> JournalEntry {
        let subject = match (&self.kind, &self.tag, &self.user_id) {
            (EventKind::Admin(_), _, _) => Subject::Admin,
            (_, Some(tag), _) => Subject::Connection(tag.to_string()),
            (_, None, Some(user)) => Subject::User(user.to_string()),
            (_, None, None) => Subject::Admin,
        };
        let text = |value: Option<&dyn std::fmt::Display>| value.map(|v| v.to_string());
        let parts = [
            ("target", self.target.clone()),
            ("client", text(self.client.as_ref().map(|c| c as _))),
            ("provider", self.provider.clone()),
            ("owner", text(self.owner.as_ref().map(|o| o as _))),
            (
                "user",
                text(
                    self.user_id
                        .as_ref()
                        .filter(|_| self.tag.is_some())
                        .map(|u| u as _),
                ),
            ),
            ("error", self.error.clone()),
            ("grant", self.grant.clone()),
            (
                "grant kept by",
                text(self.grant_held_by.as_ref().map(|t| t as _)),
            ),
        ];
        let summary = parts
            .iter()
            .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label} {v}")))
            .collect::<Vec<_>>()
            .join(", ");
        let mut entry = JournalEntry::new(subject, self.time, self.kind.name(), summary);
        entry.actor = self.actor.clone();
        entry.address = self.address;
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::super::AdminAction;
    use super::*;

    #[test]
    fn a_connection_event_goes_under_its_tag_and_an_admin_event_under_admin() {
        let tag = crate::domain::Tag::parse("mail:1").unwrap();
        let owner = crate::domain::Owner::parse("contact:4").unwrap();
        let event = Event::connection(
            EventKind::RefreshFailed,
            &tag,
            &crate::domain::ClientId::stored("c1"),
            1700,
        )
        .with_error(Some("server_error"))
        .with_owner(Some(&owner));
        let entry = event.journal_entry();
        assert_eq!(entry.subject, Subject::Connection("mail:1".into()));
        assert_eq!(entry.kind, "connection.refresh_failed");
        assert_eq!(
            entry.summary,
            "client c1, owner contact:4, error server_error"
        );
        let admin = Event::admin(
            AdminAction::ClientCreated,
            "cli:ada",
            "demo/guid-1",
            Some("192.0.2.7".parse().unwrap()),
            1800,
        );
        let entry = admin.journal_entry();
        assert_eq!(entry.subject, Subject::Admin);
        assert_eq!(entry.kind, "admin.client.created");
        assert_eq!(entry.actor.as_deref(), Some("cli:ada"));
        assert_eq!(entry.address, Some("192.0.2.7".parse().unwrap()));
        assert_eq!(entry.summary, "target demo/guid-1");
        let user = Event::user(
            EventKind::UserMigrated,
            &crate::domain::UserId::from_stored("u1".into()),
            1900,
        )
        .journal_entry();
        assert_eq!(user.subject, Subject::User("u1".into()));
    }
}
