//! What makes an answer valid, judged on the core values the engine would receive.
//!
//! [`valid_position`] is the conformance suite's only judge of a position: it applies the
//! rules the engine applies in-process (`plenary_core::engine`, "What makes an answer
//! valid" in the .proto), with the engine's wording, so a fault reads the same in a
//! conformance report, an in-process run and a remote run. It is the one function to
//! point at the core validator when the core exposes one.

use plenary_core::strategy::PositionAnswer;
use plenary_proto::convert;
use plenary_proto::limits::MAX_STRATEGY_BYTES;

/// The item scale of every position (0..=100).
const SCALE: std::ops::RangeInclusive<f64> = 0.0..=100.0;

/// Whether `a`, stated on agenda item `item` of an agenda of `agenda_len` items, is a
/// valid position: `position` finite within 0..=100, `salience` finite within 0..=1,
/// `link` (if set) the index of another item of the agenda.
pub fn valid_position(item: usize, agenda_len: usize, a: &PositionAnswer) -> Result<(), String> {
    if !a.position.is_finite() || !SCALE.contains(&a.position) {
        return Err(format!(
            "position {} is outside the item's scale {}..={}",
            a.position,
            SCALE.start(),
            SCALE.end()
        ));
    }
    if !a.salience.is_finite() || !(0.0..=1.0).contains(&a.salience) {
        return Err(format!("salience {} is outside 0..=1", a.salience));
    }
    if let Some(l) = a.link {
        let l = l as usize;
        if l >= agenda_len {
            return Err(format!("link to unknown item {l}"));
        }
        if l == item {
            return Err("an item cannot be linked to itself".into());
        }
    }
    Ok(())
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
        }
    }

    #[test]
    fn positions() {
        assert_eq!(valid_position(2, 4, &p(100.0, 0.0, Some(1))), Ok(()));
        assert_eq!(valid_position(2, 4, &p(0.0, 1.0, None)), Ok(()));
        assert_eq!(
            valid_position(2, 4, &p(f64::NAN, 0.5, None)).unwrap_err(),
            "position NaN is outside the item's scale 0..=100"
        );
        assert!(valid_position(2, 4, &p(100.5, 0.5, None)).is_err());
        assert!(valid_position(2, 4, &p(f64::INFINITY, 0.5, None)).is_err());
        assert_eq!(
            valid_position(2, 4, &p(1.0, 1.5, None)).unwrap_err(),
            "salience 1.5 is outside 0..=1"
        );
        assert!(valid_position(2, 4, &p(1.0, f64::NAN, None)).is_err());
        assert_eq!(
            valid_position(2, 4, &p(1.0, 0.5, Some(2))).unwrap_err(),
            "an item cannot be linked to itself"
        );
        assert_eq!(
            valid_position(2, 4, &p(1.0, 0.5, Some(4))).unwrap_err(),
            "link to unknown item 4"
        );
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
