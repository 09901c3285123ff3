//! One cold start: spawn a function's release binary under a fresh local Runtime API, time spawn →
//! first poll (init), the first invoke and the warm ones, read its peak RSS, and kill it.

use std::fs::OpenOptions;
use std::future::Future;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::backends::BackendEnv;
use crate::functions::Function;
use crate::runtime_api::RuntimeApi;

/// How long a process may take to initialise or to answer one event before the run fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// What one cold start measured.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Spawn → the first `GET /invocation/next`.
    pub init: Duration,
    /// Hand-over → answer of the first event.
    pub first: Duration,
    /// Hand-over → answer of every later event.
    pub warm: Vec<Duration>,
    /// `VmHWM` after the last answer, in KiB.
    pub peak_rss_kib: Option<u64>,
}

/// A cold start that failed: before the first poll (the function did not start) or after.
#[derive(Debug)]
pub struct Failure {
    /// Whether the process got as far as polling for its first event.
    pub initialised: bool,
    pub message: String,
}

/// Runs `function` once from `bin` on `backend` for `invokes` events (at least one); the process's
/// output is appended to `log`, its working folder is `task_root`.
pub async fn run(
    bin: &Path,
    function: &Function,
    backend: &BackendEnv,
    invokes: usize,
    task_root: &Path,
    log: &Path,
) -> Result<Sample, Failure> {
    let setup = |message: String| Failure {
        initialised: false,
        message,
    };
    let mut api = RuntimeApi::start(function.name)
        .await
        .map_err(|e| setup(format!("starting a local Runtime API: {e}")))?;
    let output = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| setup(format!("opening {}: {e}", log.display())))?;
    let errors = output
        .try_clone()
        .map_err(|e| setup(format!("opening {}: {e}", log.display())))?;
    let mut command = Command::new(bin);
    command
        .env_clear()
        .envs(lambda_env(function, &api.address(), task_root))
        .envs(backend.vars.iter().map(|(k, v)| (k, v)))
        .current_dir(task_root)
        .stdin(Stdio::null())
        .stdout(output)
        .stderr(errors);

    let spawned = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| setup(format!("starting {}: {e}", bin.display())))?;
    let mut initialised = false;
    let result = measure(
        &mut child,
        &mut api,
        function,
        invokes,
        spawned,
        &mut initialised,
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result.map_err(|e| Failure {
        initialised,
        message: format!(
            "{} on {}: {e} (its output: {})",
            function.name,
            backend.name,
            log.display()
        ),
    })
}

async fn measure(
    child: &mut Child,
    api: &mut RuntimeApi,
    function: &Function,
    invokes: usize,
    spawned: Instant,
    initialised: &mut bool,
) -> Result<Sample, String> {
    let polled = watch(child, api.next_poll()).await??;
    *initialised = true;
    let init = polled - spawned;
    let (first, body) = watch(child, api.invoke(&function.event)).await??;
    function.check(&body)?;
    let mut warm = Vec::with_capacity(invokes.saturating_sub(1));
    for _ in 1..invokes {
        watch(child, api.next_poll()).await??;
        let (took, body) = watch(child, api.invoke(&function.event)).await??;
        function.check(&body)?;
        warm.push(took);
    }
    Ok(Sample {
        init,
        first,
        warm,
        peak_rss_kib: peak_rss_kib(child.id()),
    })
}

/// Awaits `step` unless the process ends first or [`PATIENCE`] runs out.
async fn watch<T>(child: &mut Child, step: impl Future<Output = T>) -> Result<T, String> {
    let started = Instant::now();
    tokio::pin!(step);
    loop {
        tokio::select! {
            value = &mut step => return Ok(value),
            () = tokio::time::sleep(Duration::from_millis(50)) => {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("the process ended ({status})"));
                }
                if started.elapsed() > PATIENCE {
                    return Err(format!("no progress in {} s", PATIENCE.as_secs()));
                }
            }
        }
    }
}

/// The variables Lambda sets for a custom runtime (`provided.al2023`).
fn lambda_env(function: &Function, api: &str, task_root: &Path) -> Vec<(String, String)> {
    let root = task_root.display().to_string();
    let name = function.name;
    [
        ("AWS_LAMBDA_RUNTIME_API", api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            function.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/12/02/[$LATEST]bench".to_string(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_SESSION_TOKEN", "testing".to_string()),
        ("LAMBDA_TASK_ROOT", root.clone()),
        ("LAMBDA_RUNTIME_DIR", root),
        ("_HANDLER", "bootstrap".to_string()),
        ("TZ", ":UTC".to_string()),
        ("LANG", "en_US.UTF-8".to_string()),
        ("PATH", "/usr/local/bin:/usr/bin:/bin".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The process's `VmHWM` (peak resident set) in KiB, from `/proc/<pid>/status` (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
