//! Building blocks of the built-in strategies: scale clamping, the Faratin et al. (1998)
//! time-dependent concession curve, the "moderate bargainer" and the "decide on the
//! merits" rules. The seat memory lives in [`crate::memory`], the bookkeeping in
//! [`crate::adapter`].

use plenary_core::model::{Preference, SCALE_MAX, SCALE_MIN};
use plenary_core::strategy::{PositionAnswer, SeatView, Stance, Vote};

/// Tolerance for comparisons on the 0..100 scale.
pub(crate) const EPS: f64 = 1e-9;

/// A position clamped onto the scale; a non-finite value becomes `fallback` (or the
/// middle of the scale when that is not finite either).
pub(crate) fn clamp_position(x: f64, fallback: f64) -> f64 {
    let v = if x.is_finite() {
        x
    } else if fallback.is_finite() {
        fallback
    } else {
        (SCALE_MIN + SCALE_MAX) / 2.0
    };
    v.clamp(SCALE_MIN, SCALE_MAX)
}

/// A salience clamped onto 0..=1 (non-finite becomes 0.5).
pub(crate) fn clamp_salience(s: f64) -> f64 {
    if s.is_finite() {
        s.clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// A well-formed position answer: clamped position and salience, and a link only to
/// another item that exists.
pub(crate) fn answer(
    position: f64,
    salience: f64,
    link: Option<u32>,
    item: u32,
    items: usize,
) -> PositionAnswer {
    PositionAnswer {
        position: clamp_position(position, (SCALE_MIN + SCALE_MAX) / 2.0),
        salience: clamp_salience(salience),
        link: link.filter(|&l| l != item && (l as usize) < items),
        offer: None,
        invoke: None,
    }
}

/// Faratin, Sierra & Jennings (1998) polynomial time-dependent tactic with `k = 0`:
/// the share of the way from the ideal to the reservation point conceded at time
/// `t` in 0..=1, `t^(1/e)`. `e < 1` is Boulware (holds out, then concedes at the
/// deadline), `e > 1` Conceder (gives ground early), `e = 1` linear.
pub(crate) fn concession(t: f64, e: f64) -> f64 {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let e = if e.is_finite() && e > 0.0 { e } else { 1.0 };
    t.powf(1.0 / e)
}

/// Distance of `x` from the ideal.
pub(crate) fn distance(p: &Preference, x: f64) -> f64 {
    (x - p.ideal).abs()
}

/// Whether `x` lies within `k` times the red line of the ideal.
pub(crate) fn within(p: &Preference, x: f64, k: f64) -> bool {
    distance(p, x) <= k * p.red_line + EPS
}

/// The reservation point towards `anchor`: the anchor itself, or the point at the red
/// line on its side of the ideal when the anchor lies beyond the red line.
pub(crate) fn reservation(p: &Preference, anchor: f64, reach: f64) -> f64 {
    let r = reach.max(0.0);
    p.ideal + (anchor - p.ideal).clamp(-r, r)
}

/// The "decide on the merits" rule: accept what improves on the status quo or what one
/// can live with (within the red line).
pub(crate) fn on_merits(p: &Preference, x: f64, sq: f64) -> bool {
    p.gain(x, sq) > EPS || within(p, x, 1.0)
}

/// Stated position of a moderate bargainer: its ideal, conceding linearly over the
/// item's rounds up to half the way to its reservation point towards the proposal on
/// the table (the status quo before there is one).
pub(crate) fn moderate_position(p: &Preference, anchor: f64, t: f64) -> f64 {
    let target = reservation(p, anchor, p.red_line);
    p.ideal + 0.5 * concession(t, 1.0) * (target - p.ideal)
}

/// Acceptance of a moderate bargainer: any improvement on the status quo, or anything
/// within a band that widens linearly from half its red line to the full red line at
/// the deadline.
pub(crate) fn moderate_accepts(p: &Preference, x: f64, sq: f64, t: f64) -> bool {
    p.gain(x, sq) > EPS || within(p, x, 0.5 + 0.5 * concession(t, 1.0))
}

/// Below this legitimacy (plus [`WITHHOLD_TENSION`] times the tension) a contesting
/// member withholds its budget contribution.
pub(crate) const WITHHOLD_BELOW: f64 = 0.2;
/// How much tension raises the withholding threshold.
pub(crate) const WITHHOLD_TENSION: f64 = 0.15;
/// Below this legitimacy, with its bloc in crisis, a contesting member leaves (where
/// the design allows exit).
pub(crate) const EXIT_BELOW: f64 = 0.08;

/// The contestation strategies of an alienated member (Morse & Keohane 2014, cited by
/// the paper: "resistance from within, the withholding of resources ..., or even
/// withdrawal"), as tension and legitimacy move them: withhold when legitimacy falls
/// below a threshold that rises with tension; leave when it falls very low while the
/// State's bloc is in crisis.
pub(crate) fn contest(me: &SeatView, exit_allowed: bool) -> Stance {
    let l = me.legitimacy;
    if !l.is_finite() {
        return Stance::Stay;
    }
    let t = if me.tension.is_finite() {
        me.tension.clamp(0.0, 1.0)
    } else {
        0.0
    };
    if exit_allowed && me.crisis && l < EXIT_BELOW {
        Stance::Exit
    } else if l < WITHHOLD_BELOW + WITHHOLD_TENSION * t {
        Stance::Withhold
    } else {
        Stance::Stay
    }
}

/// Yes / No from a boolean.
pub(crate) fn yes_if(ok: bool) -> Vote {
    if ok { Vote::Yes } else { Vote::No }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concession_curves_bracket_linear() {
        for t in [0.1, 0.3, 0.5, 0.9] {
            assert!(concession(t, 0.2) < concession(t, 1.0));
            assert!(concession(t, 1.0) < concession(t, 3.0));
        }
        assert_eq!(concession(0.0, 0.2), 0.0);
        assert_eq!(concession(1.0, 0.2), 1.0);
        assert_eq!(concession(f64::NAN, 0.2), 1.0);
    }

    #[test]
    fn contestation_moves_with_tension_and_crisis() {
        let v = |legitimacy: f64, tension: f64, crisis: bool| SeatView {
            legitimacy,
            tension,
            crisis,
            ..SeatView::default()
        };
        assert_eq!(contest(&v(0.3, 0.0, false), true), Stance::Stay);
        // 0.3 < 0.2 + 0.15 * 0.8 = 0.32: tension turns the same legitimacy into withholding.
        assert_eq!(contest(&v(0.3, 0.8, false), true), Stance::Withhold);
        assert_eq!(contest(&v(0.05, 0.8, false), true), Stance::Withhold);
        assert_eq!(contest(&v(0.05, 0.9, true), true), Stance::Exit);
        assert_eq!(contest(&v(0.05, 0.9, true), false), Stance::Withhold);
        assert_eq!(contest(&v(f64::NAN, 0.9, true), true), Stance::Stay);
    }
}
