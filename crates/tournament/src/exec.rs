//! Running matches: the [`Executor`] trait (one match spec in, one result out) and the
//! parallel driver that fans specs out to worker threads and hands results back to one
//! thread in completion order. Summaries never depend on that order (see
//! [`crate::stats::Acc`]), and records carry their match index.
//!
//! [`InProcess`] runs a match with local strategies. A remote executor (delegation
//! processes behind the chair service) implements the same trait: it gets the same
//! spec, seed and strategy names, so it produces the same results.

use crate::plan::{Catalog, MatchSpec};
use plenary_core::strategy::SeatBrief;
use plenary_core::{Match, MatchResult, MatchSetup, Strategy};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Creates the strategy `name` for a seat (a registry such as `plenary_strategies::create`).
pub type StrategyMaker =
    dyn Fn(&str, &SeatBrief) -> Result<Box<dyn Strategy>, String> + Send + Sync;

/// Why a match could not be run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("match {index} (`{match_id}`): {message}")]
pub struct ExecError {
    /// Match index.
    pub index: u64,
    /// Match id.
    pub match_id: String,
    /// What went wrong.
    pub message: String,
}

impl ExecError {
    /// An error for `spec`.
    pub fn new(spec: &MatchSpec, message: impl Into<String>) -> Self {
        ExecError {
            index: spec.index,
            match_id: spec.match_id.clone(),
            message: message.into(),
        }
    }
}

/// Runs one match. Implementations must be deterministic in the spec: the same spec
/// gives the same result on any thread, process or machine.
pub trait Executor: Sync {
    /// Runs the match described by `spec` to its end.
    fn run(&self, spec: &MatchSpec) -> Result<MatchResult, ExecError>;

    /// How many matches to run at once (default: the machine's cores).
    fn parallelism(&self) -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    /// Name for reports.
    fn name(&self) -> &str {
        "in-process"
    }
}

/// Runs matches in this process with local strategies.
pub struct InProcess {
    catalog: Arc<Catalog>,
    make: Arc<StrategyMaker>,
    threads: usize,
}

impl InProcess {
    /// An executor over `catalog` creating strategies with `make`, on all cores.
    pub fn new(catalog: Arc<Catalog>, make: Arc<StrategyMaker>) -> Self {
        InProcess {
            catalog,
            make,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// Uses `threads` worker threads (at least one).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }
}

impl Executor for InProcess {
    fn run(&self, spec: &MatchSpec) -> Result<MatchResult, ExecError> {
        let scenario = self.catalog.scenarios.get(&spec.scenario).ok_or_else(|| {
            ExecError::new(spec, format!("scenario `{}` not loaded", spec.scenario))
        })?;
        let design =
            self.catalog.designs.get(&spec.design).ok_or_else(|| {
                ExecError::new(spec, format!("design `{}` not loaded", spec.design))
            })?;
        if spec.strategies.len() != scenario.states.len() {
            return Err(ExecError::new(spec, "one strategy per seat expected"));
        }
        let setup = MatchSetup {
            match_id: spec.match_id.clone(),
            seed: spec.seed,
            strategies: spec.strategies.clone(),
        };
        let m = Match::new(Arc::clone(scenario), Arc::clone(design), setup);
        let mut failure: Option<String> = None;
        let result = plenary_core::run_in_process(m, &mut |brief| {
            let name = &spec.strategies[brief.seat as usize];
            match (self.make)(name, brief) {
                Ok(s) => s,
                Err(e) => {
                    failure.get_or_insert(format!("strategy `{name}`: {e}"));
                    Box::new(Abstainer)
                }
            }
        });
        match failure {
            Some(f) => Err(ExecError::new(spec, f)),
            None => Ok(result),
        }
    }

    fn parallelism(&self) -> usize {
        self.threads
    }
}

/// Stand-in for a strategy that could not be created (the match is then reported as
/// failed, never recorded).
struct Abstainer;

impl Strategy for Abstainer {
    fn name(&self) -> &str {
        "abstainer"
    }
    fn position(
        &mut self,
        ctx: &plenary_core::strategy::RoundContext,
        _me: &plenary_core::strategy::SeatView,
    ) -> plenary_core::strategy::PositionAnswer {
        plenary_core::strategy::PositionAnswer {
            position: ctx.proposal.unwrap_or(50.0),
            salience: 0.0,
            link: None,
            ..Default::default()
        }
    }
    fn vote(
        &mut self,
        _ctx: &plenary_core::strategy::RoundContext,
        _me: &plenary_core::strategy::SeatView,
    ) -> plenary_core::strategy::Vote {
        plenary_core::strategy::Vote::Abstain
    }
}

/// Runs `specs` on `threads` workers (1 = serially on the calling thread) and calls
/// `sink` on the calling thread for each result, in completion order. Stops at the
/// first error of the executor or of the sink.
pub fn run_parallel<E>(
    specs: &[MatchSpec],
    exec: &dyn Executor,
    threads: usize,
    mut sink: impl FnMut(&MatchSpec, MatchResult) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<ExecError>,
{
    if specs.is_empty() {
        return Ok(());
    }
    let threads = threads.clamp(1, specs.len());
    if threads == 1 {
        for spec in specs {
            let r = run_caught(exec, spec)?;
            sink(spec, r)?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<(usize, Result<MatchResult, ExecError>)>(threads * 2);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= specs.len() {
                        break;
                    }
                    let r = run_caught(exec, &specs[i]);
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut outcome = Ok(());
        for (i, r) in rx.iter() {
            if outcome.is_err() {
                continue;
            }
            outcome = r.map_err(E::from).and_then(|r| sink(&specs[i], r));
            if outcome.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        outcome
    })
}

/// Runs one match, turning a panic (e.g. in a strategy) into an [`ExecError`].
fn run_caught(exec: &dyn Executor, spec: &MatchSpec) -> Result<MatchResult, ExecError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exec.run(spec))).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panicked".into());
        Err(ExecError::new(spec, format!("panicked: {msg}")))
    })
}
