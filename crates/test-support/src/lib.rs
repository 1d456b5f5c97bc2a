//! plenary-test-support: helpers shared by plenary's integration tests.
//!
//! - [`trace_init`] installs a test-friendly tracing subscriber once (`RUST_LOG`
//!   overrides the default of warnings plus plenary's own crates at info).
//! - [`Spawned::start`] runs a command (usually `env!("CARGO_BIN_EXE_plenary")`), reads
//!   the `listening on ADDR` line it prints and kills it when dropped.
//! - [`wait_healthy`] polls `grpc.health.v1.Health` until a service reports SERVING:
//!   tests wait for readiness by polling, never by sleeping a fixed time.
//! - [`python::venv_python`] provisions (once per change of its inputs) a venv under the
//!   target directory with the Python SDK and the Python example's requirements.

pub mod python;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

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

/// A child process that announced `listening on ADDR`; killed on drop.
pub struct Spawned {
    /// The process (killed on drop).
    pub child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The rest of its standard output, line by line.
    pub stdout: Lines<BufReader<ChildStdout>>,
}

impl Spawned {
    /// Spawns `cmd` with piped stdin/stdout and waits (at most `timeout`) for its
    /// `listening on ADDR` line.
    pub async fn start(mut cmd: Command, timeout: Duration) -> Result<Spawned, String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut stdout = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(timeout, async {
            while let Some(line) = stdout.next_line().await.map_err(|e| e.to_string())? {
                if let Some(a) = line.strip_prefix("listening on ") {
                    return a
                        .trim()
                        .parse::<SocketAddr>()
                        .map_err(|e| format!("bad address `{a}`: {e}"));
                }
            }
            Err("the process exited before listening".to_string())
        })
        .await
        .map_err(|_| "timed out waiting for `listening on`".to_string())??;
        Ok(Spawned {
            child,
            addr,
            stdout,
        })
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits (at most `timeout`) for a stdout line starting with `prefix`.
    pub async fn wait_line(&mut self, prefix: &str, timeout: Duration) -> Result<String, String> {
        tokio::time::timeout(timeout, async {
            while let Some(line) = self.stdout.next_line().await.map_err(|e| e.to_string())? {
                if line.starts_with(prefix) {
                    return Ok(line);
                }
            }
            Err(format!(
                "stdout closed before a line starting with `{prefix}`"
            ))
        })
        .await
        .map_err(|_| format!("timed out waiting for `{prefix}`"))?
    }
}

/// One health check of `service` (`""` = the whole server) at `addr`.
pub async fn health(addr: SocketAddr, service: &str) -> Result<ServingStatus, String> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(1))
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    let r = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_string(),
        })
        .await
        .map_err(|e| e.to_string())?;
    match r.into_inner().status {
        1 => Ok(ServingStatus::Serving),
        2 => Ok(ServingStatus::NotServing),
        _ => Ok(ServingStatus::Unknown),
    }
}

/// Polls `service` at `addr` until it reports SERVING (at most `timeout`).
pub async fn wait_healthy(
    addr: SocketAddr,
    service: &str,
    timeout: Duration,
) -> Result<(), String> {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < timeout {
        match health(addr, service).await {
            Ok(ServingStatus::Serving) => return Ok(()),
            Ok(s) => last = format!("{s:?}"),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!(
        "{addr} `{service}` not healthy after {timeout:?}: {last}"
    ))
}

/// The Python delegation example (`examples/python-delegation`).
pub fn python_example_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/python-delegation")
}

/// Fails (never skips) when python3 or the Python example's dependencies are missing,
/// saying how to install them: CI installs them, so a missing one is a real failure.
pub fn require_python_example() {
    let hint = "install the Python example's dependencies: \
                `python3 -m pip install -r examples/python-delegation/requirements.txt`";
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import grpc, grpc_tools, grpc_health, google.protobuf",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); {hint}"));
    assert!(
        out.status.success(),
        "{hint}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
