//! What makes an answer valid, judged on the core values the engine would receive.
//!
//! [`valid_position`] asks [`plenary_core::answers`], the one validator the engine uses
//! in-process and the chair uses remotely, so a fault reads the same in a conformance
//! report, an in-process run and a remote run.

use plenary_core::answers::{self, PositionQuestion};
use plenary_core::strategy::PositionAnswer;
use plenary_proto::convert;
use plenary_proto::limits::MAX_STRATEGY_BYTES;

/// Whether `a`, answering the positions question `q`, is a valid position: `position`
/// finite within 0..=100, `salience` finite within 0..=1, `link` and `offer.item` (if
/// set) another item of the agenda, `offer.target` and `offer.tolerance` within
/// 0..=100, `invoke` (if set) another seat on a human-dimension item.
pub fn valid_position(q: &PositionQuestion, a: &PositionAnswer) -> Result<(), String> {
    answers::position(a, q).map_err(|e| e.to_string())
}

/// Whether a raw vote is YES, NO or ABSTAIN.
pub fn valid_vote(raw: i32) -> Result<(), String> {
    convert::vote("vote", raw)
        .map(|_| ())
        .map_err(|_| format!("vote {raw} is not YES (1), NO (2) or ABSTAIN (3)"))
}

/// Whether a raw stance is STAY, WITHHOLD or EXIT.
pub fn valid_stance(raw: i32) -> Result<(), String> {
    convert::stance("stance", raw)
        .map(|_| ())
        .map_err(|_| format!("stance {raw} is not STAY (1), WITHHOLD (2) or EXIT (3)"))
}

/// Whether an announced strategy name is 1..=64 bytes.
pub fn valid_strategy(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_STRATEGY_BYTES {
        return Err(format!(
            "strategy name of {} bytes (must be 1..={MAX_STRATEGY_BYTES})",
            name.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(position: f64, salience: f64, link: Option<u32>) -> PositionAnswer {
        PositionAnswer {
            position,
            salience,
            link,
            ..Default::default()
        }
    }

    fn q(item: u32) -> PositionQuestion {
        PositionQuestion {
            item,
            items: 4,
            dimension: plenary_core::model::Dimension::Human,
            seats: 3,
            seat: 0,
        }
    }

    #[test]
    fn positions_are_judged_by_the_core_validator() {
        assert_eq!(valid_position(&q(2), &p(100.0, 0.0, Some(1))), Ok(()));
        assert_eq!(valid_position(&q(2), &p(0.0, 1.0, None)), Ok(()));
        assert_eq!(
            valid_position(&q(2), &p(f64::NAN, 0.5, None)).unwrap_err(),
            "`position` is NaN: it must be a finite number in 0..=100"
        );
        assert!(valid_position(&q(2), &p(100.5, 0.5, None)).is_err());
        assert!(valid_position(&q(2), &p(1.0, 1.5, None)).is_err());
        assert!(valid_position(&q(2), &p(1.0, 0.5, Some(2))).is_err());
        assert!(valid_position(&q(2), &p(1.0, 0.5, Some(4))).is_err());
        let mut bad_offer = p(1.0, 0.5, None);
        bad_offer.offer = Some(plenary_core::strategy::Offer {
            item: 1,
            target: 50.0,
            tolerance: f64::INFINITY,
        });
        assert!(
            valid_position(&q(2), &bad_offer)
                .unwrap_err()
                .contains("offer.tolerance")
        );
        let mut self_invoke = p(1.0, 0.5, None);
        self_invoke.invoke = Some(0);
        assert!(valid_position(&q(2), &self_invoke).is_err());
    }

    #[test]
    fn enums_and_names() {
        assert!(valid_vote(1).is_ok() && valid_vote(3).is_ok());
        assert!(valid_vote(0).unwrap_err().contains("vote 0"));
        assert!(valid_vote(4).is_err());
        assert!(valid_stance(2).is_ok());
        assert!(valid_stance(0).is_err());
        assert!(valid_strategy("tit-for-tat").is_ok());
        assert!(valid_strategy("").is_err());
        assert!(valid_strategy(&"x".repeat(65)).is_err());
    }
}
