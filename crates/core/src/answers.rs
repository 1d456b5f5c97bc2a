//! The one validator of delegation answers.
//!
//! Every path that receives an answer (the engine in-process, the chair's gRPC driver,
//! conformance checks) decides validity here, so the same fault gives the same
//! violation text whichever way it arrives. A text names the field as the contract
//! names it, the value received and what is allowed, e.g.
//! ``"`position` is NaN: it must be a finite number in 0..=100"``.
//!
//! What is checked is the contract, not the wisdom of an answer: a link the design
//! forbids, or an offer about an item the State has no position on, is a valid answer
//! that the chair *refuses* (and tells the delegation so in its
//! [`SeatView`](crate::strategy::SeatView)); a link to an item that does not exist is an
//! invalid answer.

use crate::model::{Dimension, SCALE_MAX, SCALE_MIN};
use crate::strategy::{Offer, Phase, PositionAnswer, Stance, Vote};
use std::fmt;

/// Why an answer breaks the contract: the field and what is wrong with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field as the contract names it (`position`, `offer.target`, `vote`).
    pub field: &'static str,
    /// What is wrong, starting with the value received.
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is {}", self.field, self.message)
    }
}

impl std::error::Error for Invalid {}

impl Invalid {
    fn new(field: &'static str, message: String) -> Invalid {
        Invalid { field, message }
    }

    /// An enumeration value outside the contract (for wire decoders): ``"`vote` is 7:
    /// it must be one of yes, no, abstain"``.
    pub fn unknown_enum(field: &'static str, value: i64, allowed: &[&str]) -> Invalid {
        Invalid::new(
            field,
            format!("{value}: it must be one of {}", allowed.join(", ")),
        )
    }

    /// A required field that is missing (for wire decoders): ``"`position` is missing:
    /// it is required"``.
    pub fn missing(field: &'static str) -> Invalid {
        Invalid::new(field, "missing: it is required".into())
    }
}

/// What the validator needs to know about the question a positions answer replies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionQuestion {
    /// Agenda index of the item under discussion.
    pub item: u32,
    /// Number of agenda items.
    pub items: u32,
    /// Dimension of the item under discussion.
    pub dimension: Dimension,
    /// Number of seats in the match.
    pub seats: u32,
    /// The seat answering.
    pub seat: u32,
}

/// A number on a closed range: finite and within `lo..=hi`.
pub fn number(field: &'static str, value: f64, lo: f64, hi: f64) -> Result<(), Invalid> {
    if !value.is_finite() {
        return Err(Invalid::new(
            field,
            format!("{value}: it must be a finite number in {lo}..={hi}"),
        ));
    }
    if value < lo || value > hi {
        return Err(Invalid::new(
            field,
            format!("{value}: it must be in {lo}..={hi}"),
        ));
    }
    Ok(())
}

fn other_item(field: &'static str, target: u32, q: &PositionQuestion) -> Result<(), Invalid> {
    if target >= q.items {
        return Err(Invalid::new(
            field,
            format!(
                "{target}: it must name another agenda item (0..={})",
                q.items.saturating_sub(1)
            ),
        ));
    }
    if target == q.item {
        return Err(Invalid::new(
            field,
            format!(
                "{target}: that is the item under discussion; it must name another agenda item"
            ),
        ));
    }
    Ok(())
}

/// Checks a trade offer made in a positions answer.
pub fn offer(o: &Offer, q: &PositionQuestion) -> Result<(), Invalid> {
    other_item("offer.item", o.item, q)?;
    number("offer.target", o.target, SCALE_MIN, SCALE_MAX)?;
    number("offer.tolerance", o.tolerance, 0.0, SCALE_MAX)
}

/// Checks a positions answer: position and salience on their scales, a link or offer
/// naming another existing item, a Moscow Mechanism invocation naming another seat on a
/// human-dimension item.
pub fn position(a: &PositionAnswer, q: &PositionQuestion) -> Result<(), Invalid> {
    number("position", a.position, SCALE_MIN, SCALE_MAX)?;
    number("salience", a.salience, 0.0, 1.0)?;
    if let Some(l) = a.link {
        other_item("link", l, q)?;
    }
    if let Some(o) = &a.offer {
        offer(o, q)?;
    }
    if let Some(t) = a.invoke {
        if t >= q.seats {
            return Err(Invalid::new(
                "invoke",
                format!(
                    "{t}: it must name a seat (0..={})",
                    q.seats.saturating_sub(1)
                ),
            ));
        }
        if t == q.seat {
            return Err(Invalid::new(
                "invoke",
                format!("{t}: that is the invoking seat itself"),
            ));
        }
        if q.dimension != Dimension::Human {
            return Err(Invalid::new(
                "invoke",
                format!(
                    "{t}: set on item {} of the {} dimension; the Moscow Mechanism is invoked on human-dimension items only",
                    q.item, q.dimension
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a vote. Every vote is valid in every voting phase (under silence only `no`
/// breaks it); the function exists so every path asks the same place.
pub fn vote(_phase: Phase, _v: Vote) -> Result<(), Invalid> {
    Ok(())
}

/// Checks a stance. Every stance is valid; an exit where the design allows none is read
/// as staying.
pub fn stance(_s: Stance) -> Result<(), Invalid> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> PositionQuestion {
        PositionQuestion {
            item: 3,
            items: 7,
            dimension: Dimension::Human,
            seats: 57,
            seat: 2,
        }
    }

    fn a(position: f64, salience: f64) -> PositionAnswer {
        PositionAnswer {
            position,
            salience,
            ..Default::default()
        }
    }

    fn text(r: Result<(), Invalid>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn exact_texts() {
        assert_eq!(
            text(position(&a(f64::NAN, 0.5), &q())),
            "`position` is NaN: it must be a finite number in 0..=100"
        );
        assert_eq!(
            text(position(&a(140.0, 0.5), &q())),
            "`position` is 140: it must be in 0..=100"
        );
        assert_eq!(
            text(position(&a(f64::INFINITY, 0.5), &q())),
            "`position` is inf: it must be a finite number in 0..=100"
        );
        assert_eq!(
            text(position(&a(50.0, 1.5), &q())),
            "`salience` is 1.5: it must be in 0..=1"
        );
        let mut l = a(50.0, 0.5);
        l.link = Some(7);
        assert_eq!(
            text(position(&l, &q())),
            "`link` is 7: it must name another agenda item (0..=6)"
        );
        l.link = Some(3);
        assert_eq!(
            text(position(&l, &q())),
            "`link` is 3: that is the item under discussion; it must name another agenda item"
        );
        let mut o = a(50.0, 0.5);
        o.offer = Some(Offer {
            item: 1,
            target: -3.0,
            tolerance: 5.0,
        });
        assert_eq!(
            text(position(&o, &q())),
            "`offer.target` is -3: it must be in 0..=100"
        );
        o.offer = Some(Offer {
            item: 1,
            target: 30.0,
            tolerance: f64::NAN,
        });
        assert_eq!(
            text(position(&o, &q())),
            "`offer.tolerance` is NaN: it must be a finite number in 0..=100"
        );
        let mut m = a(50.0, 0.5);
        m.invoke = Some(2);
        assert_eq!(
            text(position(&m, &q())),
            "`invoke` is 2: that is the invoking seat itself"
        );
        m.invoke = Some(57);
        assert_eq!(
            text(position(&m, &q())),
            "`invoke` is 57: it must name a seat (0..=56)"
        );
        let mut pm = q();
        pm.dimension = Dimension::PoliticoMilitary;
        m.invoke = Some(5);
        assert_eq!(
            text(position(&m, &pm)),
            "`invoke` is 5: set on item 3 of the politico-military dimension; the Moscow Mechanism is invoked on human-dimension items only"
        );
        assert_eq!(
            Invalid::unknown_enum("vote", 7, &["yes", "no", "abstain"]).to_string(),
            "`vote` is 7: it must be one of yes, no, abstain"
        );
        assert_eq!(
            Invalid::missing("position").to_string(),
            "`position` is missing: it is required"
        );
    }

    #[test]
    fn valid_answers_pass() {
        let mut ok = a(0.0, 1.0);
        ok.link = Some(0);
        ok.offer = Some(Offer {
            item: 6,
            target: 100.0,
            tolerance: 0.0,
        });
        ok.invoke = Some(56);
        assert_eq!(position(&ok, &q()), Ok(()));
        assert_eq!(position(&a(100.0, 0.0), &q()), Ok(()));
    }
}
