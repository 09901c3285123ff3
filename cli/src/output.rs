//! How results reach standard output: a table for people, or with `--json` one JSON document per
//! command for scripts. Commands hand over typed views ([`Row`], [`Record`]); this module decides
//! the form.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use authbridge::clock::Epoch;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::CliError;

mod table;

/// One line of a list: the JSON of a list is an array of these, the table has one row per item.
pub trait Row: Serialize {
    /// The column titles, in the order of [`Row::cells`].
    const HEADERS: &'static [&'static str];
    /// The cells of this item's row.
    fn cells(&self) -> Vec<String>;
}

/// One item shown on its own: a JSON object, or a table of `field | value` lines.
pub trait Record: Serialize {
    /// The labelled values, in display order.
    fn fields(&self) -> Vec<(&'static str, String)>;
}

/// Where and in which form results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    /// Tables, or JSON when `json` is set.
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Prints a list: a JSON array, or a table with a header row.
    pub fn list<T: Row>(&self, items: &[T]) -> Result<(), CliError> {
        if self.json {
            return self.json_document(&items);
        }
        let rows = items.iter().map(Row::cells).collect::<Vec<_>>();
        write_stdout(&table::with_header(T::HEADERS, rows))
    }

    /// Prints one item: a JSON object, or a table of its fields.
    pub fn record<T: Record>(&self, item: &T) -> Result<(), CliError> {
        if self.json {
            return self.json_document(item);
        }
        write_stdout(&table::fields(item.fields()))
    }

    /// Prints the outcome of an action: `json` as the document, or `text` as one line.
    pub fn outcome(&self, json: &impl Serialize, text: &str) -> Result<(), CliError> {
        if self.json {
            return self.json_document(json);
        }
        write_stdout(&format!("{text}\n"))
    }

    fn json_document(&self, value: &impl Serialize) -> Result<(), CliError> {
        let mut text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::Output(std::io::Error::other(e)))?;
        text.push('\n');
        write_stdout(&text)
    }
}

/// Whether notes are JSON (`--json`), set once by `main`.
static JSON_NOTES: AtomicBool = AtomicBool::new(false);

/// Makes [`note`] print JSON documents (with `--json`, so standard error stays machine-readable).
pub fn notes_as_json(json: bool) {
    JSON_NOTES.store(json, Ordering::Relaxed);
}

/// Something the user should know that is not an error, on standard error: `note: <text>`, or
/// with `--json` `{"note": <text>}`.
pub fn note(text: &str) {
    if JSON_NOTES.load(Ordering::Relaxed) {
        eprintln!("{}", serde_json::json!({ "note": text }));
    } else {
        eprintln!("note: {text}");
    }
}

/// Writes everything at once; a closed pipe (`authbridge ... | head`) is not an error.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Output(e)),
        _ => Ok(()),
    }
}

/// An epoch time as RFC 3339 in UTC (`2025-01-31T12:00:00Z`); the bare number when out of range.
pub fn rfc3339(epoch: Epoch) -> String {
    OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| epoch.to_string())
}

/// For `#[serde(serialize_with = "output::epoch_json")]`: an epoch time in JSON as RFC 3339.
pub fn epoch_json<S: serde::Serializer>(epoch: &Epoch, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*epoch))
}

/// [`epoch_json`] for an optional time; `null` when absent.
pub fn opt_epoch_json<S: serde::Serializer>(
    epoch: &Option<Epoch>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match epoch {
        Some(epoch) => s.serialize_str(&rfc3339(*epoch)),
        None => s.serialize_none(),
    }
}

/// How an absent value is shown in a table.
pub const NONE: &str = "-";

/// `value`, or [`NONE`].
pub fn or_none(value: Option<&str>) -> String {
    value.unwrap_or(NONE).to_string()
}

/// `yes` or `no`.
pub fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_utc_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string());
    }
}
