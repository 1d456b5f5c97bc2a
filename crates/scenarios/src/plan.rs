//! Match plans: the one place where what a user or a caller asked for (a scenario, a
//! design, a seed, a strategy assignment) becomes a runnable [`MatchPlan`]. The CLI's
//! `run`, `lab` and `session`, the chair's `StartSession` and the tournament executors
//! all go through it, so they load, default, validate and name a match the same way.

use crate::{DESIGNS, LoadError, SCENARIOS};
use plenary_core::assignment::Assignment;
use plenary_core::rng::one_way;
use plenary_core::{Design, Match, MatchSetup, Scenario};
use std::sync::Arc;

/// Where a scenario or design comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A preset id or a path to a file (the command line's form).
    Spec(String),
    /// A preset id only: never a path (what a network caller may name).
    Preset(String),
    /// File content sent inline (`origin` names it in errors).
    Inline {
        /// Name used in error messages.
        origin: String,
        /// The TOML text.
        text: String,
    },
}

/// How the seats get their strategy names.
pub enum Strategies<'a> {
    /// An assignment spec (`default=NAME,BLOC=NAME,STATE=NAME`), or the scenario's own
    /// default mix when `None`, or `fallback_mix` when the scenario has none; every name
    /// must pass `check`.
    Assign {
        /// The spec given by the user.
        spec: Option<&'a str>,
        /// Mix used when neither the user nor the scenario gives one.
        fallback_mix: &'a str,
        /// Checks one strategy name (the registry), with the error to show.
        check: &'a dyn Fn(&str) -> Result<(), String>,
    },
    /// The seats are named later by what their delegations announce (remote sessions).
    Announced,
}

/// What a match is asked with.
pub struct PlanRequest<'a> {
    /// The scenario.
    pub scenario: Source,
    /// The design (`None`: the scenario's default design preset).
    pub design: Option<Source>,
    /// Master seed.
    pub seed: u64,
    /// How seats get strategies.
    pub strategies: Strategies<'a>,
    /// Match id (`None`: an opaque id derived one-way from the seed).
    pub match_id: Option<String>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    // The causes are part of the message (callers show it as one line, gRPC statuses
    // too), so they are not also chained as sources: that would print them twice.
    /// The scenario did not load.
    #[error("loading scenario {spec}: {error}")]
    Scenario {
        /// As asked for.
        spec: String,
        /// Why.
        error: LoadError,
    },
    /// The design did not load.
    #[error("loading design {spec}: {error}")]
    Design {
        /// As asked for.
        spec: String,
        /// Why.
        error: LoadError,
    },
    /// The design names States the scenario lacks, or seats it cannot fill.
    #[error("design `{design}` does not fit scenario `{scenario}`: {error}")]
    Misfit {
        /// Design id.
        design: String,
        /// Scenario id.
        scenario: String,
        /// The problems.
        error: plenary_core::FileErrors,
    },
    /// The strategy assignment is malformed, names unknown blocs/States or strategies.
    #[error("strategies: {0}")]
    Strategies(String),
}

/// A match ready to run: validated inputs, the match id and every seat's strategy.
#[derive(Debug, Clone)]
pub struct MatchPlan {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// The design.
    pub design: Arc<Design>,
    /// Master seed.
    pub seed: u64,
    /// Match id (opaque unless the caller chose one).
    pub match_id: String,
    /// Strategy name per seat in State id order (empty names: announced later).
    pub strategies: Vec<String>,
    /// The scenario's TOML text (a journal stores it to rebuild the match).
    pub scenario_text: Arc<str>,
    /// The design's TOML text.
    pub design_text: Arc<str>,
}

/// The opaque match id of a seed, scenario and design: it tells delegations nothing
/// about the seed (see [`plenary_core::rng::one_way`]).
pub fn opaque_match_id(seed: u64, scenario: &str, design: &str) -> String {
    format!("m{:016x}", one_way(seed, &["match-id", scenario, design]))
}

impl MatchPlan {
    /// Resolves a request: loads and validates the scenario and design (the scenario's
    /// default design when none is given), resolves the strategy of every seat, and
    /// names the match.
    // A plan is resolved once per match, so the size of its error does not matter; the
    // error keeps its causes typed for the callers that map them (usage errors).
    #[allow(clippy::result_large_err)]
    pub fn resolve(req: PlanRequest<'_>) -> Result<MatchPlan, PlanError> {
        let (scenario, scenario_text) =
            load_scenario(&req.scenario).map_err(|error| PlanError::Scenario {
                spec: describe(&req.scenario),
                error,
            })?;
        let design_source = req.design.clone().unwrap_or_else(|| {
            Source::Preset(
                scenario
                    .default_design
                    .clone()
                    .unwrap_or_else(|| crate::FALLBACK_DESIGN.to_string()),
            )
        });
        let (design, design_text) =
            load_design(&design_source).map_err(|error| PlanError::Design {
                spec: describe(&design_source),
                error,
            })?;
        design
            .validate_for(&describe(&design_source), &scenario)
            .map_err(|error| PlanError::Misfit {
                design: design.design.id.clone(),
                scenario: scenario.id.clone(),
                error,
            })?;
        let strategies = match req.strategies {
            Strategies::Announced => vec![String::new(); scenario.states.len()],
            Strategies::Assign {
                spec,
                fallback_mix,
                check,
            } => assign(&scenario, spec, fallback_mix, check)?,
        };
        let match_id = req
            .match_id
            .unwrap_or_else(|| opaque_match_id(req.seed, &scenario.id, &design.design.id));
        Ok(MatchPlan {
            scenario: Arc::new(scenario),
            design: Arc::new(design),
            seed: req.seed,
            match_id,
            strategies,
            scenario_text,
            design_text,
        })
    }

    /// The setup of the match.
    pub fn setup(&self) -> MatchSetup {
        MatchSetup {
            match_id: self.match_id.clone(),
            seed: self.seed,
            strategies: self.strategies.clone(),
        }
    }

    /// A fresh match of this plan.
    pub fn new_match(&self) -> Match {
        Match::new(
            Arc::clone(&self.scenario),
            Arc::clone(&self.design),
            self.setup(),
        )
    }
}

/// Resolves an assignment spec over a scenario: the user's spec, or the scenario's own
/// default mix, or `fallback_mix`; an empty spec and a name given two rules are errors.
#[allow(clippy::result_large_err)] // once per match, see `MatchPlan::resolve`
fn assign(
    scenario: &Scenario,
    spec: Option<&str>,
    fallback_mix: &str,
    check: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Vec<String>, PlanError> {
    let users = spec.is_some();
    let own = scenario.default_strategies.as_deref();
    let text = spec.or(own).unwrap_or(fallback_mix);
    // Errors say where the assignment came from: the user's, the scenario's own
    // `default_strategies`, or the built-in mix.
    let what = |e: String| {
        PlanError::Strategies(if users {
            e
        } else {
            format!(
                "the {} on scenario `{}` (give --strategies to choose the strategies of its States): {e}",
                if own.is_some() {
                    "default_strategies"
                } else {
                    "built-in strategy mix"
                },
                scenario.id
            )
        })
    };
    let assignment = Assignment::parse(text).map_err(|e| what(e.to_string()))?;
    // The built-in mix names the osce-2021 blocs and States: on a scenario without its
    // blocs (and without a mix of its own) only its default applies; on an osce-2021
    // variant every rule must fit, so a State it names and the file lacks is an error,
    // not a silent change of mix. A scenario's own mix applies whole.
    let assignment = if !users && own.is_none() && scenario.bloc("west").is_none() {
        Assignment {
            default: assignment.default.clone(),
            rules: Vec::new(),
        }
    } else {
        assignment
    };
    let names = assignment
        .resolve(scenario, "dissociator")
        .map_err(|e| what(e.to_string()))?;
    let mut unique: Vec<&str> = names.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    for n in unique {
        check(n).map_err(what)?;
    }
    Ok(names)
}

fn describe(s: &Source) -> String {
    match s {
        Source::Spec(x) | Source::Preset(x) => format!("`{x}`"),
        Source::Inline { origin, .. } => origin.clone(),
    }
}

fn load_scenario(source: &Source) -> Result<(Scenario, Arc<str>), LoadError> {
    let (origin, text) = text_of(source, SCENARIOS, "scenario")?;
    Ok((crate::parse_scenario(&origin, &text)?, text.into()))
}

fn load_design(source: &Source) -> Result<(Design, Arc<str>), LoadError> {
    let (origin, text) = text_of(source, DESIGNS, "design")?;
    Ok((Design::from_toml(&origin, &text)?, text.into()))
}

/// The origin (for errors) and text of a source.
fn text_of(
    source: &Source,
    presets: &[(&str, &str)],
    kind: &'static str,
) -> Result<(String, String), LoadError> {
    match source {
        Source::Inline { origin, text } => Ok((origin.clone(), text.clone())),
        Source::Preset(id) => {
            crate::preset(presets, kind, id).map(|t| (crate::embedded_origin(id), t.to_string()))
        }
        Source::Spec(spec) => {
            crate::check_spec(kind, spec)?;
            resolve_spec(spec, presets, kind)
        }
    }
}

fn resolve_spec(
    spec: &str,
    presets: &[(&str, &str)],
    kind: &'static str,
) -> Result<(String, String), LoadError> {
    match crate::resolve(spec, presets) {
        crate::Spec::Preset => crate::preset(presets, kind, spec)
            .map(|t| (crate::embedded_origin(spec), t.to_string())),
        crate::Spec::File => {
            let path = std::path::Path::new(spec);
            Ok((crate::file_origin(path), crate::read(path)?))
        }
        crate::Spec::Unknown => Err(crate::unknown(kind, spec, presets)),
    }
}
