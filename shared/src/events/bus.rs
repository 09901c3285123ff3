//! Delivering events: to EventBridge and to the webhook. Built once at cold start; every failure is
//! logged and swallowed, so a delivery never fails the request that caused the event.
//!
//! A delivery takes at most what is left of the invocation ([`crate::deadline::budget`]): each
//! webhook attempt waits at most [`WEBHOOK_TIMEOUT`] or what is left, whichever is shorter, and no
//! attempt or pause between attempts starts when nothing is left. Without an invocation deadline
//! (the CLI, the local stack) the whole delivery is bounded by [`DELIVERY_CAP`].

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use url::Url;

use super::Event;
use super::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_all};
use crate::clock;
use crate::config::EventSettings;
use crate::secrets::SecretStore;
use crate::store::JournalStore;

/// The EventBridge `source` of every event.
pub const SOURCE: &str = "authbridge";
/// Attempts per webhook delivery (the first and two retries).
pub const WEBHOOK_ATTEMPTS: u32 = 3;
/// Each webhook attempt may take this long.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest a delivery to both destinations takes: every webhook attempt and pause, with room
/// for EventBridge.
pub const DELIVERY_CAP: Duration = Duration::from_secs(8);

/// The pause before webhook attempt `attempt + 1`.
fn pause_after(attempt: u32) -> Duration {
    Duration::from_millis(200 * u64::from(attempt))
}

/// Where events go; nowhere by default.
#[derive(Clone, Default)]
pub struct Events {
    bus: Option<(aws_sdk_eventbridge::Client, String)>,
    webhook: Option<Webhook>,
    /// The journal every event is also written to (the audit trail, connections' histories).
    journal: Option<Arc<dyn JournalStore>>,
}

#[derive(Clone)]
struct Webhook {
    url: Url,
    secret: String,
    secrets: Arc<dyn SecretStore>,
    http: reqwest::Client,
}

impl Events {
    /// The deliveries `settings` ask for. `eventbridge` is the client when the backend is AWS (the
    /// bus is used only then); `secrets` holds the webhook's signing key.
    pub fn new(
        settings: &EventSettings,
        eventbridge: Option<aws_sdk_eventbridge::Client>,
        secrets: Arc<dyn SecretStore>,
    ) -> Self {
        let bus = match (&settings.bus, eventbridge) {
            (Some(bus), Some(client)) => Some((client, bus.clone())),
            (Some(_), None) => {
                tracing::warn!(
                    "AUTHBRIDGE_EVENT_BUS is set but the backend is not AWS; no events go to EventBridge"
                );
                None
            }
            _ => None,
        };
        let webhook = match (&settings.webhook_url, &settings.webhook_secret) {
            (Some(url), Some(secret)) => crate::tls::process()
                .reqwest_builder()
                .timeout(WEBHOOK_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| tracing::warn!(error = %e, "no webhook client; no events go to the webhook"))
                .ok()
                .map(|http| Webhook {
                    url: url.clone(),
                    secret: secret.clone(),
                    secrets,
                    http,
                }),
            _ => None,
        };
        Events {
            bus,
            webhook,
            journal: None,
        }
    }

    /// These deliveries, and every event also appended to `journal` (whether or not a bus or a
    /// webhook is configured).
    pub fn with_journal(mut self, journal: Arc<dyn JournalStore>) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Whether any delivery is configured.
    pub fn enabled(&self) -> bool {
        self.bus.is_some() || self.webhook.is_some()
    }

    /// Appends `event` to the journal, then delivers it everywhere configured, within what is
    /// left of the invocation. Never fails: a failure, or an event given up for lack of time, is
    /// logged.
    pub async fn publish(&self, event: Event) {
        if let Some(journal) = &self.journal
            && let Err(e) = journal.append_entry(&event.journal_entry()).await
        {
            tracing::warn!(event = event.kind.name(), error = %e, "an event was not written to the journal");
        }
        if !self.enabled() {
            return;
        }
        // What the event is about (a tag or a user id), for the log line of an event given up.
        let about = match (&event.tag, &event.user_id) {
            (Some(tag), _) => tag.to_string(),
            (None, Some(user)) => user.to_string(),
            (None, None) => "-".to_string(),
        };
        let about = about.as_str();
        let name = event.kind.name();
        let Some(budget) = crate::deadline::budget(DELIVERY_CAP) else {
            tracing::warn!(
                event = name,
                about,
                "an event was not delivered: the invocation's time ran out"
            );
            return;
        };
        if tokio::time::timeout(budget, self.deliver(event))
            .await
            .is_err()
        {
            let budget_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX);
            tracing::warn!(
                event = name,
                about,
                budget_ms,
                "an event was not delivered: the invocation's time ran out"
            );
        }
    }

    async fn deliver(&self, event: Event) {
        let body = match serde_json::to_string(&event) {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(error = %e, "an event could not be encoded");
                return;
            }
        };
        let name = event.kind.name();
        if let Some((client, bus)) = &self.bus {
            deliver_to_bus(client, bus, name, &body).await;
        }
        if let Some(webhook) = &self.webhook {
            webhook.deliver(name, &body).await;
        }
    }
}

async fn deliver_to_bus(client: &aws_sdk_eventbridge::Client, bus: &str, name: &str, body: &str) {
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(SOURCE)
        .detail_type(name)
        .detail(body)
        .build();
    match client.put_events().entries(entry).send().await {
        Ok(out) if out.failed_entry_count() == 0 => {}
        Ok(out) => {
            let code = out
                .entries()
                .iter()
                .find_map(|e| e.error_code())
                .unwrap_or("unknown");
            tracing::warn!(event = name, code, "EventBridge refused an event");
        }
        Err(e) => {
            tracing::warn!(event = name, error = %crate::aws::explain(&e), "an event did not reach EventBridge");
        }
    }
}

impl Webhook {
    /// POSTs the signed body, retrying a failure or a 5xx a bounded number of times.
    async fn deliver(&self, name: &str, body: &str) {
        // The current key, and the previous one while its rotation is pending.
        let keys = match crate::secrets::rotation::versions(self.secrets.as_ref(), &self.secret)
            .await
        {
            Ok(Some(keys)) => keys,
            Ok(None) => {
                tracing::warn!(secret = %self.secret, "the webhook's signing secret is missing; the event is not sent");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the webhook's signing secret could not be read; the event is not sent");
                return;
            }
        };
        for attempt in 1..=WEBHOOK_ATTEMPTS {
            let Some(timeout) = crate::deadline::budget(WEBHOOK_TIMEOUT) else {
                tracing::warn!(
                    event = name,
                    attempts = attempt - 1,
                    "an event did not reach the webhook: the invocation's time ran out"
                );
                return;
            };
            let timestamp = clock::now();
            let signature = sign_all(
                keys.in_order().map(|k| k.expose_secret().as_bytes()),
                timestamp,
                body.as_bytes(),
            );
            let result = self
                .http
                .post(self.url.clone())
                .header("content-type", "application/json")
                .header(TIMESTAMP_HEADER, timestamp.to_string())
                .header(SIGNATURE_HEADER, signature)
                .body(body.to_string())
                .timeout(timeout)
                .send()
                .await;
            let retry = match result {
                Ok(r) if r.status().is_success() => return,
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    format!("HTTP {}", r.status().as_u16())
                }
                Ok(r) => {
                    tracing::warn!(
                        event = name,
                        status = r.status().as_u16(),
                        "the webhook refused an event"
                    );
                    return;
                }
                Err(e) => e.without_url().to_string(),
            };
            let pause = pause_after(attempt);
            // A pause is worth taking only when an attempt can follow it.
            let time_left =
                crate::deadline::budget(WEBHOOK_TIMEOUT + pause).is_some_and(|left| left > pause);
            if attempt == WEBHOOK_ATTEMPTS || !time_left {
                tracing::warn!(event = name, attempts = attempt, reason = %retry, "an event did not reach the webhook");
                return;
            }
            tokio::time::sleep(pause).await;
        }
    }
}
