//! Mediation: how the chair turns stated positions into a proposal.
//!
//! * compromise model: the capability x salience weighted mean of positions (the
//!   "compromise model" of the EU decision-making literature, e.g. Stokman/van den Bos);
//! * Nash bargaining solution on the item's scale with the status quo as the
//!   disagreement point, weighted by capability (generalised NBS);
//! * max-support: the point that the largest capability-weighted set of States strictly
//!   prefers to the status quo (an agenda setter looking for a winning coalition).
//!
//! All three take the same input: stated positions with salience and capability.

use crate::model::{SCALE_MAX, SCALE_MIN};

/// A stated position with its weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stated {
    /// Position on the scale.
    pub position: f64,
    /// Salience (0..1).
    pub salience: f64,
    /// Capability.
    pub capability: f64,
}

impl Stated {
    fn gain(&self, x: f64, sq: f64) -> f64 {
        self.salience * ((sq - self.position).abs() - (x - self.position).abs())
    }
}

/// Capability x salience weighted mean; `None` when nobody has weight.
pub fn compromise(points: &[Stated]) -> Option<f64> {
    let (mut num, mut den) = (0.0, 0.0);
    for p in points {
        let w = p.capability * p.salience;
        num += w * p.position;
        den += w;
    }
    (den > 0.0).then(|| num / den)
}

/// The generalised Nash bargaining solution: maximises the capability-weighted sum of
/// log gains over the status quo, over the points where no State loses. When no point
/// other than the status quo leaves everyone at least as well off (positions on both
/// sides of it), the solution is the status quo itself.
pub fn nash(points: &[Stated], sq: f64) -> f64 {
    // Nobody with weight at the table: there is no bargain to strike.
    if !points
        .iter()
        .any(|p| p.salience > 0.0 && p.capability > 0.0)
    {
        return sq;
    }
    // Feasible set: every State's gain >= 0, i.e. |x - p| <= |sq - p|.
    let (mut lo, mut hi) = (SCALE_MIN, SCALE_MAX);
    for p in points
        .iter()
        .filter(|p| p.salience > 0.0 && p.capability > 0.0)
    {
        let d = (sq - p.position).abs();
        lo = lo.max(p.position - d);
        hi = hi.min(p.position + d);
    }
    if hi - lo < 1e-9 {
        return sq;
    }
    // The objective sum_i c_i ln g_i(x) is concave on the feasible interval, so its
    // derivative sum_i c_i g_i'(x) / g_i(x) falls as x grows: bisect on its sign. That
    // needs no logarithms, and at a kink the bisection closes in on the kink itself.
    let slope = |x: f64| -> f64 {
        points
            .iter()
            .filter(|p| p.salience > 0.0 && p.capability > 0.0)
            .map(|p| {
                let g = p.gain(x, sq).max(1e-300);
                let dg = if x < p.position {
                    p.salience
                } else {
                    -p.salience
                };
                p.capability * dg / g
            })
            .sum()
    };
    let (mut a, mut b) = (lo, hi);
    // 48 halvings of a 0..100 interval leave under 1e-12.
    for _ in 0..48 {
        let m = 0.5 * (a + b);
        if slope(m) > 0.0 {
            a = m;
        } else {
            b = m;
        }
    }
    0.5 * (a + b)
}

/// Capability-weighted support for `x` against `sq`: the weight of States that strictly
/// prefer `x`.
pub fn support(points: &[Stated], x: f64, sq: f64) -> f64 {
    points
        .iter()
        .filter(|p| p.salience > 0.0 && p.gain(x, sq) > 1e-12)
        .map(|p| p.capability)
        .sum()
}

/// The point with the largest capability-weighted support against the status quo; among
/// equally supported stretches the one nearest the compromise point, and within it the
/// point nearest the compromise point. Returns `sq` when no move finds any support.
/// O(N log N): a sweep over the ends of the intervals where each State gains.
pub fn max_support(points: &[Stated], sq: f64) -> f64 {
    // State i strictly gains on the open interval (p - d, p + d), d = |sq - p|.
    let mut events: Vec<(f64, f64)> = Vec::with_capacity(points.len() * 2);
    for p in points.iter().filter(|p| p.salience > 0.0) {
        let d = (sq - p.position).abs();
        if d > 1e-12 {
            events.push((p.position - d, p.capability));
            events.push((p.position + d, -p.capability));
        }
    }
    if events.is_empty() {
        return sq;
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let target = compromise(points).unwrap_or(sq);
    let mut best: Option<(f64, f64, f64)> = None; // (support, cell lo, cell hi)
    let mut level = 0.0;
    let mut i = 0;
    while i < events.len() {
        let x = events[i].0;
        while i < events.len() && events[i].0 == x {
            level += events[i].1;
            i += 1;
        }
        let Some(&(next, _)) = events.get(i) else {
            break;
        };
        let (lo, hi) = (x.max(SCALE_MIN), next.min(SCALE_MAX));
        if hi - lo <= 1e-9 {
            continue;
        }
        let better = match best {
            None => level > 1e-12,
            Some((s, blo, bhi)) => {
                level > s + 1e-9
                    || ((level - s).abs() <= 1e-9
                        && dist_to_cell(target, lo, hi) < dist_to_cell(target, blo, bhi))
            }
        };
        if better {
            best = Some((level, lo, hi));
        }
    }
    match best {
        None => sq,
        Some((_, lo, hi)) => {
            // Open cell: keep strictly inside so the supporters still strictly gain.
            let margin = ((hi - lo) * 1e-3).min(1e-3);
            target.clamp(lo + margin, hi - margin)
        }
    }
}

fn dist_to_cell(x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        lo - x
    } else if x > hi {
        x - hi
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn s(position: f64, salience: f64, capability: f64) -> Stated {
        Stated {
            position,
            salience,
            capability,
        }
    }

    fn random_case(rng: &mut Stream, n: usize) -> (Vec<Stated>, f64) {
        let pts = (0..n)
            .map(|_| {
                s(
                    (rng.unit() * 100.0).round(),
                    0.1 + 0.9 * rng.unit(),
                    1.0 + (rng.unit() * 9.0).round(),
                )
            })
            .collect();
        (pts, (rng.unit() * 100.0).round())
    }

    fn grid() -> impl Iterator<Item = f64> {
        (0..=20_000).map(|i| f64::from(i) * 0.005)
    }

    #[test]
    fn compromise_hand_worked() {
        // weights 1*1=1 at 0 and 3*1=3 at 100: mean 75.
        let c = compromise(&[s(0.0, 1.0, 1.0), s(100.0, 1.0, 3.0)]).unwrap();
        assert!((c - 75.0).abs() < 1e-12);
        assert_eq!(compromise(&[s(10.0, 0.0, 1.0)]), None);
    }

    #[test]
    fn compromise_minimises_weighted_squared_distance() {
        let mut rng = Stream::new(11, &["compromise"]);
        for _ in 0..50 {
            let (pts, _) = random_case(&mut rng, 5);
            let c = compromise(&pts).unwrap();
            let loss = |x: f64| -> f64 {
                pts.iter()
                    .map(|p| p.capability * p.salience * (x - p.position).powi(2))
                    .sum()
            };
            let brute = grid().min_by(|a, b| loss(*a).total_cmp(&loss(*b))).unwrap();
            assert!((c - brute).abs() <= 0.005 + 1e-9, "{c} vs {brute}");
        }
    }

    #[test]
    fn nash_hand_worked() {
        // Two equal States on the same side of sq = 0 at 40 and 60: feasible [0, 80];
        // maximise ln(40 - |x-40|) + ln(60 - |x-60|): on [40, 60] that is
        // ln(80 - x) + ln(x), maximal at x = 40.
        let x = nash(&[s(40.0, 1.0, 1.0), s(60.0, 1.0, 1.0)], 0.0);
        assert!((x - 40.0).abs() < 1e-6, "{x}");
        // Positions on both sides of the status quo: no one may lose, so sq.
        assert_eq!(nash(&[s(20.0, 1.0, 1.0), s(80.0, 1.0, 1.0)], 50.0), 50.0);
        // Nobody with weight (no positions, or every stated salience 0): sq.
        assert_eq!(nash(&[], 50.0), 50.0);
        assert_eq!(nash(&[s(90.0, 0.0, 1.0), s(80.0, 0.0, 3.0)], 50.0), 50.0);
    }

    #[test]
    fn nash_matches_brute_force() {
        let mut rng = Stream::new(12, &["nash"]);
        for _ in 0..60 {
            let (pts, sq) = random_case(&mut rng, 4);
            let x = nash(&pts, sq);
            let product = |x: f64| -> f64 {
                pts.iter()
                    .map(|p| p.gain(x, sq).max(0.0).powf(p.capability))
                    .product()
            };
            let brute = grid()
                .max_by(|a, b| product(*a).total_cmp(&product(*b)))
                .unwrap();
            if product(brute) <= 0.0 {
                assert_eq!(x, sq);
            } else {
                // Compare objective values (the product can be flat near the top).
                let rel = (product(x) - product(brute)) / product(brute);
                assert!(
                    rel > -1e-3,
                    "nash {x} ({}) vs brute {brute} ({})",
                    product(x),
                    product(brute)
                );
            }
        }
    }

    #[test]
    fn max_support_hand_worked() {
        // sq = 50; A at 70 (gains on (30, 90)), B at 80 (on (20, 100)), C at 10
        // (on (-30, 50)). A and B together (weight 2) beat C alone.
        let pts = [s(70.0, 1.0, 1.0), s(80.0, 1.0, 1.0), s(10.0, 1.0, 1.0)];
        let x = max_support(&pts, 50.0);
        assert!(x > 50.0 && x < 90.0, "{x}");
        assert_eq!(support(&pts, x, 50.0), 2.0);
        // Nobody wants change: status quo.
        assert_eq!(max_support(&[s(50.0, 1.0, 1.0)], 50.0), 50.0);
    }

    #[test]
    fn max_support_matches_brute_force() {
        let mut rng = Stream::new(13, &["support"]);
        for _ in 0..100 {
            let (pts, sq) = random_case(&mut rng, 6);
            let x = max_support(&pts, sq);
            let best = grid().map(|g| support(&pts, g, sq)).fold(0.0, f64::max);
            assert!(
                (support(&pts, x, sq) - best).abs() < 1e-9,
                "max_support {x} has {} but {best} is possible",
                support(&pts, x, sq)
            );
        }
    }
}
