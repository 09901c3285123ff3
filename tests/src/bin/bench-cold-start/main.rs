//! `bench-cold-start`: each function's release binary run under a local Lambda Runtime API, beside
//! a hello-world `lambda_http` function built the same way (the floor, `tests/floor`) (issue 16).
//!
//! Per backend ("aws", the default: DynamoDB and Secrets Manager at the moto emulator named by
//! `AUTHBRIDGE_TEST_AWS_ENDPOINT`; "embedded", on request: a SQLite file, for binaries built with
//! the embedded store, which the shipped functions are not), `--rounds` (2) rounds of `--cold`
//! (15) cold starts of every function, each of `--invokes` (20) events. In a round the floor and
//! the functions take turns, each turn beginning one further along the list (the second round in
//! reverse order), so machine noise and what one process leaves behind hit all alike.
//! One uncounted start of each first fills the page cache and the store's schema.
//!
//! A cold start: spawn → the first `GET /invocation/next` (init), the first invoke and the warm
//! ones (hand-over of the event → its answer at the Runtime API), and the process's peak RSS
//! (`VmHWM` after the last answer). The tables give the medians, each beside its ratio to the
//! floor, and the issue's goals with pass/fail marks. The events are in [`functions`].
//!
//! ```sh
//! cargo build --release -p bench-floor -p start-auth -p oauth-return -p client-credentials \
//!     -p login-authenticate -p wp-sync-user -p token-refresh -p token-access -p admin-console
//! cargo run --profile measure -p authbridge-tests --bin bench-cold-start -- \
//!     [--cold 15] [--invokes 20] [--rounds 2] [--backend aws|embedded]... [--function NAME]... \
//!     [--bin-dir target/release]
//! ```
//!
//! The counts also come from `AUTHBRIDGE_BENCH_COLD`, `AUTHBRIDGE_BENCH_INVOKES` and
//! `AUTHBRIDGE_BENCH_ROUNDS`, the folder from `AUTHBRIDGE_BENCH_BIN_DIR`. `infra/bench.sh
//! cold-start` builds everything and runs it.

mod backends;
mod cold_start;
mod functions;
mod report;
mod runtime_api;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use backends::BackendEnv;
use cold_start::Sample;
use functions::Function;
use report::Figures;

/// What the command line asks for.
struct Options {
    cold: usize,
    invokes: usize,
    rounds: usize,
    backends: Vec<String>,
    functions: Vec<String>,
    bin_dir: PathBuf,
}

fn count(flag: &str, var: &str, value: Option<String>, default: usize) -> Result<usize, String> {
    match value.or_else(|| std::env::var(var).ok().filter(|v| !v.is_empty())) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("{flag} / {var}: expected a whole number ≥ 1, got {raw:?}")),
    }
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut cold, mut invokes, mut rounds, mut bin_dir) = (None, None, None, None);
    let (mut backends, mut functions) = (Vec::new(), Vec::new());
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--cold" => cold = Some(value()?),
            "--invokes" => invokes = Some(value()?),
            "--rounds" => rounds = Some(value()?),
            "--bin-dir" => bin_dir = Some(PathBuf::from(value()?)),
            "--backend" => match value()?.as_str() {
                b @ ("aws" | "embedded") => backends.push(b.to_string()),
                other => return Err(format!("--backend: aws or embedded, not {other:?}")),
            },
            "--function" => functions.push(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --cold N, --invokes N, --rounds N, --backend aws|embedded, --function NAME, --bin-dir PATH"
                ));
            }
        }
    }
    let bin_dir =
        match bin_dir.or_else(|| std::env::var_os("AUTHBRIDGE_BENCH_BIN_DIR").map(PathBuf::from)) {
            Some(dir) => dir,
            None => default_bin_dir()?,
        };
    // The processes start in a folder of their own: a relative path would not find them.
    let bin_dir = std::fs::canonicalize(&bin_dir)
        .map_err(|e| format!("the release binaries' folder {}: {e}", bin_dir.display()))?;
    Ok(Options {
        cold: count("--cold", "AUTHBRIDGE_BENCH_COLD", cold, 15)?,
        invokes: count("--invokes", "AUTHBRIDGE_BENCH_INVOKES", invokes, 20)?,
        rounds: count("--rounds", "AUTHBRIDGE_BENCH_ROUNDS", rounds, 2)?,
        backends,
        functions,
        bin_dir,
    })
}

/// `target/release`, beside the profile folder this bench was built into.
fn default_bin_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("locating this bench: {e}"))?;
    exe.parent()
        .and_then(Path::parent)
        .map(|target| target.join("release"))
        .ok_or_else(|| "cannot find the target folder; pass --bin-dir".to_string())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("bench-cold-start: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let options = options()?;
    let mut functions = functions::all();
    if !options.functions.is_empty() {
        functions.retain(|f| options.functions.iter().any(|n| n == f.name));
        if functions.is_empty() {
            return Err(format!("no function named {:?}", options.functions));
        }
    }
    let floor = functions::floor();
    let mut sizes = BTreeMap::new();
    let mut missing = Vec::new();
    for f in std::iter::once(&floor).chain(&functions) {
        match std::fs::metadata(options.bin_dir.join(f.name)) {
            Ok(meta) => {
                sizes.insert(f.name, meta.len());
            }
            Err(_) => missing.push(format!("--bin {}", f.name)),
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "missing release binaries in {}: build them with `cargo build --release {}`",
            options.bin_dir.display(),
            missing.join(" ")
        ));
    }

    let endpoint = std::env::var("AUTHBRIDGE_TEST_AWS_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty());
    // The functions ship without the embedded store (they refuse AUTHBRIDGE_BACKEND=embedded), so
    // "aws" is the deployment's figure; `--backend embedded` is for binaries built with it.
    let backends: Vec<String> = if options.backends.is_empty() {
        if endpoint.is_none() {
            return Err(
                "no AUTHBRIDGE_TEST_AWS_ENDPOINT (the moto emulator): the aws backend needs it; \
                 --backend embedded runs binaries built with the embedded store"
                    .into(),
            );
        }
        vec!["aws".to_string()]
    } else {
        options.backends.clone()
    };

    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "authbridge cold-start benchmark: {} rounds × {} cold starts × {} invokes per function, {cpus} CPUs, release binaries in {}",
        options.rounds,
        options.cold,
        options.invokes,
        options.bin_dir.display()
    );
    let mut total = (0, 0);
    for name in &backends {
        let backend = match name.as_str() {
            "aws" => {
                let endpoint = endpoint.as_deref().ok_or(
                    "--backend aws needs AUTHBRIDGE_TEST_AWS_ENDPOINT (the moto emulator)",
                )?;
                backends::aws(endpoint).await?
            }
            _ => backends::embedded()?,
        };
        let measured = bench_backend(&options, &backend, &floor, &functions).await?;
        let figures = |f: &Function| {
            let mut figures = Figures::of(
                f,
                sizes.get(f.name).copied(),
                measured.samples.get(f.name).map_or(&[][..], Vec::as_slice),
            );
            figures.left_out = measured.skipped.get(f.name).cloned();
            figures
        };
        let floor_figures = figures(&floor);
        let rows: Vec<Figures> = functions.iter().map(figures).collect();
        report::print_table(backend.name, &floor_figures, &rows);
        let (met, checked) = report::print_goals(backend.name, &floor_figures, &rows);
        total = (total.0 + met, total.1 + checked);
    }
    println!();
    println!("{} of {} goals met in all", total.0, total.1);
    Ok(())
}

/// Every cold start of `floor` and `functions` on `backend`.
async fn bench_backend(
    options: &Options,
    backend: &BackendEnv,
    floor: &Function,
    functions: &[Function],
) -> Result<Measured, String> {
    let work = tempfile::tempdir().map_err(|e| format!("a temporary folder: {e}"))?;
    let task_root = work.path().join("task");
    std::fs::create_dir_all(&task_root)
        .map_err(|e| format!("creating {}: {e}", task_root.display()))?;
    let all: Vec<&Function> = std::iter::once(floor).chain(functions).collect();
    let start = |f: &Function, invokes: usize| {
        let bin = options.bin_dir.join(f.name);
        let log = work.path().join(format!("{}.log", f.name));
        let task_root = task_root.clone();
        let f = f.clone();
        async move {
            let result = cold_start::run(&bin, &f, backend, invokes, &task_root, &log).await;
            result.map_err(|e| cold_start::Failure {
                initialised: e.initialised,
                message: format!("{}\n{}", e.message, tail(&log)),
            })
        }
    };

    // A function that cannot start on this backend (say, built without its store) is left out
    // of it with the reason; the floor must start.
    eprintln!("{}: one uncounted start of each", backend.name);
    let mut skipped = BTreeMap::new();
    for f in all.iter().copied() {
        if let Err(e) = start(f, 1).await {
            if f.name == floor.name || e.initialised {
                return Err(e.message);
            }
            eprintln!("{}: {} left out: {}", backend.name, f.name, e.message);
            skipped.insert(
                f.name,
                last_line(&work.path().join(format!("{}.log", f.name))),
            );
        }
    }
    let all: Vec<&Function> = all
        .into_iter()
        .filter(|f| !skipped.contains_key(f.name))
        .collect();
    let mut samples: BTreeMap<&'static str, Vec<Sample>> = BTreeMap::new();
    for round in 0..options.rounds {
        eprintln!(
            "{}: round {} of {} ({} cold starts of each)",
            backend.name,
            round + 1,
            options.rounds,
            options.cold
        );
        let mut order = all.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        // Each turn begins one further along, so that every function follows every other about
        // equally often and whatever one start leaves behind falls on all alike.
        for turn in 0..options.cold {
            for i in 0..order.len() {
                let f = order[(turn + i) % order.len()];
                let sample = start(f, options.invokes).await.map_err(|e| e.message)?;
                samples.entry(f.name).or_default().push(sample);
            }
        }
    }
    Ok(Measured { samples, skipped })
}

/// What one backend's runs gave.
struct Measured {
    /// Every cold start, by function name.
    samples: BTreeMap<&'static str, Vec<Sample>>,
    /// The functions that did not start on this backend, with the last line they wrote.
    skipped: BTreeMap<&'static str, String>,
}

/// The last line a process wrote (a function's error at init), shortened.
fn last_line(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output");
    line.chars().take(160).collect()
}

/// The last lines a failed process wrote.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
