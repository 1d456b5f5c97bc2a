//! Replaying one tournament match from its record (`plenary replay DIR MATCH`): the
//! record holds the scenario and design specs, the match seed, every seat's strategy
//! and the executor, so the match can be run again anywhere and compared with what was
//! recorded. Matches are deterministic in their spec, so a replay equals its record
//! unless the code or the scenario and design files changed since.

use crate::exec::{Executor, InProcess, StrategyMaker};
use crate::output::{self, OutputError};
use crate::plan::{Catalog, MatchSpec, seat_classes};
use crate::results::{MatchRecord, RunResult};
use plenary_core::{Design, MatchResult, Scenario};
use std::path::Path;
use std::sync::Arc;

/// Errors of a replay.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the tournament directory.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// No record matches.
    #[error(
        "{dir}: no match `{which}` in {file} (give a match id as in its `match_id` field, or its index)"
    )]
    NotFound {
        /// The directory.
        dir: String,
        /// What was asked for.
        which: String,
        /// The records file.
        file: &'static str,
    },
    /// Loading the scenario or design of the record.
    #[error("match `{match_id}`: {message}")]
    Load {
        /// The match.
        match_id: String,
        /// What failed.
        message: String,
    },
    /// Running the match.
    #[error(transparent)]
    Exec(#[from] crate::exec::ExecError),
}

/// Finds the record of match `which` (its `match_id`, or its index) in `dir`.
pub fn find(dir: &Path, which: &str) -> Result<MatchRecord, ReplayError> {
    let index: Option<u64> = which.parse().ok();
    let mut found = None;
    output::stream_records(&dir.join(output::MATCHES), false, |r| {
        if found.is_none() && (r.outcome.match_id == which || Some(r.index) == index) {
            found = Some(r);
        }
        Ok(())
    })?;
    found.ok_or_else(|| ReplayError::NotFound {
        dir: dir.display().to_string(),
        which: which.to_string(),
        file: output::MATCHES,
    })
}

/// The match spec a record was run from.
pub fn spec_of(r: &MatchRecord) -> MatchSpec {
    MatchSpec {
        index: r.index,
        format: r.format.clone(),
        scenario: r.outcome.scenario.clone(),
        design: r.outcome.design.clone(),
        replication: r.replication,
        key: r.key.clone(),
        match_id: r.outcome.match_id.clone(),
        seed: r.outcome.seed,
        role: r.role.clone(),
        strategies: r
            .outcome
            .states
            .iter()
            .map(|s| s.strategy.clone())
            .collect(),
    }
}

/// A replayed match.
#[derive(Debug)]
pub struct Replayed {
    /// The record as stored.
    pub recorded: MatchRecord,
    /// The record the replay gives.
    pub replayed: MatchRecord,
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// The design.
    pub design: Arc<Design>,
    /// The engine's results of the replay.
    pub result: MatchResult,
    /// The replay's results in the documented shape.
    pub run: RunResult,
}

impl Replayed {
    /// Fields of the record that the replay gives differently (`tool_version` is not
    /// compared: a replay by another release may still give the same match).
    pub fn differences(&self) -> Vec<String> {
        let a = serde_json::to_value(&self.recorded).unwrap_or_default();
        let b = serde_json::to_value(&self.replayed).unwrap_or_default();
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
            return vec!["(record)".into()];
        };
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter(|k| *k != "tool_version" && a.get(*k) != b.get(*k))
            .cloned()
            .collect()
    }
}

/// Replays match `which` of the tournament in `dir` in-process, creating strategies
/// with `make`.
pub fn replay(dir: &Path, which: &str, make: Arc<StrategyMaker>) -> Result<Replayed, ReplayError> {
    let recorded = find(dir, which)?;
    let cfg = output::read_config(dir)?;
    let spec = spec_of(&recorded);
    let load_err = |message: String| ReplayError::Load {
        match_id: spec.match_id.clone(),
        message,
    };
    let scenario = Arc::new(
        plenary_scenarios::load_scenario(&spec.scenario)
            .map_err(|e| load_err(format!("scenario `{}`: {e}", spec.scenario)))?,
    );
    let design = Arc::new(
        plenary_scenarios::load_design(&spec.design)
            .map_err(|e| load_err(format!("design `{}`: {e}", spec.design)))?,
    );
    let mut catalog = Catalog::default();
    catalog
        .scenarios
        .insert(spec.scenario.clone(), Arc::clone(&scenario));
    catalog
        .designs
        .insert(spec.design.clone(), Arc::clone(&design));
    let exec = InProcess::new(Arc::new(catalog), make).with_threads(1);
    let result = exec.run(&spec)?;
    let classes = seat_classes(&scenario, &cfg.neutral_blocs);
    let replayed = MatchRecord::new(
        &spec,
        &result,
        &cfg,
        &recorded.tournament,
        &classes,
        &recorded.executor,
    );
    let run = RunResult::new(&scenario, &spec.scenario, &spec.design, &result, &classes);
    Ok(Replayed {
        recorded,
        replayed,
        scenario,
        design,
        result,
        run,
    })
}
