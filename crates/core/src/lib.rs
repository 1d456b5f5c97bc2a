//! plenary-core: the negotiation model of plenary, with no I/O and no async.
//!
//! A *match* is one simulated history under one institutional design: a sequence of
//! sessions, each working through the agenda item by item in rounds of positions,
//! mediation and decision. The [`engine`] drives a match as a pure state machine that
//! asks delegations questions and takes their answers; [`run_in_process`] answers with
//! local [`Strategy`] values, and the chair service answers over gRPC with the same
//! machine, so both paths give identical results.

pub mod assignment;
pub mod design;
pub mod files;
pub mod model;
pub mod rng;
pub mod scenario;
pub mod validate;

pub use design::Design;
pub use files::{FileError, FileErrors};
pub use model::{Dimension, Item, ItemKind, Preference, Preferences, State};
pub use scenario::Scenario;

pub mod engine;
pub mod mediation;
pub mod metrics;
pub mod rules;
pub mod strategy;

pub use engine::{Answers, Match, MatchSetup, Question};
pub use metrics::MatchResult;
pub use strategy::{Strategy, StrategyFactory};

/// Runs a match to its end with local strategies, one per seat in State id order,
/// created from each seat's brief. This is the in-process path; the chair service runs
/// the very same [`Match`] over gRPC.
pub fn run_in_process(
    mut m: Match,
    make: &mut dyn FnMut(&strategy::SeatBrief) -> Box<dyn Strategy>,
) -> MatchResult {
    let n = m.scenario().states.len();
    let mut seats: Vec<Option<Box<dyn Strategy>>> = (0..n).map(|_| None).collect();
    loop {
        let answers = match m.question() {
            Question::Done => break,
            Question::Open { seats: asked } => {
                let asked = asked.to_vec();
                for s in asked.iter().copied() {
                    seats[s] = Some(make(&m.brief(s)));
                }
                Answers::Acks(asked.iter().map(|_| Ok(())).collect())
            }
            Question::Positions {
                ctx,
                seats: asked,
                views,
            } => Answers::Positions(
                asked
                    .iter()
                    .map(|&s| Ok(seat(&mut seats, s).position(ctx, &views[s])))
                    .collect(),
            ),
            Question::Votes {
                ctx,
                seats: asked,
                views,
            } => Answers::Votes(
                asked
                    .iter()
                    .map(|&s| Ok(seat(&mut seats, s).vote(ctx, &views[s])))
                    .collect(),
            ),
            Question::Outcome {
                outcome,
                seats: asked,
            } => Answers::Acks(
                asked
                    .iter()
                    .map(|&s| {
                        seat(&mut seats, s).outcome(outcome);
                        Ok(())
                    })
                    .collect(),
            ),
            Question::SessionEnd {
                summaries,
                seats: asked,
                views,
            } => Answers::Stances(
                asked
                    .iter()
                    .map(|&s| Ok(seat(&mut seats, s).session_end(&summaries[s], &views[s])))
                    .collect(),
            ),
        };
        m.submit(answers)
            .expect("the in-process driver answers every seat it is asked");
    }
    m.into_results()
}

fn seat(seats: &mut [Option<Box<dyn Strategy>>], s: usize) -> &mut dyn Strategy {
    seats[s]
        .as_deref_mut()
        .expect("every seat is opened before it is asked")
}
