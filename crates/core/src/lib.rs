//! plenary-core: the negotiation model of plenary, with no I/O and no async.
//!
//! A *match* is one simulated history under one institutional design: a sequence of
//! sessions, each working through the agenda item by item in rounds of positions,
//! mediation and decision. The [`engine`] drives a match as a pure state machine that
//! asks delegations questions and takes their answers; [`run_in_process`] answers with
//! local [`Strategy`] values (or [`run_with`] with [`Answerer`]s that may inject
//! faults), and the chair service answers over gRPC with the same machine, so both
//! paths give identical results. [`answers`] is the one validator of delegation
//! answers; `crates/core/MODEL.md` describes every mechanism and its source.

pub mod answers;
pub mod assignment;
pub mod design;
pub mod files;
pub mod model;
pub mod rng;
pub mod scenario;

pub use design::Design;
pub use files::{FileError, FileErrors};
pub use model::{Dimension, Group, Institution, Item, ItemKind, Preference, Preferences, State};
pub use scenario::Scenario;

pub mod engine;
pub mod mediation;
pub mod metrics;
pub mod rules;
pub mod strategy;

pub use engine::{Answers, Match, MatchSetup, Question, max_questions};
pub use metrics::MatchResult;
pub use strategy::{Strategy, StrategyFactory};

/// One seat's answers in an in-process run, each a [`strategy::Reply`], so that a run
/// can inject faults (timeouts, invalid answers) exactly as a remote delegation could
/// produce them. [`Honest`] wraps a [`Strategy`] and always answers.
pub trait Answerer: Send {
    /// Acknowledges the opening of the match.
    fn open(&mut self) -> strategy::Reply<()> {
        Ok(())
    }
    /// Answers a positions question.
    fn position(
        &mut self,
        ctx: &strategy::RoundContext,
        me: &strategy::SeatView,
    ) -> strategy::Reply<strategy::PositionAnswer>;
    /// Answers a vote question.
    fn vote(
        &mut self,
        ctx: &strategy::RoundContext,
        me: &strategy::SeatView,
    ) -> strategy::Reply<strategy::Vote>;
    /// Acknowledges an outcome notice.
    fn outcome(&mut self, outcome: &strategy::ItemOutcome) -> strategy::Reply<()>;
    /// Answers the session-end question.
    fn session_end(
        &mut self,
        summary: &strategy::SessionSummary,
        me: &strategy::SeatView,
    ) -> strategy::Reply<strategy::Stance>;
}

/// A strategy that always answers (the in-process path of [`run_in_process`]).
pub struct Honest(pub Box<dyn Strategy>);

impl Answerer for Honest {
    fn position(
        &mut self,
        ctx: &strategy::RoundContext,
        me: &strategy::SeatView,
    ) -> strategy::Reply<strategy::PositionAnswer> {
        Ok(self.0.position(ctx, me))
    }
    fn vote(
        &mut self,
        ctx: &strategy::RoundContext,
        me: &strategy::SeatView,
    ) -> strategy::Reply<strategy::Vote> {
        Ok(self.0.vote(ctx, me))
    }
    fn outcome(&mut self, outcome: &strategy::ItemOutcome) -> strategy::Reply<()> {
        self.0.outcome(outcome);
        Ok(())
    }
    fn session_end(
        &mut self,
        summary: &strategy::SessionSummary,
        me: &strategy::SeatView,
    ) -> strategy::Reply<strategy::Stance> {
        Ok(self.0.session_end(summary, me))
    }
}

/// A strategy answers every question: the in-process path drives it directly, without
/// a wrapper (one pointer less to chase per decision).
impl Answerer for dyn Strategy {
    fn position(
        &mut self,
        ctx: &strategy::RoundContext,
        me: &strategy::SeatView,
    ) -> strategy::Reply<strategy::PositionAnswer> {
        Ok(Strategy::position(self, ctx, me))
    }
    fn vote(
        &mut self,
        ctx: &strategy::RoundContext,
        me: &strategy::SeatView,
    ) -> strategy::Reply<strategy::Vote> {
        Ok(Strategy::vote(self, ctx, me))
    }
    fn outcome(&mut self, outcome: &strategy::ItemOutcome) -> strategy::Reply<()> {
        Strategy::outcome(self, outcome);
        Ok(())
    }
    fn session_end(
        &mut self,
        summary: &strategy::SessionSummary,
        me: &strategy::SeatView,
    ) -> strategy::Reply<strategy::Stance> {
        Ok(Strategy::session_end(self, summary, me))
    }
}

/// Runs a match to its end with local strategies, one per seat in State id order,
/// created from each seat's brief. This is the in-process path; the chair service runs
/// the very same [`Match`] over gRPC.
pub fn run_in_process(
    m: Match,
    make: &mut dyn FnMut(&strategy::SeatBrief) -> Box<dyn Strategy>,
) -> MatchResult {
    drive(m, make)
}

/// Runs a match to its end in-process with an [`Answerer`] per seat, whose replies may
/// be faults: the engine records them as violations exactly as it does for remote
/// delegations.
pub fn run_with(
    m: Match,
    make: &mut dyn FnMut(&strategy::SeatBrief) -> Box<dyn Answerer>,
) -> MatchResult {
    drive(m, make)
}

fn drive<A: Answerer + ?Sized>(
    mut m: Match,
    make: &mut dyn FnMut(&strategy::SeatBrief) -> Box<A>,
) -> MatchResult {
    let n = m.scenario().states.len();
    let mut seats: Vec<Option<Box<A>>> = (0..n).map(|_| None).collect();
    loop {
        let answers = match m.question() {
            Question::Done => break,
            Question::Open { seats: asked } => {
                let asked = asked.to_vec();
                Answers::Acks(
                    asked
                        .iter()
                        .map(|&s| {
                            let mut a = make(&m.brief(s));
                            let r = a.open();
                            seats[s] = Some(a);
                            r
                        })
                        .collect(),
                )
            }
            Question::Positions {
                ctx,
                seats: asked,
                views,
            } => Answers::Positions(
                asked
                    .iter()
                    .map(|&s| seat(&mut seats, s).position(ctx, &views[s]))
                    .collect(),
            ),
            Question::Votes {
                ctx,
                seats: asked,
                views,
            } => Answers::Votes(
                asked
                    .iter()
                    .map(|&s| seat(&mut seats, s).vote(ctx, &views[s]))
                    .collect(),
            ),
            Question::Outcome {
                outcome,
                seats: asked,
            } => Answers::Acks(
                asked
                    .iter()
                    .map(|&s| seat(&mut seats, s).outcome(outcome))
                    .collect(),
            ),
            Question::SessionEnd {
                summaries,
                seats: asked,
                views,
            } => Answers::Stances(
                asked
                    .iter()
                    .map(|&s| seat(&mut seats, s).session_end(&summaries[s], &views[s]))
                    .collect(),
            ),
        };
        m.submit(answers)
            .expect("the in-process driver answers every seat it is asked");
    }
    m.into_results()
}

fn seat<A: Answerer + ?Sized>(seats: &mut [Option<Box<A>>], s: usize) -> &mut A {
    seats[s]
        .as_deref_mut()
        .expect("every seat is opened before it is asked")
}
