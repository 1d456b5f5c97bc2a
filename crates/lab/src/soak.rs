//! `plenary soak`: many sessions in a lab under a seeded fault plan — the durability
//! check of the remote path, and a research tool for what faults do to outcomes.
//!
//! The soak runs a lab whose chair journals its sessions (`--state-dir`) and whose
//! delegations are reached through small TCP proxies, then plays `sessions` matches one
//! after another. Before each match a plan drawn from the soak's seed decides which
//! faults hit it, and when (offsets into the match):
//! - `kill`: a delegation is killed outright (SIGKILL) and started again a moment later
//!   (it registers again; the chair opens its seat on the new process);
//! - `stop`: a delegation is stopped (SIGSTOP) for a while, then continued;
//! - `drop`: every connection through a delegation's proxy is cut (the chair reconnects);
//! - `chair`: the chair is killed outright and started again on the same address and
//!   state directory; it resumes the match from its journal.
//!
//! A session is *completed* when its results come back, *lost* otherwise. Sessions
//! without delegation faults (chair kills allowed) must give results identical to the
//! in-process run of the same match: that is `identical_to_in_process`.

use crate::client::ChairClient;
use crate::health;
use crate::lab::{LabError, Secrets, TOKEN_ENV};
use crate::supervisor::{Child, ChildSpec};
use nix::sys::signal::Signal;
use plenary_core::MatchResult;
use plenary_core::rng::Stream;
use plenary_scenarios::MatchPlan;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info, warn};

/// How a soak runs.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// The `plenary` binary.
    pub exe: PathBuf,
    /// The match every session plays (its seed is replaced per session).
    pub plan: MatchPlan,
    /// Sessions to play.
    pub sessions: usize,
    /// Seed of the fault plan and of the sessions' match seeds.
    pub seed: u64,
    /// Most delegation faults in one session.
    pub max_faults: u32,
    /// Share of sessions without delegation faults (their results must equal in-process).
    pub fault_free_share: f64,
    /// Chair kills over the whole soak.
    pub chair_kills: u32,
    /// Fault kinds in use among `kill`, `stop`, `drop`.
    pub kinds: Vec<FaultKind>,
    /// Deadline of every question, in milliseconds.
    pub timeout_ms: u64,
    /// Faults fall within this many milliseconds from the start of a session.
    pub window_ms: u64,
}

/// A kind of delegation fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// SIGKILL, then a restart.
    Kill,
    /// SIGSTOP, then SIGCONT.
    Stop,
    /// Every connection to the delegation cut.
    Drop,
}

impl FaultKind {
    /// Parses `kill`, `stop` or `drop`.
    pub fn parse(s: &str) -> Option<FaultKind> {
        match s {
            "kill" => Some(FaultKind::Kill),
            "stop" => Some(FaultKind::Stop),
            "drop" => Some(FaultKind::Drop),
            _ => None,
        }
    }
}

/// One planned fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedFault {
    /// When, from the start of the session.
    pub at_ms: u64,
    /// What.
    pub kind: FaultKind,
    /// Which State (seat index).
    pub seat: usize,
    /// For `stop`: how long; for `kill`: how long until the restart.
    pub for_ms: u64,
}

/// The plan of one session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionPlan {
    /// Session number.
    pub index: usize,
    /// The match seed.
    pub seed: u64,
    /// Delegation faults.
    pub faults: Vec<PlannedFault>,
    /// When the chair is killed, if it is.
    pub chair_kill_at_ms: Option<u64>,
}

/// Draws the fault plan of every session (pure: the same options give the same plan).
pub fn plan(opts: &SoakOptions, states: usize) -> Vec<SessionPlan> {
    let mut rng = Stream::new(opts.seed, &["soak"]);
    let n = opts.sessions;
    // Chair kills go to distinct sessions, spread over the soak.
    let mut kill_sessions: Vec<usize> = Vec::new();
    // Session 0 calibrates the fault window (see `run`): no faults, no chair kill.
    let kills = (opts.chair_kills as usize).min(n.saturating_sub(1));
    while kill_sessions.len() < kills {
        let s = 1 + rng.below(n - 1);
        if !kill_sessions.contains(&s) {
            kill_sessions.push(s);
        }
    }
    (0..n)
        .map(|index| {
            let mut r = Stream::new(opts.seed, &["soak-session", &index.to_string()]);
            let seed = r.next_u64() >> 11;
            let fault_free = index == 0
                || opts.kinds.is_empty()
                || opts.max_faults == 0
                || states == 0
                || r.unit() < opts.fault_free_share;
            let faults = if fault_free {
                Vec::new()
            } else {
                let k = 1 + r.below(opts.max_faults as usize);
                let mut f: Vec<PlannedFault> = (0..k)
                    .map(|_| PlannedFault {
                        at_ms: r.below(opts.window_ms.max(1) as usize) as u64,
                        kind: opts.kinds[r.below(opts.kinds.len())],
                        seat: r.below(states),
                        for_ms: 200 + r.below(2800) as u64,
                    })
                    .collect();
                f.sort_by_key(|x| x.at_ms);
                f
            };
            // Chair kills fall between 10% and 50% of the window: early enough that the
            // session is still running even when it is shorter than the calibration one.
            let chair_kill_at_ms = kill_sessions.contains(&index).then(|| {
                let w = opts.window_ms.max(1) as f64;
                (w * (0.1 + 0.4 * r.unit())) as u64
            });
            // The first chair kill falls on a session without delegation faults (when
            // there are any): that is where a resumed match must equal in-process.
            let faults = if Some(&index) == kill_sessions.first() && opts.fault_free_share > 0.0 {
                Vec::new()
            } else {
                faults
            };
            SessionPlan {
                index,
                seed,
                faults,
                chair_kill_at_ms,
            }
        })
        .collect()
}

/// What happened to one session.
#[derive(Debug, Clone, Serialize)]
pub struct SessionOutcome {
    /// Session number.
    pub index: usize,
    /// The match seed.
    pub seed: u64,
    /// Delegation faults planned.
    pub faults_planned: usize,
    /// Delegation faults injected while it ran.
    pub faults: usize,
    /// Kinds of the faults injected, in order.
    pub applied: Vec<String>,
    /// Whether the chair was killed during it.
    pub chair_killed: bool,
    /// Whether its results came back.
    pub completed: bool,
    /// Violations recorded in the results.
    pub violations: usize,
    /// Without delegation faults: whether the results equal the in-process run.
    pub identical_to_in_process: Option<bool>,
    /// Wall time, in seconds.
    pub seconds: f64,
    /// Seconds from the session's start on the chair to its results (the clock fault
    /// offsets count on).
    pub running_seconds: f64,
    /// Why it was lost, if it was.
    pub error: Option<String>,
}

/// The figures of a soak (what `--json FILE` writes).
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// Version of this document's shape.
    pub schema_version: u32,
    /// plenary's version.
    pub tool_version: String,
    /// Scenario id.
    pub scenario: String,
    /// Design id.
    pub design: String,
    /// Sessions played.
    pub sessions_total: usize,
    /// Sessions whose results came back.
    pub sessions_completed: usize,
    /// Sessions whose results never came.
    pub sessions_lost: usize,
    /// Times the chair was killed and started again.
    pub chair_restarts: usize,
    /// Delegation faults the plan holds (a session that ends early leaves some out).
    pub faults_planned: usize,
    /// Delegation faults injected while their session ran.
    pub faults_injected: usize,
    /// Delegation faults by kind.
    pub faults_by_kind: BTreeMap<String, usize>,
    /// Sessions without delegation faults.
    pub sessions_without_delegation_faults: usize,
    /// Of those, sessions whose results equal the in-process run.
    pub identical_to_in_process: usize,
    /// Violations over every completed session.
    pub violations_total: usize,
    /// Wall time, in seconds.
    pub wall_seconds: f64,
    /// Every session.
    pub sessions: Vec<SessionOutcome>,
}

impl SoakReport {
    /// Whether the soak found what it looks for: no session lost, and every session
    /// without delegation faults identical to in-process.
    pub fn passed(&self) -> bool {
        self.sessions_lost == 0
            && self.identical_to_in_process == self.sessions_without_delegation_faults
    }
}

/// A TCP proxy in front of one delegation: the chair reaches the delegation through it,
/// so the soak can cut every connection at once.
struct Proxy {
    addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let target = Arc::new(Mutex::new(target));
        let conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (t, c) = (Arc::clone(&target), Arc::clone(&conns));
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let to = *t.lock().unwrap_or_else(|e| e.into_inner());
                let h = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(to).await {
                        let _ = inbound.set_nodelay(true);
                        let _ = outbound.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                let mut list = c.lock().unwrap_or_else(|e| e.into_inner());
                list.retain(|h| !h.is_finished());
                list.push(h);
            }
        });
        Ok(Proxy {
            addr,
            target,
            conns,
            accept,
        })
    }

    fn retarget(&self, to: SocketAddr) {
        *self.target.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }

    /// Cuts every connection through the proxy.
    fn drop_all(&self) -> usize {
        let mut list = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        let n = list.len();
        for h in list.drain(..) {
            h.abort();
        }
        n
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.drop_all();
    }
}

/// The soak's lab: chair, delegations, proxies.
struct SoakLab {
    opts: SoakOptions,
    secrets: Secrets,
    state_dir: tempfile::TempDir,
    chair: Option<Child>,
    chair_addr: SocketAddr,
    delegations: Vec<Option<Child>>,
    proxies: Vec<Proxy>,
    states: Vec<String>,
    /// Seats killed whose restart has not happened yet.
    killed: std::collections::BTreeSet<usize>,
    /// Multiplies planned fault offsets: a session shorter than the window would end
    /// before its later faults (set from the calibration session's length).
    scale: f64,
}

impl SoakLab {
    fn chair_url(&self) -> String {
        format!("http://{}", self.chair_addr)
    }

    async fn start_chair(&mut self, listen: &str) -> Result<(), LabError> {
        let chair = Child::spawn(ChildSpec::new(
            "chair",
            &self.opts.exe,
            vec![
                "chair".into(),
                "--listen".into(),
                listen.into(),
                "--tokens".into(),
                self.secrets.tokens_path().display().to_string(),
                "--operator-token-file".into(),
                self.secrets.operator_path().display().to_string(),
                "--state-dir".into(),
                self.state_dir.path().display().to_string(),
                "--timeout-ms".into(),
                self.opts.timeout_ms.to_string(),
                "--exit-with-stdin".into(),
            ],
        ))
        .await?;
        self.chair_addr = chair.addr;
        health::wait_serving(
            &chair.url(),
            plenary_proto::SECRETARIAT_SERVICE,
            Duration::from_secs(120),
        )
        .await
        .map_err(|e| LabError::NotReady(e.to_string()))?;
        self.chair = Some(chair);
        Ok(())
    }

    async fn start_delegation(&mut self, seat: usize) -> Result<(), LabError> {
        let state = self.states[seat].clone();
        let strategy = self.opts.plan.strategies[seat].clone();
        let proxy = self.proxies[seat].addr;
        let args = vec![
            "delegate".to_string(),
            "--state".into(),
            state.clone(),
            "--strategy".into(),
            strategy,
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--register".into(),
            self.chair_url(),
            "--advertise".into(),
            format!("http://{proxy}"),
            "--exit-with-stdin".into(),
        ];
        let spec = ChildSpec {
            ready_timeout: Duration::from_secs(120),
            inherit_stderr: false,
            ..ChildSpec::new(format!("delegation {state}"), &self.opts.exe, args)
        }
        .env(TOKEN_ENV, self.secrets.tokens[&state].clone());
        let mut d = Child::spawn(spec).await?;
        self.proxies[seat].retarget(d.addr);
        d.wait_line("registered ", Duration::from_secs(120))
            .await
            .map_err(LabError::NotReady)?;
        self.delegations[seat] = Some(d);
        Ok(())
    }
}

/// Runs the soak (see the module docs). `progress` sees every finished session.
pub async fn run(
    opts: SoakOptions,
    mut progress: impl FnMut(&SessionOutcome),
) -> Result<SoakReport, LabError> {
    let started = Instant::now();
    let states: Vec<String> = opts
        .plan
        .scenario
        .states
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let plans = plan(&opts, states.len());
    let state_dir = tempfile::Builder::new()
        .prefix("plenary-soak-state-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()?;
    let mut lab = SoakLab {
        secrets: Secrets::new(states.iter().cloned())?,
        state_dir,
        chair: None,
        chair_addr: "127.0.0.1:0".parse().expect("an address"),
        scale: 1.0,
        killed: Default::default(),
        delegations: (0..states.len()).map(|_| None).collect(),
        proxies: Vec::new(),
        states: states.clone(),
        opts: opts.clone(),
    };
    lab.start_chair("127.0.0.1:0").await?;
    // Each delegation is reached through its proxy, which learns the delegation's
    // address when it starts (the chair calls only once a session starts).
    let nowhere: SocketAddr = "127.0.0.1:9".parse().expect("an address");
    for _ in 0..states.len() {
        lab.proxies.push(Proxy::start(nowhere).await?);
    }
    for seat in 0..states.len() {
        lab.start_delegation(seat).await?;
    }
    info!(delegations = states.len(), "soak lab ready");
    let mut outcomes = Vec::with_capacity(plans.len());
    let mut chair_restarts = 0;
    for p in &plans {
        let o = run_session(&mut lab, p, &mut chair_restarts).await;
        if p.index == 0 && o.completed {
            // Faults and chair kills land within the first 80% of a session's length.
            let window = lab.opts.window_ms.max(1) as f64;
            lab.scale = (0.8 * o.running_seconds * 1000.0 / window).clamp(0.01, 1.0);
            info!(
                session_ms = (o.running_seconds * 1000.0).round(),
                scale = lab.scale,
                "calibrated the fault window"
            );
        }
        progress(&o);
        let disturbed = o.faults > 0 || o.chair_killed;
        outcomes.push(o);
        // Every delegation up again before the next session (a killed one whose
        // restart was still pending, a stopped one).
        for seat in 0..states.len() {
            if let Some(d) = &lab.delegations[seat] {
                d.signal(Signal::SIGCONT);
            }
            // A seat killed at the very end of the session may not have exited yet:
            // the kill is what counts, not whether the exit was seen.
            let killed = lab.killed.remove(&seat);
            let dead = match &mut lab.delegations[seat] {
                Some(d) => killed || d.exited(),
                None => true,
            };
            if dead {
                if let Some(d) = lab.delegations[seat].take() {
                    d.kill().await;
                }
                lab.start_delegation(seat).await?;
            }
        }
        // After faults the next session starts with a whole lab: every delegation
        // serving through its proxy, and the chair's links past their reconnect pause
        // (a link that failed waits that long before it dials again).
        if disturbed {
            for seat in 0..states.len() {
                let url = format!("http://{}", lab.proxies[seat].addr);
                let _ = crate::health::wait_serving(
                    &url,
                    "plenary.v2.Delegation",
                    Duration::from_secs(30),
                )
                .await;
            }
            tokio::time::sleep(plenary_chair::link::RECONNECT_EVERY + Duration::from_millis(200))
                .await;
        }
    }
    if let Some(c) = lab.chair.take() {
        c.stop(Duration::from_secs(3)).await;
    }
    for d in lab.delegations.iter_mut().filter_map(Option::take) {
        d.stop(Duration::from_secs(2)).await;
    }
    let mut by_kind = BTreeMap::new();
    for o in &outcomes {
        for k in &o.applied {
            *by_kind.entry(k.clone()).or_insert(0) += 1;
        }
    }
    let without = outcomes.iter().filter(|o| o.faults == 0).count();
    Ok(SoakReport {
        schema_version: 1,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: opts.plan.scenario.id.clone(),
        design: opts.plan.design.design.id.clone(),
        sessions_total: outcomes.len(),
        sessions_completed: outcomes.iter().filter(|o| o.completed).count(),
        sessions_lost: outcomes.iter().filter(|o| !o.completed).count(),
        chair_restarts,
        faults_planned: plans.iter().map(|p| p.faults.len()).sum(),
        faults_injected: outcomes.iter().map(|o| o.faults).sum(),
        faults_by_kind: by_kind,
        sessions_without_delegation_faults: without,
        identical_to_in_process: outcomes
            .iter()
            .filter(|o| o.identical_to_in_process == Some(true))
            .count(),
        violations_total: outcomes.iter().map(|o| o.violations).sum(),
        wall_seconds: started.elapsed().as_secs_f64(),
        sessions: outcomes,
    })
}

/// The plan of session `p`: the soak's match with the session's seed.
fn session_plan(base: &MatchPlan, seed: u64) -> MatchPlan {
    let mut plan = base.clone();
    plan.seed = seed;
    plan.match_id =
        plenary_scenarios::plan::opaque_match_id(seed, &plan.scenario.id, &plan.design.design.id);
    plan
}

async fn run_session(lab: &mut SoakLab, p: &SessionPlan, restarts: &mut usize) -> SessionOutcome {
    let t0 = Instant::now();
    let plan = session_plan(&lab.opts.plan, p.seed);
    let mut outcome = SessionOutcome {
        index: p.index,
        seed: p.seed,
        faults_planned: p.faults.len(),
        faults: 0,
        applied: Vec::new(),
        chair_killed: false,
        completed: false,
        violations: 0,
        identical_to_in_process: None,
        seconds: 0.0,
        running_seconds: 0.0,
        error: None,
    };
    let result = play(lab, &plan, p, restarts, &mut outcome).await;
    outcome.seconds = t0.elapsed().as_secs_f64();
    match result {
        Ok(r) => {
            outcome.completed = true;
            outcome.violations = r.violations.len();
            // Planned faults the session outran leave it as fault-free as any.
            if outcome.faults == 0 {
                let local = plenary_core::run_in_process(plan.new_match(), &mut |b| {
                    plenary_strategies::create(&plan.strategies[b.seat as usize], b)
                        .expect("the soak's strategies are built in")
                });
                outcome.identical_to_in_process =
                    Some(serde_json::to_string(&r).ok() == serde_json::to_string(&local).ok());
            }
        }
        Err(e) => {
            warn!(session = p.index, %e, "session lost");
            outcome.error = Some(e);
        }
    }
    outcome
}

/// Starts the session, injects its faults on time, and follows it to its results,
/// across chair restarts.
async fn play(
    lab: &mut SoakLab,
    plan: &MatchPlan,
    p: &SessionPlan,
    restarts: &mut usize,
    outcome: &mut SessionOutcome,
) -> Result<MatchResult, String> {
    let wait = Duration::from_secs(120);
    let mut client = ChairClient::connect(&lab.chair_url(), Some(&lab.secrets.operator), wait)
        .await
        .map_err(|e| e.to_string())?;
    let started = client
        .start(plan, lab.opts.timeout_ms, wait)
        .await
        .map_err(|e| e.to_string())?;
    let id = started.session_id;
    let t0 = tokio::time::Instant::now();
    // The session's events come in order: faults (and the chair kill) at their offsets.
    let scaled = |at: u64| (at as f64 * lab.scale) as u64;
    let mut schedule: Vec<(u64, Option<usize>)> = p
        .faults
        .iter()
        .enumerate()
        .map(|(i, f)| (scaled(f.at_ms), Some(i)))
        .collect();
    if let Some(at) = p.chair_kill_at_ms {
        schedule.push((scaled(at), None));
    }
    schedule.sort();
    let mut pending_restarts: Vec<(tokio::time::Instant, usize)> = Vec::new();
    let mut pending_continues: Vec<(tokio::time::Instant, usize)> = Vec::new();
    let mut next = 0;
    let limit = crate::client::match_limit(plan, lab.opts.timeout_ms)
        + Duration::from_secs(30 * (1 + p.faults.len() as u64));
    loop {
        // Due faults, restarts and continues.
        let now = tokio::time::Instant::now();
        while next < schedule.len() && t0 + Duration::from_millis(schedule[next].0) <= now {
            match schedule[next].1 {
                Some(i) => {
                    let f = &p.faults[i];
                    inject(lab, f, &mut pending_restarts, &mut pending_continues);
                    outcome.faults += 1;
                    outcome.applied.push(format!("{:?}", f.kind).to_lowercase());
                }
                None => {
                    debug!(session = p.index, "killing the chair");
                    if let Some(c) = lab.chair.take() {
                        c.kill().await;
                    }
                    let listen = lab.chair_addr.to_string();
                    lab.start_chair(&listen).await.map_err(|e| e.to_string())?;
                    *restarts += 1;
                    outcome.chair_killed = true;
                }
            }
            next += 1;
        }
        for (at, seat) in std::mem::take(&mut pending_continues) {
            if at <= now {
                if let Some(d) = &lab.delegations[seat] {
                    d.signal(Signal::SIGCONT);
                }
            } else {
                pending_continues.push((at, seat));
            }
        }
        let due: Vec<usize> = pending_restarts
            .iter()
            .filter(|(at, _)| *at <= now)
            .map(|(_, s)| *s)
            .collect();
        pending_restarts.retain(|(at, _)| *at > now);
        for seat in due {
            // A seat killed twice has two restarts due; the first one restarted it.
            if !lab.killed.remove(&seat) {
                continue;
            }
            lab.delegations[seat] = None;
            lab.start_delegation(seat)
                .await
                .map_err(|e| e.to_string())?;
        }
        // Look at the results (cheap), then at the schedule again.
        match client.poll(&id).await {
            Ok(Some(json)) => {
                outcome.running_seconds = t0.elapsed().as_secs_f64();
                return serde_json::from_str(&json).map_err(|e| e.to_string());
            }
            Ok(None) => {}
            Err(crate::client::ClientError::Failed { message, .. }) => return Err(message),
            Err(e) => {
                // The chair went away (killed): talk to its successor.
                debug!(%e, "polling the session failed; reconnecting");
                if let Ok(c) = ChairClient::connect(
                    &lab.chair_url(),
                    Some(&lab.secrets.operator),
                    Duration::from_secs(5),
                )
                .await
                {
                    client = c;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        if t0.elapsed() > limit {
            return Err(format!("no results for session {id} after {limit:?}"));
        }
    }
}

fn inject(
    lab: &mut SoakLab,
    f: &PlannedFault,
    restarts: &mut Vec<(tokio::time::Instant, usize)>,
    continues: &mut Vec<(tokio::time::Instant, usize)>,
) {
    let now = tokio::time::Instant::now();
    let seat = f.seat;
    match f.kind {
        FaultKind::Kill => {
            if let Some(d) = &lab.delegations[seat] {
                d.signal(Signal::SIGKILL);
                lab.killed.insert(seat);
                restarts.push((now + Duration::from_millis(f.for_ms), seat));
            }
        }
        FaultKind::Stop => {
            if let Some(d) = &lab.delegations[seat] {
                d.signal(Signal::SIGSTOP);
                continues.push((now + Duration::from_millis(f.for_ms), seat));
            }
        }
        FaultKind::Drop => {
            if let Some(p) = lab.proxies.get(seat) {
                p.drop_all();
            }
        }
    }
}
