//! `authbridge tokens ...`: the stored token records, as CiviCRM's `OAuthSysToken`. Always the
//! redacted view: whether an access or refresh token is held, never the (sealed) value; except
//! `tokens mail`, whose purpose is to hand a mail client its access token and XOAUTH2 string.

use authbridge::domain::{Owner, Scope, Tag};
use authbridge::oauth::records::TokenView;
use authbridge::store::{PageRequest, TokenStore};
use clap::Subcommand;
use serde_json::json;

use crate::deployment;
use crate::error::CliError;
use crate::output::Output;
use crate::views::TokenOutput;

/// The `tokens` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Lists every token record, or one owner's.
    List {
        /// Only the connections of this owner (as named when they were started).
        #[arg(long)]
        owner: Option<Owner>,
    },
    /// Shows one token record (redacted).
    Show {
        /// The record's tag, e.g. MailSettings:3.
        tag: Tag,
    },
    /// Refreshes a token record now, serialized with every other refresh of it (a rotating
    /// refresh token is never spent twice).
    Refresh {
        /// The record's tag.
        tag: Tag,
    },
    /// Prints the connection's mail settings (IMAP, SMTP) with a fresh access token and each
    /// server's SASL XOAUTH2 initial response, as `GET /tokens/{tag}/mail` answers them.
    Mail {
        /// The record's tag.
        tag: Tag,
    },
    /// Revokes a token record's grant at the provider (when it has a revocation endpoint), unless
    /// another record holds the same account under the same client, then deletes the record even
    /// when the provider refused (and says so); whoever used it must connect again.
    Delete {
        /// The record's tag.
        tag: Tag,
    },
    /// Writes every record again, so each is in the account index that decides whether revoking
    /// one record's grant would end another's. Needed once on DynamoDB after an upgrade, for the
    /// records that are never refreshed (the embedded store does it when it opens the file).
    Reindex,
}

impl TokensCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        match &self {
            TokensCommand::Refresh { tag } => return refresh(tag, out).await,
            TokensCommand::Delete { tag } => return delete(tag, out).await,
            TokensCommand::Mail { tag } => return mail(tag, out).await,
            TokensCommand::Reindex => return reindex(out).await,
            _ => {}
        }
        let app = deployment::app().await?;
        let store = app.stores.tokens.as_ref();
        match self {
            TokensCommand::List { owner } => list(store, owner.as_ref(), out).await,
            TokensCommand::Show { tag } => show(store, &tag, out).await,
            TokensCommand::Delete { tag } => delete(&tag, out).await,
            TokensCommand::Refresh { tag } => refresh(&tag, out).await,
            TokensCommand::Mail { tag } => mail(&tag, out).await,
            TokensCommand::Reindex => reindex(out).await,
        }
    }
}

async fn list(store: &dyn TokenStore, owner: Option<&Owner>, out: &Output) -> Result<(), CliError> {
    let mut tokens = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let got = match owner {
            Some(owner) => store.owner_tokens(owner, &page).await?,
            None => store.list_tokens(&page).await?,
        };
        tokens.extend(
            got.items
                .iter()
                .map(|t| TokenOutput::from(TokenView::from(t))),
        );
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    out.list(&tokens)
}

async fn show(store: &dyn TokenStore, tag: &Tag, out: &Output) -> Result<(), CliError> {
    let record = store
        .get_token(tag)
        .await?
        .ok_or_else(|| CliError::TokenNotFound(tag.to_string()))?;
    out.record(&TokenOutput::from(TokenView::from(&record)))
}

async fn delete(tag: &Tag, out: &Output) -> Result<(), CliError> {
    let ctx = deployment::oauth().await?;
    let released = authbridge::oauth::connections::delete_connection(&ctx, tag)
        .await?
        .ok_or_else(|| CliError::TokenNotFound(tag.to_string()))?;
    let text = match released.held_by() {
        Some(held_by) => format!(
            "deleted token {tag}; its grant is kept at the provider, because {held_by} holds the same account"
        ),
        None if released.revoked() => format!("revoked at the provider and deleted token {tag}"),
        None if released.failure().is_some() => format!(
            "deleted token {tag}, but the provider refused to revoke its grant ({}): it may still be live there",
            released.failure().unwrap_or_default()
        ),
        None => format!("deleted token {tag} (not revoked at the provider)"),
    };
    out.outcome(
        &json!({
            "tag": tag,
            "deleted": true,
            "revoked": released.revoked(),
            "grant": released.name(),
            "grant_held_by": released.held_by(),
        }),
        &text,
    )
}

/// Writes each record that has an account again (a version-checked write of the record as read):
/// the store adds its account index entry. A record changed meanwhile was written by that change;
/// one whose refresh is in flight is left to it (writing it now would make the refresh's own write
/// lose, and with it a rotated refresh token), and its refresh writes it.
async fn reindex(out: &Output) -> Result<(), CliError> {
    use authbridge::store::StoreError;
    let app = deployment::app().await?;
    let store = app.stores.tokens.as_ref();
    let (mut written, mut changed, mut without) = (0usize, 0usize, 0usize);
    let mut page = PageRequest::first(100);
    loop {
        let got = store.list_tokens(&page).await?;
        for record in &got.items {
            if record.account_key().is_none() {
                without += 1;
                continue;
            }
            if record.leased_by_other("", authbridge::clock::now()) {
                changed += 1;
                continue;
            }
            match store.update_token(record).await {
                Ok(_) => written += 1,
                Err(StoreError::StaleVersion | StoreError::NotFound) => changed += 1,
                Err(e) => return Err(e.into()),
            }
        }
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    out.outcome(
        &json!({"written": written, "changed_meanwhile": changed, "without_account": without}),
        &format!(
            "{written} record(s) written to the account index; {changed} changed or being refreshed meanwhile (indexed by that write); {without} without a provider account"
        ),
    )
}

async fn refresh(tag: &Tag, out: &Output) -> Result<(), CliError> {
    use authbridge::oauth::refresh::{Outcome, Refresher, Want, start_by};
    let ctx = deployment::oauth().await?;
    let answer_by = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let (record, outcome) = Refresher::default()
        .refresh(
            &ctx,
            tag,
            &Scope::everything(),
            Want::Always,
            start_by(&ctx, answer_by),
        )
        .await?;
    if outcome == Outcome::Failed {
        let error = record
            .error
            .as_ref()
            .map_or("unknown error", |e| e.error.as_str());
        return Err(CliError::RefreshFailed {
            tag: tag.clone(),
            error: error.to_string(),
        });
    }
    out.record(&TokenOutput::from(TokenView::from(&record)))
}

async fn mail(tag: &Tag, out: &Output) -> Result<(), CliError> {
    use authbridge::oauth::refresh::{Refresher, start_by};
    let ctx = deployment::oauth().await?;
    let answer_by = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let access = authbridge::oauth::mail::mail_access(
        &ctx,
        &Refresher::default(),
        tag,
        &Scope::everything(),
        start_by(&ctx, answer_by),
    )
    .await?;
    let json = access.to_json();
    let mut text = String::new();
    for server in &access.settings.servers {
        let key = server.protocol.key();
        text.push_str(&format!(
            "{key}: {}:{} ({:?}) as {}\n{key} xoauth2: {}\n",
            server.server,
            server.port,
            server.security,
            server.username,
            json[key]["xoauth2"].as_str().unwrap_or_default(),
        ));
    }
    out.outcome(&json, text.trim_end())
}
