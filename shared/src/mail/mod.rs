//! Mail settings for a connection: what a mail fetcher or sender needs besides the token.
//!
//! A provider may carry a mail template (CiviCRM's `mailSettingsTemplate`): for each protocol the
//! server, port, security and a username filled from the token's resource owner, e.g.
//! `{{token.resource_owner.email}}` ([`MailTemplate`]). [`MailTemplate::fill`] turns it, with a
//! token record's resource owner, into [`MailSettings`]; [`xoauth2`] builds the SASL `XOAUTH2`
//! initial response that IMAP and SMTP servers of Microsoft and Google accept.

mod settings;
mod template;

pub use settings::{MailServer, MailSettings, xoauth2};
pub use template::{
    MailProtocol, MailSecurity, MailServerTemplate, MailTemplate, MailTemplateError,
};
