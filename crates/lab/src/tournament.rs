//! The remote tournament executor: every match played through the chair's driver
//! against delegation endpoints, one endpoint per entrant, spawned once.
//!
//! An entrant is a built-in strategy (a `plenary delegate --any-seat` process), an
//! endpoint someone else runs (`[endpoints]` in the config), or a command that starts
//! one (`[commands]`: `name = ["python3", "my_strategy.py", "--listen", "{addr}"]`; the
//! process must print `listening on ADDR` and reads its token from `PLENARY_TOKEN`).
//! Every match of the tournament shares the same links, so an endpoint gets ONE frame
//! per turn carrying the questions of all its seats in all the matches in flight; many
//! matches run at once ([`RemoteOptions::concurrency`]). Results equal the in-process
//! executor's byte for byte, since the spec, the seed and the answers are the same.

use crate::health;
use crate::lab::{LabError, TOKEN_ENV, random_token};
use crate::supervisor::{Child, ChildSpec, Supervisor};
use plenary_chair::{CallConfig, DriveConfig, FixedRoutes, Hub, LinkConfig, Route, run_match};
use plenary_core::MatchResult;
use plenary_tournament::exec::{ExecError, Executor, new_match};
use plenary_tournament::{Catalog, MatchSpec};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::warn;

/// Where an entrant plays from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entrant {
    /// A built-in strategy, served by a spawned `plenary delegate`.
    Builtin,
    /// An endpoint someone else runs.
    Endpoint(String),
    /// A command that starts an endpoint (`{addr}` is replaced by the address to bind).
    Command(Vec<String>),
}

/// How the executor runs.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// The `plenary` binary (for built-in entrants).
    pub exe: PathBuf,
    /// Matches in flight at once.
    pub concurrency: usize,
    /// Deadlines. Generous by default: a tournament's results must not depend on how
    /// busy the machine is.
    pub call: CallConfig,
    /// Working directory of command entrants (the config file's directory).
    pub cwd: Option<PathBuf>,
    /// How long an entrant may take to start.
    pub start_timeout: Duration,
}

impl RemoteOptions {
    /// The defaults: 32 matches in flight, 120 s per question.
    pub fn new(exe: PathBuf) -> Self {
        RemoteOptions {
            exe,
            concurrency: 32,
            call: CallConfig {
                timeout: Duration::from_secs(120),
                connect_timeout: Duration::from_secs(10),
            },
            cwd: None,
            start_timeout: Duration::from_secs(60),
        }
    }
}

/// Runs tournament matches against delegation endpoints.
pub struct RemoteExecutor {
    rt: tokio::runtime::Runtime,
    catalog: Arc<Catalog>,
    routes: BTreeMap<String, Route>,
    hub: Hub,
    procs: Mutex<Supervisor>,
    opts: RemoteOptions,
}

impl RemoteExecutor {
    /// Starts (or checks) one endpoint per entrant.
    pub fn start(
        catalog: Arc<Catalog>,
        entrants: BTreeMap<String, Entrant>,
        opts: RemoteOptions,
    ) -> Result<RemoteExecutor, LabError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let mut procs = Supervisor::new();
        let routes = rt.block_on(async {
            let mut routes = BTreeMap::new();
            for (name, entrant) in &entrants {
                let route = match entrant {
                    Entrant::Endpoint(url) => {
                        health::wait_serving(
                            url,
                            plenary_proto::DELEGATION_SERVICE,
                            opts.start_timeout,
                        )
                        .await
                        .map_err(|e| LabError::NotReady(format!("entrant `{name}`: {e}")))?;
                        Route {
                            endpoint: url.clone(),
                            token: None,
                            generation: 1,
                        }
                    }
                    Entrant::Builtin | Entrant::Command(_) => {
                        let token = random_token();
                        let spec = match entrant {
                            Entrant::Command(argv) => command_spec(name, argv, &opts)?,
                            _ => ChildSpec::new(
                                format!("entrant {name}"),
                                &opts.exe,
                                vec![
                                    "delegate".into(),
                                    "--any-seat".into(),
                                    "--strategy".into(),
                                    name.clone(),
                                    "--listen".into(),
                                    "127.0.0.1:0".into(),
                                    "--exit-with-stdin".into(),
                                ],
                            ),
                        };
                        let spec = ChildSpec {
                            ready_timeout: opts.start_timeout,
                            ..spec
                        }
                        .env(TOKEN_ENV, token.clone());
                        let child = Child::spawn(spec).await?;
                        let url = child.url();
                        procs.adopt(child);
                        health::wait_serving(
                            &url,
                            plenary_proto::DELEGATION_SERVICE,
                            opts.start_timeout,
                        )
                        .await
                        .map_err(|e| LabError::NotReady(format!("entrant `{name}`: {e}")))?;
                        Route {
                            endpoint: url,
                            token: Some(token),
                            generation: 1,
                        }
                    }
                };
                routes.insert(name.clone(), route);
            }
            Ok::<_, LabError>(routes)
        });
        let routes = match routes {
            Ok(r) => r,
            Err(e) => {
                rt.block_on(procs.stop_all(Duration::from_secs(2)));
                return Err(e);
            }
        };
        let hub = {
            let _guard = rt.enter();
            Hub::new(
                LinkConfig {
                    connect_timeout: opts.call.connect_timeout,
                },
                "tournament",
            )
        };
        Ok(RemoteExecutor {
            rt,
            catalog,
            routes,
            hub,
            procs: Mutex::new(procs),
            opts,
        })
    }

    /// The endpoint of every entrant, by name.
    pub fn endpoints(&self) -> BTreeMap<String, String> {
        self.routes
            .iter()
            .map(|(k, r)| (k.clone(), r.endpoint.clone()))
            .collect()
    }
}

fn command_spec(name: &str, argv: &[String], opts: &RemoteOptions) -> Result<ChildSpec, LabError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| LabError::NotReady(format!("entrant `{name}`: its command is empty")))?;
    let args = args
        .iter()
        .map(|a| a.replace("{addr}", "127.0.0.1:0"))
        .collect();
    // Relative paths in the command (`my_strategy.py`) are relative to the config file.
    Ok(ChildSpec {
        cwd: opts.cwd.clone(),
        ..ChildSpec::new(format!("entrant {name}"), program, args)
    })
}

impl Executor for RemoteExecutor {
    fn run(&self, spec: &MatchSpec) -> Result<MatchResult, ExecError> {
        let m = new_match(&self.catalog, spec)?;
        let mut routes = HashMap::with_capacity(spec.strategies.len());
        for (st, name) in m.scenario().states.iter().zip(&spec.strategies) {
            let route = self
                .routes
                .get(name)
                .ok_or_else(|| ExecError::new(spec, format!("no endpoint plays `{name}`")))?;
            routes.insert(st.id.clone(), route.clone());
        }
        let cfg = DriveConfig::new(
            self.hub.clone(),
            Arc::new(FixedRoutes(routes)),
            self.opts.call,
        );
        let result = self.rt.block_on(run_match(m, cfg));
        for v in &result.violations {
            let (fault, detail) = plenary_chair::driver::fault_kind(&v.fault);
            warn!(match_id = %spec.match_id, state = %v.state, phase = %v.phase, fault, %detail, "violation in a remote tournament match");
        }
        Ok(result)
    }

    fn parallelism(&self) -> usize {
        self.opts.concurrency.max(1)
    }

    fn name(&self) -> &str {
        "remote"
    }
}

impl Drop for RemoteExecutor {
    fn drop(&mut self) {
        self.hub.clear();
        let procs = self.procs.get_mut().unwrap_or_else(|e| e.into_inner());
        self.rt.block_on(procs.stop_all(Duration::from_secs(2)));
    }
}
