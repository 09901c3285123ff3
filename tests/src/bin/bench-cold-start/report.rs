//! Medians of the samples, and the tables: one per backend, every figure beside its ratio to the
//! floor, then the goals with pass/fail marks.

use std::time::Duration;

use crate::cold_start::Sample;
use crate::functions::Function;

/// Init of every function at most this many times the floor's.
pub const INIT_GOAL: f64 = 1.5;
/// First and warm invoke of a request that touches no store at most this many times the floor's.
pub const INVOKE_GOAL: f64 = 1.5;
/// Every release binary at most this many bytes (8 MB).
pub const BINARY_GOAL: u64 = 8_000_000;

/// The medians of one function's cold starts on one backend.
#[derive(Debug, Clone)]
pub struct Figures {
    pub name: &'static str,
    pub request: &'static str,
    pub touches_store: bool,
    /// A second floor, shown but not held to the goals.
    pub reference: bool,
    pub binary_bytes: Option<u64>,
    pub cold_starts: usize,
    pub init: Duration,
    pub first: Duration,
    pub warm: Duration,
    pub peak_rss_kib: Option<u64>,
    /// Why the function was not run on this backend (it did not start), if it was not.
    pub left_out: Option<String>,
}

impl Figures {
    /// The medians of `samples` (init, first invoke, every warm invoke, peak RSS).
    pub fn of(function: &Function, binary_bytes: Option<u64>, samples: &[Sample]) -> Self {
        let rss: Vec<u64> = samples.iter().filter_map(|s| s.peak_rss_kib).collect();
        Figures {
            name: function.name,
            request: function.request,
            touches_store: function.touches_store,
            reference: function.reference,
            binary_bytes,
            cold_starts: samples.len(),
            init: median(samples.iter().map(|s| s.init).collect()),
            first: median(samples.iter().map(|s| s.first).collect()),
            warm: median(
                samples
                    .iter()
                    .flat_map(|s| s.warm.iter().copied())
                    .collect(),
            ),
            peak_rss_kib: (!rss.is_empty()).then(|| median(rss)),
            left_out: None,
        }
    }
}

/// The middle value (the upper one of an even count); the default of an empty list.
fn median<T: Ord + Copy + Default>(mut values: Vec<T>) -> T {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn ratio(value: f64, floor: f64) -> f64 {
    if floor > 0.0 { value / floor } else { f64::NAN }
}

fn with_ratio(text: String, value: f64, floor: f64) -> String {
    format!("{text} (×{:.2})", ratio(value, floor))
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn mebibytes(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Prints the table of `backend`: the floor's row, then each function's with its ratios.
pub fn print_table(backend: &str, floor: &Figures, rows: &[Figures]) {
    println!();
    println!(
        "### {backend}: medians of {} cold starts per function",
        floor.cold_starts
    );
    println!();
    println!("| function | request | binary | init | first invoke | warm | peak RSS |");
    println!("|---|---|--:|--:|--:|--:|--:|");
    for row in std::iter::once(floor).chain(rows) {
        let binary = match (row.binary_bytes, floor.binary_bytes) {
            (Some(b), Some(f)) => with_ratio(megabytes(b), b as f64, f as f64),
            _ => "?".to_string(),
        };
        let rss = match (row.peak_rss_kib, floor.peak_rss_kib) {
            (Some(r), Some(f)) => with_ratio(mebibytes(r), r as f64, f as f64),
            _ => "?".to_string(),
        };
        if let Some(why) = &row.left_out {
            println!(
                "| {} | {} | {binary} | did not start: {} | | | |",
                row.name,
                row.request,
                why.replace('|', "/")
            );
            continue;
        }
        let time = |d: Duration, f: Duration| with_ratio(ms(d), d.as_secs_f64(), f.as_secs_f64());
        println!(
            "| {} | {} | {binary} | {} | {} | {} | {rss} |",
            row.name,
            row.request,
            time(row.init, floor.init),
            time(row.first, floor.first),
            time(row.warm, floor.warm),
        );
    }
}

/// Prints the goals of `backend` with pass/fail marks; returns (goals met, goals checked).
pub fn print_goals(backend: &str, floor: &Figures, rows: &[Figures]) -> (usize, usize) {
    let mut met = 0;
    let mut checked = 0;
    let mut mark = |ok: bool| {
        checked += 1;
        if ok {
            met += 1;
            "pass".to_string()
        } else {
            "FAIL".to_string()
        }
    };
    println!();
    println!(
        "Goals on {backend} (issue 16): init ≤ {INIT_GOAL}× floor; first and warm invoke ≤ {INVOKE_GOAL}× floor for a request that touches no store; binary ≤ {} MB",
        BINARY_GOAL / 1_000_000
    );
    println!();
    println!("| function | init | first invoke | warm | binary |");
    println!("|---|---|---|---|---|");
    for row in rows {
        let within =
            |d: Duration, f: Duration, goal: f64| ratio(d.as_secs_f64(), f.as_secs_f64()) <= goal;
        if row.reference {
            continue;
        }
        let binary = match row.binary_bytes {
            Some(bytes) => mark(bytes <= BINARY_GOAL),
            None => "?".to_string(),
        };
        if row.left_out.is_some() {
            println!("| {} | not run | not run | not run | {binary} |", row.name);
            continue;
        }
        let init = mark(within(row.init, floor.init, INIT_GOAL));
        let (first, warm) = if row.touches_store {
            ("n/a (store)".to_string(), "n/a (store)".to_string())
        } else {
            (
                mark(within(row.first, floor.first, INVOKE_GOAL)),
                mark(within(row.warm, floor.warm, INVOKE_GOAL)),
            )
        };
        println!("| {} | {init} | {first} | {warm} | {binary} |", row.name);
    }
    println!();
    println!("{met} of {checked} goals met on {backend}");
    (met, checked)
}
