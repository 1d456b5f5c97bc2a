//! plenary-test-support: helpers shared by plenary's integration tests.
//!
//! - [`trace_init`] installs a test-friendly tracing subscriber once (`RUST_LOG`
//!   overrides the default of warnings plus plenary's own crates at info).
//! - [`spawn`] starts a child through the one process supervisor of the project
//!   ([`plenary_lab::supervisor`]): its own process group, readiness by its
//!   `listening on ADDR` line, killed (with its group) when dropped.
//! - [`wait_healthy`] polls `grpc.health.v1.Health` until a service reports SERVING
//!   ([`plenary_lab::health`]): tests wait for readiness by polling, never by sleeping.
//! - [`python::venv_python`] provisions (once per change of its inputs) a venv under the
//!   target directory with the Python SDK and the Python example's requirements.

pub mod python;

pub use plenary_lab::Child;
use plenary_lab::ChildSpec;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// How long a test waits for a child to start: generous, since tests share two cores
/// with builds.
pub const START: Duration = Duration::from_secs(120);

/// Installs a tracing subscriber for tests (idempotent; output is captured per test).
pub fn trace_init() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,plenary=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// Starts `program ARGS` in `dir` with `env` and waits for its `listening on ADDR`.
pub async fn spawn(
    program: impl AsRef<Path>,
    args: &[&str],
    env: &[(&str, &str)],
    dir: &Path,
) -> Result<Child, String> {
    let spec = ChildSpec {
        ready_timeout: START,
        cwd: Some(dir.to_path_buf()),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ChildSpec::new(
            program.as_ref().display().to_string(),
            program.as_ref(),
            args.iter().map(|a| a.to_string()).collect(),
        )
    };
    Child::spawn(spec).await.map_err(|e| e.to_string())
}

/// Polls `service` at `addr` until it reports SERVING (at most `timeout`).
pub async fn wait_healthy(
    addr: SocketAddr,
    service: &str,
    timeout: Duration,
) -> Result<(), String> {
    plenary_lab::health::wait_serving(&format!("http://{addr}"), service, timeout)
        .await
        .map_err(|e| e.to_string())
}
