//! `authbridge keys ...`: the data keys that seal stored tokens. `rotate` makes a new version
//! that every new seal uses; `reseal` rewrites records under it (resumable, in bounded batches);
//! `status` shows each version and how many records it still seals; `retire N` ends a version no
//! record uses. No command ever prints key material.

use authbridge::clock::Epoch;
use authbridge::domain::KeyNumber;
use authbridge::domain::data_key::active;
use authbridge::keys::{Keyring, SealedBy, reseal};
use clap::Subcommand;
use serde::Serialize;

use crate::deployment;
use crate::error::CliError;
use crate::output::{Output, rfc3339};

/// The `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Makes a new key version; every new seal uses it, older versions still open what they sealed.
    Rotate,
    /// Re-seals records under the newest version, going on where the last run (or the sweep)
    /// stopped; safe to interrupt and run again.
    Reseal {
        /// Records per batch (each batch saves where it stopped).
        #[arg(long, default_value_t = 100)]
        batch: u32,
        /// Stop after this many batches (default: run until every record is done).
        #[arg(long)]
        batches: Option<u32>,
    },
    /// Each key version, its state, and how many records it still seals (reads every record).
    Status,
    /// Retires version N: refused while it is the newest, while any record uses it, or within one
    /// key-cache period of the rotation that superseded it. A retired version opens nothing.
    Retire {
        /// The version number.
        #[arg(value_parser = KeyNumber::parse)]
        number: KeyNumber,
    },
}

/// One line of `keys status`.
#[derive(Debug, Serialize)]
pub struct VersionRow {
    /// `1`, `2`, ... or `legacy` for format-1 values.
    pub version: String,
    /// `active`, `previous`, `retired` or `legacy`.
    pub state: &'static str,
    pub wrapped_by: String,
    pub created: Option<String>,
    pub records: u64,
    /// When a re-seal pass under this version went through every record.
    pub resealed: Option<String>,
}

async fn keyring(app: &authbridge::context::AppContext) -> Result<Keyring, CliError> {
    Ok(authbridge::keys::setup::keyring(
        &app.config,
        app.stores.keys.clone(),
        app.secrets.clone(),
        app.sdk.as_ref(),
    )?)
}

fn now() -> Epoch {
    authbridge::clock::now()
}

impl KeysCommand {
    /// Runs the subcommand.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        let app = deployment::app().await?;
        let ring = keyring(&app).await?;
        let tokens = app.stores.tokens.as_ref();
        match self {
            KeysCommand::Rotate => {
                // The first version exists before the second is made.
                ring.active().await?;
                let made = ring.rotate().await?;
                let text = format!(
                    "made key version {} (wrapped by {}); new seals use it from now on, and from \
                     {} s on in functions already running. Re-seal with `authbridge keys reseal` \
                     (the scheduled sweep also re-seals {} records per run).",
                    made.number,
                    made.wrapped_by,
                    ring.cache_ttl().as_secs(),
                    app.config.keys.reseal_batch
                );
                out.outcome(
                    &serde_json::json!({"version": made.number, "wrapped_by": made.wrapped_by}),
                    &text,
                )
            }
            KeysCommand::Reseal { batch, batches } => {
                let mut total = reseal::ResealReport::default();
                let mut runs = 0;
                while batches.is_none_or(|max| runs < max) {
                    let Some(report) = reseal::reseal_next(tokens, &ring, batch, now()).await?
                    else {
                        break;
                    };
                    runs += 1;
                    total.examined += report.examined;
                    total.resealed += report.resealed;
                    total.deferred += report.deferred;
                    total.failed += report.failed;
                    total.next = report.next;
                }
                let done = ring.active_now().await?.resealed_at.is_some();
                let text = format!(
                    "{} records read, {} re-sealed, {} left for a later pass (a refresh held \
                     them), {} failed; {}",
                    total.examined,
                    total.resealed,
                    total.deferred,
                    total.failed,
                    if done {
                        "every record is sealed under the newest version"
                    } else {
                        "run it again to go on"
                    }
                );
                out.outcome(
                    &serde_json::json!({
                        "examined": total.examined, "resealed": total.resealed,
                        "deferred": total.deferred, "failed": total.failed, "complete": done,
                    }),
                    &text,
                )
            }
            KeysCommand::Status => {
                ring.active().await?;
                let versions = ring.reload().await?;
                let usage = reseal::usage(tokens).await?;
                let newest = active(&versions).map(|v| v.number);
                let mut rows: Vec<VersionRow> = versions
                    .iter()
                    .map(|v| VersionRow {
                        version: v.number.to_string(),
                        state: match (v.is_live(), Some(v.number) == newest) {
                            (false, _) => "retired",
                            (true, true) => "active",
                            (true, false) => "previous",
                        },
                        wrapped_by: v.wrapped_by.clone(),
                        created: Some(rfc3339(v.created)),
                        records: usage.of(SealedBy::Version(v.number)),
                        resealed: v.resealed_at.map(rfc3339),
                    })
                    .collect();
                let legacy = usage.of(SealedBy::Legacy);
                if legacy > 0 {
                    rows.insert(
                        0,
                        VersionRow {
                            version: "legacy".into(),
                            state: "legacy",
                            wrapped_by: format!("secret:{}", app.config.token_key_secret),
                            created: None,
                            records: legacy,
                            resealed: None,
                        },
                    );
                }
                out.list(&rows)
            }
            KeysCommand::Retire { number } => {
                let usage = reseal::usage(tokens).await?;
                let retired = ring
                    .retire(number, usage.of(SealedBy::Version(number)), now())
                    .await?;
                out.outcome(
                    &serde_json::json!({"version": retired.number, "retired": true}),
                    &format!(
                        "retired key version {}; its wrapped key is deleted",
                        retired.number
                    ),
                )
            }
        }
    }
}

impl crate::output::Row for VersionRow {
    const HEADERS: &'static [&'static str] = &[
        "version",
        "state",
        "wrapped by",
        "created",
        "records",
        "re-sealed",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.version.clone(),
            self.state.to_string(),
            self.wrapped_by.clone(),
            crate::output::or_none(self.created.as_deref()),
            self.records.to_string(),
            crate::output::or_none(self.resealed.as_deref()),
        ]
    }
}
