//! The one process supervisor of plenary: every child process a lab, a remote
//! tournament, a benchmark, a soak or a test starts goes through [`Child::spawn`].
//!
//! A child runs in its own process group (a terminal's Ctrl-C reaches the parent, which
//! stops its children itself, in order), announces readiness by printing
//! `listening on ADDR` on stdout within a deadline, and gets its secrets through the
//! environment, never its command line (`/proc/PID/cmdline` is readable by every user).
//! [`Child::stop`] closes the child's stdin (plenary children exit on that), waits a
//! grace period, then signals the whole group with SIGTERM and finally SIGKILL; dropping
//! a [`Child`] kills its group at once, so no child outlives its owner even on a panic.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

/// How to start a child.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// Name in logs and errors (`delegation RUS`, `chair`, ...).
    pub name: String,
    /// The program.
    pub program: PathBuf,
    /// Its arguments (never secrets).
    pub args: Vec<String>,
    /// Extra environment (secrets go here).
    pub env: Vec<(String, String)>,
    /// How long the child may take to print `listening on ADDR`.
    pub ready_timeout: Duration,
    /// Whether the child's stderr goes to ours (false: discarded).
    pub inherit_stderr: bool,
    /// Working directory (default: ours).
    pub cwd: Option<PathBuf>,
}

impl ChildSpec {
    /// A spec for `program ARGS`, ready within 60 s, stderr inherited.
    pub fn new(name: impl Into<String>, program: impl Into<PathBuf>, args: Vec<String>) -> Self {
        ChildSpec {
            name: name.into(),
            program: program.into(),
            args,
            env: Vec::new(),
            ready_timeout: Duration::from_secs(60),
            inherit_stderr: true,
            cwd: None,
        }
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// Why a child could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The program could not be run.
    #[error("starting {name} ({program})")]
    Exec {
        /// Child name.
        name: String,
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It did not announce an address in time.
    #[error("{name} did not print `listening on ADDR` within {timeout:?}")]
    NotReady {
        /// Child name.
        name: String,
        /// The deadline.
        timeout: Duration,
    },
    /// It exited (or closed stdout) before announcing an address.
    #[error("{name} {how} before printing `listening on ADDR`")]
    Exited {
        /// Child name.
        name: String,
        /// `exited (status)` or `closed its stdout`.
        how: String,
    },
    /// It announced something that is not an address.
    #[error("{name} printed `listening on {got}`, which is not HOST:PORT")]
    BadAddress {
        /// Child name.
        name: String,
        /// What it printed.
        got: String,
    },
}

/// A running child that announced its address. Its process group is killed on drop.
pub struct Child {
    name: String,
    child: tokio::process::Child,
    pid: Option<u32>,
    /// The address it listens on.
    pub addr: SocketAddr,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Child {
    /// Starts a child in its own process group and waits for its `listening on ADDR`.
    pub async fn spawn(spec: ChildSpec) -> Result<Child, SpawnError> {
        let mut cmd = Command::new(&spec.program);
        cmd.args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if spec.inherit_stderr {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .process_group(0);
        if let Some(dir) = &spec.cwd {
            cmd.current_dir(dir);
        }
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let mut child = cmd.spawn().map_err(|source| SpawnError::Exec {
            name: spec.name.clone(),
            program: spec.program.display().to_string(),
            source,
        })?;
        let pid = child.id();
        let out = child.stdout.take().expect("stdout is piped");
        let mut stdout = BufReader::new(out).lines();
        let name = spec.name.clone();
        let announced = tokio::time::timeout(spec.ready_timeout, async {
            while let Ok(Some(line)) = stdout.next_line().await {
                if let Some(a) = line.strip_prefix("listening on ") {
                    return Some(a.trim().to_string());
                }
            }
            None
        })
        .await;
        let fail = |e: SpawnError, pid: Option<u32>| {
            kill_group(pid, Signal::SIGKILL);
            Err(e)
        };
        let addr = match announced {
            Err(_) => {
                return fail(
                    SpawnError::NotReady {
                        name,
                        timeout: spec.ready_timeout,
                    },
                    pid,
                );
            }
            Ok(None) => {
                let how = match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
                    Ok(Ok(status)) => format!("exited ({status})"),
                    _ => "closed its stdout".to_string(),
                };
                return fail(SpawnError::Exited { name, how }, pid);
            }
            Ok(Some(a)) => match a.parse::<SocketAddr>() {
                Ok(addr) => addr,
                Err(_) => return fail(SpawnError::BadAddress { name, got: a }, pid),
            },
        };
        Ok(Child {
            name: spec.name,
            child,
            pid,
            addr,
            stdout,
        })
    }

    /// The child's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its process id (also its process group id).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits (at most `timeout`) for a stdout line starting with `prefix`.
    pub async fn wait_line(&mut self, prefix: &str, timeout: Duration) -> Result<String, String> {
        let name = &self.name;
        tokio::time::timeout(timeout, async {
            while let Ok(Some(line)) = self.stdout.next_line().await {
                if line.starts_with(prefix) {
                    return Ok(line);
                }
            }
            Err(format!("{name} exited before printing `{prefix}`"))
        })
        .await
        .map_err(|_| format!("{name} did not print `{prefix}` within {timeout:?}"))?
    }

    /// Sends `signal` to the child's process group (fault injection: SIGSTOP, SIGCONT,
    /// SIGKILL).
    pub fn signal(&self, signal: Signal) {
        kill_group(self.pid, signal);
    }

    /// Kills the child's process group outright (SIGKILL) and waits until the child is
    /// gone, so its address is free again (a chair restarted on the same port).
    pub async fn kill(mut self) {
        kill_group(self.pid, Signal::SIGKILL);
        let _ = self.child.wait().await;
    }

    /// Whether the child has exited (without waiting).
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Stops the child: closes its stdin (plenary children then shut down gracefully),
    /// waits up to `grace`, sends SIGTERM to its group and waits again, then SIGKILL.
    pub async fn stop(mut self, grace: Duration) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
            return;
        }
        kill_group(self.pid, Signal::SIGTERM);
        if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
            return;
        }
        kill_group(self.pid, Signal::SIGKILL);
        let _ = self.child.wait().await;
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // A stopped child has been reaped already; its pid is then no longer ours to
        // signal, which `try_wait` tells.
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            kill_group(self.pid, Signal::SIGKILL);
        }
    }
}

fn kill_group(pid: Option<u32>, signal: Signal) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        let _ = killpg(Pid::from_raw(pid), signal);
    }
}

/// Children stopped together: the first one started (a lab's chair) last, so the
/// others (its delegations) never see it vanish first.
#[derive(Default)]
pub struct Supervisor {
    children: Vec<Child>,
}

impl Supervisor {
    /// No children yet.
    pub fn new() -> Self {
        Supervisor::default()
    }

    /// Adopts a started child.
    pub fn adopt(&mut self, child: Child) -> &mut Child {
        self.children.push(child);
        self.children.last_mut().expect("just pushed")
    }

    /// The children, in start order.
    pub fn children(&self) -> &[Child] {
        &self.children
    }

    /// The children, mutably.
    pub fn children_mut(&mut self) -> &mut [Child] {
        &mut self.children
    }

    /// Takes a child out (say, to restart it).
    pub fn take(&mut self, index: usize) -> Child {
        self.children.remove(index)
    }

    /// Stops every child, each with `grace` to exit by itself: all but the first at
    /// once, then the first.
    pub async fn stop_all(&mut self, grace: Duration) {
        let mut children: Vec<Child> = self.children.drain(..).collect();
        let first = (!children.is_empty()).then(|| children.remove(0));
        futures::future::join_all(children.into_iter().map(|c| c.stop(grace))).await;
        if let Some(c) = first {
            c.stop(grace).await;
        }
    }
}
