//! A lab: the chair plus one delegation process per State, on this machine.
//!
//! [`Lab::start`] writes the lab's secrets into a private directory (0700, files 0600:
//! one token per State for the chair, an operator token for starting sessions), starts
//! the chair and waits until it serves, then starts one `plenary delegate` per State
//! (each gets its token in its environment, never on its command line) and waits until
//! every one registered. States played by delegations the user runs (`external`) are
//! registered by the lab under their token, so the user never handles tokens.
//! [`Lab::run`] plays a match on the chair and returns its results; [`Lab::stop`] stops
//! every process (dropping a lab kills them).

use crate::client::{ChairClient, ClientError};
use crate::health;
use crate::supervisor::{Child, ChildSpec, SpawnError, Supervisor};
use plenary_core::metrics::MatchResult;
use plenary_proto::v2;
use plenary_scenarios::MatchPlan;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tracing::info;

/// Environment variable through which a delegation process gets its State's token.
pub const TOKEN_ENV: &str = "PLENARY_TOKEN";

/// How a lab runs.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// The `plenary` binary to start children from.
    pub exe: PathBuf,
    /// Deadline of every question to a delegation, in milliseconds.
    pub timeout_ms: u64,
    /// States played by delegations the user runs: `(State, URL)`.
    pub external: Vec<(String, String)>,
    /// How long a child may take to start (and every State to register).
    pub start_timeout: Duration,
    /// Give up following a session when the chair is silent this long.
    pub stall: Duration,
}

impl LabOptions {
    /// Options with the defaults of `plenary lab`.
    pub fn new(exe: PathBuf, timeout_ms: u64) -> Self {
        LabOptions {
            exe,
            timeout_ms,
            external: Vec::new(),
            start_timeout: Duration::from_secs(120),
            stall: Duration::from_secs(60),
        }
    }
}

/// Why a lab failed.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// Writing the lab's private files failed.
    #[error("preparing the lab's private directory: {0}")]
    Files(#[from] std::io::Error),
    /// A process did not start.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// A process started but never became ready.
    #[error("{0}")]
    NotReady(String),
    /// An external delegation is not usable.
    #[error("--external {state}={url}: {why}")]
    External {
        /// State.
        state: String,
        /// URL.
        url: String,
        /// Why.
        why: String,
    },
    /// Talking to the chair failed.
    #[error(transparent)]
    Chair(#[from] ClientError),
}

/// The lab's secrets, in files only its own user can read.
pub struct Secrets {
    dir: tempfile::TempDir,
    /// Token per State.
    pub tokens: BTreeMap<String, String>,
    /// The operator token.
    pub operator: String,
}

impl Secrets {
    /// Fresh random tokens for `states`, written to a new 0700 directory.
    pub fn new(states: impl IntoIterator<Item = String>) -> std::io::Result<Secrets> {
        let dir = tempfile::Builder::new()
            .prefix("plenary-lab-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()?;
        let tokens: BTreeMap<String, String> =
            states.into_iter().map(|s| (s, random_token())).collect();
        let s = Secrets {
            dir,
            tokens,
            operator: random_token(),
        };
        write_private(&s.tokens_path(), &render_tokens(&s.tokens))?;
        write_private(&s.operator_path(), &format!("{}\n", s.operator))?;
        Ok(s)
    }

    /// The chair's tokens file (`[tokens]` table, 0600).
    pub fn tokens_path(&self) -> PathBuf {
        self.dir.path().join("tokens.toml")
    }

    /// The operator token file (0600).
    pub fn operator_path(&self) -> PathBuf {
        self.dir.path().join("operator-token")
    }

    /// The private directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// A 128-bit random token as 32 hex digits.
pub fn random_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The tokens file format of `plenary chair --tokens`.
pub fn render_tokens(tokens: &BTreeMap<String, String>) -> String {
    let mut out = String::from(
        "# Registration tokens, one per State. Keep this file private (0600).\n[tokens]\n",
    );
    for (state, token) in tokens {
        out.push_str(&format!("{state} = \"{token}\"\n"));
    }
    out
}

/// Writes `text` to a new file only its owner can read and write.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// A running lab.
pub struct Lab {
    secrets: Secrets,
    procs: Supervisor,
    chair_url: String,
    keepers: Vec<tokio::task::JoinHandle<()>>,
    opts: LabOptions,
}

impl Lab {
    /// Starts the chair and every delegation of `plan` (see the module docs).
    pub async fn start(plan: &MatchPlan, opts: LabOptions) -> Result<Lab, LabError> {
        let external: BTreeMap<String, String> = opts.external.iter().cloned().collect();
        let secrets = Secrets::new(plan.scenario.states.iter().map(|s| s.id.clone()))?;
        let mut procs = Supervisor::new();
        let chair = Child::spawn(ChildSpec {
            ready_timeout: opts.start_timeout,
            ..ChildSpec::new(
                "chair",
                &opts.exe,
                vec![
                    "chair".into(),
                    "--listen".into(),
                    "127.0.0.1:0".into(),
                    "--tokens".into(),
                    secrets.tokens_path().display().to_string(),
                    "--operator-token-file".into(),
                    secrets.operator_path().display().to_string(),
                    "--timeout-ms".into(),
                    opts.timeout_ms.to_string(),
                    "--exit-with-stdin".into(),
                ],
            )
        })
        .await?;
        let chair_url = chair.url();
        procs.adopt(chair);
        health::wait_serving(
            &chair_url,
            plenary_proto::SECRETARIAT_SERVICE,
            opts.start_timeout,
        )
        .await
        .map_err(|e| LabError::NotReady(e.to_string()))?;
        let spawns = plan
            .scenario
            .states
            .iter()
            .zip(&plan.strategies)
            .filter(|(s, _)| !external.contains_key(s.id.as_str()))
            .map(|(s, strategy)| {
                let spec = ChildSpec {
                    ready_timeout: opts.start_timeout,
                    ..ChildSpec::new(
                        format!("delegation {}", s.id),
                        &opts.exe,
                        vec![
                            "delegate".into(),
                            "--state".into(),
                            s.id.clone(),
                            "--strategy".into(),
                            strategy.clone(),
                            "--listen".into(),
                            "127.0.0.1:0".into(),
                            "--register".into(),
                            chair_url.clone(),
                            "--exit-with-stdin".into(),
                        ],
                    )
                }
                .env(TOKEN_ENV, secrets.tokens[&s.id].clone());
                let timeout = opts.start_timeout;
                async move {
                    let mut d = Child::spawn(spec).await?;
                    d.wait_line("registered ", timeout)
                        .await
                        .map_err(LabError::NotReady)?;
                    Ok::<_, LabError>(d)
                }
            });
        let mut first_error = None;
        for r in futures::future::join_all(spawns).await {
            match r {
                Ok(d) => {
                    procs.adopt(d);
                }
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        let mut lab = Lab {
            secrets,
            procs,
            chair_url,
            keepers: Vec::new(),
            opts,
        };
        if let Some(e) = first_error {
            lab.stop().await;
            return Err(e);
        }
        // Delegations run by the user: wait until they answer health, then keep them
        // registered under their State's token.
        for (state, url) in &external {
            if let Err(e) = lab.register_external(state, url).await {
                lab.stop().await;
                return Err(e);
            }
        }
        info!(delegations = lab.procs.children().len() - 1, "lab ready");
        Ok(lab)
    }

    async fn register_external(&mut self, state: &str, url: &str) -> Result<(), LabError> {
        let ext = |why: String| LabError::External {
            state: state.to_string(),
            url: url.to_string(),
            why,
        };
        plenary_proto::limits::check_endpoint("url", url).map_err(ext)?;
        health::wait_serving(
            url,
            plenary_proto::DELEGATION_SERVICE,
            self.opts.start_timeout,
        )
        .await
        .map_err(|e| ext(e.to_string()))?;
        let reg = plenary_delegation::Registration {
            chair: self.chair_url.clone(),
            state: state.to_string(),
            endpoint: url.to_string(),
            token: self.secrets.tokens[state].clone(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut tx = Some(tx);
        let keeper = tokio::spawn(async move {
            let r = plenary_delegation::register(
                reg,
                Duration::from_secs(30),
                move |_| {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(());
                    }
                },
                std::future::pending(),
            )
            .await;
            if let Err(e) = r {
                tracing::warn!(%e, "external delegation registration ended");
            }
        });
        self.keepers.push(keeper);
        tokio::time::timeout(self.opts.start_timeout, rx)
            .await
            .map_err(|_| ext("not registered in time".into()))?
            .map_err(|_| ext("the chair refused the registration".into()))?;
        Ok(())
    }

    /// The chair's URL.
    pub fn chair_url(&self) -> &str {
        &self.chair_url
    }

    /// The file holding the operator token (for `plenary session` against this lab).
    pub fn operator_token_file(&self) -> PathBuf {
        self.secrets.operator_path()
    }

    /// The lab's processes (chair first).
    pub fn processes(&mut self) -> &mut Supervisor {
        &mut self.procs
    }

    /// Plays `plan` on the lab's chair and returns its results; `on_event` sees every
    /// event of the session.
    pub async fn run(
        &self,
        plan: &MatchPlan,
        on_event: impl FnMut(&v2::SessionEvent),
    ) -> Result<MatchResult, LabError> {
        let mut client = ChairClient::connect(
            &self.chair_url,
            Some(&self.secrets.operator),
            Duration::from_secs(10),
        )
        .await?;
        Ok(client
            .run(
                plan,
                self.opts.timeout_ms,
                self.opts.start_timeout,
                self.opts.stall,
                on_event,
            )
            .await?)
    }

    /// Stops every process: the delegations, then the chair.
    pub async fn stop(mut self) {
        for k in self.keepers.drain(..) {
            k.abort();
        }
        self.procs.stop_all(Duration::from_secs(3)).await;
    }
}
