//! Statistics used by the summaries: order-independent streaming accumulators, the
//! Student t quantile (implemented here, no statistics dependency), 95% confidence
//! intervals, and the replicator dynamics of the evolutionary format.
//!
//! [`Acc`] keeps exact fixed-point sums (value x 2^40 rounded, in `i128`): each value is
//! rounded on its own and the sums are exact integers, so the result does not depend on
//! the order in which matches arrive. That is what makes summaries of serial, parallel,
//! resumed, sharded-and-merged runs identical byte for byte. Memory is constant in the
//! number of matches.

use serde::{Deserialize, Serialize};

const SCALE: f64 = (1u64 << 40) as f64;

fn fixed(x: f64) -> i128 {
    (x * SCALE).round() as i128
}

/// Streaming accumulator of count, sum, sum of squares, min and max.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Acc {
    n: u64,
    sum: i128,
    sumsq: i128,
    min: f64,
    max: f64,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            n: 0,
            sum: 0,
            sumsq: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Acc {
    /// Adds one observation (non-finite values are ignored).
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        self.sum = self.sum.saturating_add(fixed(x));
        self.sumsq = self.sumsq.saturating_add(fixed(x * x));
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// Number of observations.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Mean (None without observations).
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / SCALE / self.n as f64)
    }

    /// Sum of the observations (exact up to the fixed-point scale).
    pub fn total(&self) -> f64 {
        self.sum as f64 / SCALE
    }

    /// Sample standard deviation (None below two observations).
    pub fn sd(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        let s = self.sum as f64 / SCALE;
        let ss = self.sumsq as f64 / SCALE;
        Some(((ss - s * s / n) / (n - 1.0)).max(0.0).sqrt())
    }

    /// The descriptive statistics with a 95% t interval.
    pub fn stat(&self) -> Stat {
        let mean = self.mean();
        let sd = self.sd();
        let half =
            sd.map(|sd| t_quantile(0.975, (self.n - 1) as f64) * sd / (self.n as f64).sqrt());
        Stat {
            n: self.n,
            mean,
            sd,
            ci_low: mean.zip(half).map(|(m, h)| m - h),
            ci_high: mean.zip(half).map(|(m, h)| m + h),
            min: (self.n > 0).then_some(self.min),
            max: (self.n > 0).then_some(self.max),
        }
    }
}

/// Mean, sd and 95% confidence interval of one quantity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stat {
    /// Observations.
    pub n: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Sample standard deviation.
    pub sd: Option<f64>,
    /// Lower end of the 95% confidence interval of the mean (t distribution, n-1 df).
    pub ci_low: Option<f64>,
    /// Upper end of the interval.
    pub ci_high: Option<f64>,
    /// Smallest observation.
    pub min: Option<f64>,
    /// Largest observation.
    pub max: Option<f64>,
}

impl Stat {
    /// Half-width of the interval (0 when unknown).
    pub fn half_width(&self) -> f64 {
        match (self.ci_low, self.ci_high) {
            (Some(l), Some(h)) => (h - l) / 2.0,
            _ => 0.0,
        }
    }
}

/// Exact fixed-point sum of a few observations (the mean of a strategy's values in one
/// block of common random numbers): order-independent like [`Acc`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exact {
    sum: i128,
    n: u32,
}

impl Exact {
    /// Adds one observation (non-finite values are ignored).
    pub fn add(&mut self, x: f64) {
        if x.is_finite() {
            self.sum = self.sum.saturating_add(fixed(x));
            self.n += 1;
        }
    }

    /// Mean (None without observations).
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / SCALE / f64::from(self.n))
    }
}

/// A paired comparison of two strategies over the blocks of common random numbers
/// they share (same seats, preferences and background).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Blocks where both played.
    pub n: u64,
    /// Mean of the differences (first minus second).
    pub mean: f64,
    /// 95% t interval of the mean difference (None below two blocks).
    pub ci: Option<(f64, f64)>,
    /// Two-sided p-value of the paired t test (1 when it cannot be computed; 0 when
    /// every difference is the same non-zero number).
    pub p: f64,
}

/// The paired t test of differences `d` (computed in the given order, which the
/// caller keeps deterministic).
pub fn paired(d: &[f64]) -> Paired {
    let n = d.len();
    if n == 0 {
        return Paired {
            n: 0,
            mean: 0.0,
            ci: None,
            p: 1.0,
        };
    }
    let nf = n as f64;
    let mean = d.iter().sum::<f64>() / nf;
    if n < 2 {
        return Paired {
            n: 1,
            mean,
            ci: None,
            p: 1.0,
        };
    }
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    let se = (var / nf).sqrt();
    let df = nf - 1.0;
    let half = t_quantile(0.975, df) * se;
    // Differences equal to rounding noise count as none (exact ties of strategies
    // that played identically).
    let scale = d.iter().fold(0.0_f64, |a, x| a.max(x.abs())).max(1e-300);
    let p = if se <= 1e-12 * scale || se == 0.0 {
        if mean.abs() <= 1e-12 * scale.max(1.0) {
            1.0
        } else {
            0.0
        }
    } else {
        let t = (mean / se).abs();
        (2.0 * (1.0 - t_cdf(t, df))).clamp(0.0, 1.0)
    };
    Paired {
        n: n as u64,
        mean,
        ci: Some((mean - half, mean + half)),
        p,
    }
}

/// Holm's step-down adjustment of p-values (controls the family-wise error rate):
/// sorted ascending, `p'_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))`. Returned in
/// the input order.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut out = vec![1.0; m];
    let mut running: f64 = 0.0;
    for (j, &i) in order.iter().enumerate() {
        let adj = ((m - j) as f64 * p[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

/// Quantile `q` (0..1) of sorted values by linear interpolation (type 7, as R and
/// numpy default).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Competition ranks ("1224") of values sorted best first: equal values share the
/// rank of the first of them.
pub fn competition_ranks(sorted_best_first: &[f64]) -> Vec<u32> {
    let mut ranks = Vec::with_capacity(sorted_best_first.len());
    for (i, v) in sorted_best_first.iter().enumerate() {
        if i > 0 && *v == sorted_best_first[i - 1] {
            let r = ranks[i - 1];
            ranks.push(r);
        } else {
            ranks.push(i as u32 + 1);
        }
    }
    ranks
}

/// ln Gamma(x) for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularized incomplete beta I_x(a, b) by Lentz's continued fraction.
pub fn inc_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - inc_beta(1.0 - x, b, a);
    }
    let tiny = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut f = d;
    for m in 1..500 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        for num in [even, odd] {
            d = 1.0 + num * d;
            if d.abs() < tiny {
                d = tiny;
            }
            c = 1.0 + num / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            f *= c * d;
        }
        if (c * d - 1.0).abs() < 1e-15 {
            break;
        }
    }
    ln_front.exp() * f / a
}

/// Student t cumulative distribution function with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * inc_beta(x, df / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// Quantile of the Student t distribution: the `t` with `P(T <= t) = p` (bisection on
/// the cdf; `p` in (0, 1), `df > 0`).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e12 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 * hi.max(1.0) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// One step of the exponential replicator dynamics:
/// `x'_s = x_s exp(beta f_s) / sum_t x_t exp(beta f_t)`.
///
/// It is the discrete replicator equation with fitness `exp(beta f)`, so it is defined
/// for negative payoffs (utility gains can be negative) and unchanged when every payoff
/// moves by the same constant. A strategy without a payoff this generation (no seat
/// played it) gets the population's mean payoff and so keeps its share relative to the
/// average. Shares are renormalised to sum to one.
pub fn replicator_step(shares: &[f64], fitness: &[Option<f64>], beta: f64) -> Vec<f64> {
    let present: f64 = shares
        .iter()
        .zip(fitness)
        .filter(|(_, f)| f.is_some())
        .map(|(x, _)| x)
        .sum();
    let mean = if present > 0.0 {
        shares
            .iter()
            .zip(fitness)
            .filter_map(|(x, f)| f.map(|f| x * f))
            .sum::<f64>()
            / present
    } else {
        0.0
    };
    let f: Vec<f64> = fitness.iter().map(|f| f.unwrap_or(mean)).collect();
    let top = f.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = shares
        .iter()
        .zip(&f)
        .map(|(x, f)| x * (beta * (f - top)).exp())
        .collect();
    let total: f64 = w.iter().sum();
    if total > 0.0 && total.is_finite() {
        w.iter().map(|v| v / total).collect()
    } else {
        shares.to_vec()
    }
}

/// Standardizes payoffs: `(f - mean) / sd` over the strategies that have one
/// (population sd, unweighted). Unchanged when fewer than two have a payoff or they
/// are all equal.
pub fn standardize(fitness: &[Option<f64>]) -> Vec<Option<f64>> {
    let v: Vec<f64> = fitness.iter().flatten().copied().collect();
    if v.len() < 2 {
        return fitness.to_vec();
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    if sd <= 0.0 || !sd.is_finite() {
        return fitness.to_vec();
    }
    fitness.iter().map(|f| f.map(|x| (x - mean) / sd)).collect()
}

/// The shares of the next generation: [`replicator_step`] on the payoffs, standardized
/// first when `standardized` (then `beta` is per standard deviation of payoff).
pub fn next_shares(
    shares: &[f64],
    fitness: &[Option<f64>],
    beta: f64,
    standardized: bool,
) -> Vec<f64> {
    if standardized {
        replicator_step(shares, &standardize(fitness), beta)
    } else {
        replicator_step(shares, fitness, beta)
    }
}

/// Splits `n` seats among strategies in proportion to `shares` (largest remainder;
/// ties go to the lower index).
pub fn apportion(shares: &[f64], n: usize) -> Vec<usize> {
    let total: f64 = shares.iter().sum();
    if shares.is_empty() || total <= 0.0 {
        return vec![0; shares.len()];
    }
    let quotas: Vec<f64> = shares.iter().map(|s| s / total * n as f64).collect();
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut left = n - counts.iter().sum::<usize>().min(n);
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = quotas[a] - quotas[a].floor();
        let rb = quotas[b] - quotas[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95% critical values from standard t tables.
        for (df, want) in [
            (1.0, 12.7062),
            (2.0, 4.3027),
            (5.0, 2.5706),
            (10.0, 2.2281),
            (30.0, 2.0423),
            (120.0, 1.9799),
        ] {
            let got = t_quantile(0.975, df);
            assert!((got - want).abs() < 1e-3, "df {df}: {got} vs {want}");
        }
        assert!((t_quantile(0.95, 5.0) - 2.0150).abs() < 1e-3);
        assert!((t_quantile(0.025, 5.0) + 2.5706).abs() < 1e-3);
        assert!((t_quantile(0.975, 1e6) - 1.95996).abs() < 1e-3);
        assert!((t_cdf(0.0, 3.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn ci_hand_worked() {
        // 1, 2, 3, 4, 5: mean 3, sd sqrt(2.5), half = 2.7764 * sqrt(2.5) / sqrt(5) = 1.9632.
        let mut a = Acc::default();
        for x in [3.0, 1.0, 5.0, 2.0, 4.0] {
            a.add(x);
        }
        let s = a.stat();
        assert_eq!(s.n, 5);
        assert!((s.mean.unwrap() - 3.0).abs() < 1e-12);
        assert!((s.sd.unwrap() - 2.5f64.sqrt()).abs() < 1e-9);
        assert!((s.ci_low.unwrap() - (3.0 - 1.9632)).abs() < 1e-3);
        assert!((s.ci_high.unwrap() - (3.0 + 1.9632)).abs() < 1e-3);
        assert_eq!((s.min, s.max), (Some(1.0), Some(5.0)));
        let one = {
            let mut a = Acc::default();
            a.add(7.0);
            a.stat()
        };
        assert_eq!((one.mean, one.sd, one.ci_low), (Some(7.0), None, None));
    }

    #[test]
    fn accumulation_is_order_independent() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1013) as f64 * 0.137 - 31.3)
            .collect();
        let mut a = Acc::default();
        let mut b = Acc::default();
        xs.iter().for_each(|&x| a.add(x));
        xs.iter().rev().for_each(|&x| b.add(x));
        assert_eq!(a, b);
        assert_eq!(a.stat(), b.stat());
    }

    #[test]
    fn replicator_hand_worked() {
        // x = (1/2, 1/2), f = (1, 0), beta = ln 3: weights 3/2 and 1/2 -> (3/4, 1/4).
        let x = replicator_step(&[0.5, 0.5], &[Some(1.0), Some(0.0)], 3f64.ln());
        assert!(
            (x[0] - 0.75).abs() < 1e-12 && (x[1] - 0.25).abs() < 1e-12,
            "{x:?}"
        );
        // Shift invariance: adding 10 to every payoff changes nothing.
        let y = replicator_step(&[0.5, 0.5], &[Some(11.0), Some(10.0)], 3f64.ln());
        assert!((x[0] - y[0]).abs() < 1e-12);
        // (0.2, 0.3, 0.5), f = (2, 1, missing), beta = 1: mean of present = (0.4+0.3)/0.5 = 1.4;
        // w = (0.2 e^2, 0.3 e^1, 0.5 e^1.4).
        let z = replicator_step(&[0.2, 0.3, 0.5], &[Some(2.0), Some(1.0), None], 1.0);
        let w = [0.2 * 2f64.exp(), 0.3 * 1f64.exp(), 0.5 * 1.4f64.exp()];
        let t: f64 = w.iter().sum();
        for i in 0..3 {
            assert!((z[i] - w[i] / t).abs() < 1e-12);
        }
        // Equal payoffs: shares unchanged.
        let u = replicator_step(&[0.1, 0.9], &[Some(-4.0), Some(-4.0)], 2.0);
        assert!((u[0] - 0.1).abs() < 1e-12);
    }

    #[test]
    fn standardized_replicator_hand_worked() {
        // Payoffs 10, 30 (missing third): mean 20, sd 10 -> -1, +1.
        let z = standardize(&[Some(10.0), Some(30.0), None]);
        assert_eq!(z, vec![Some(-1.0), Some(1.0), None]);
        // beta = ln 2 per sd, equal shares: weights 1/2 and 2 (relative), the missing
        // strategy gets the mean (0) -> weight 1: shares (0.5, 2, 1) / 3.5 of 1/3 each.
        let x = next_shares(
            &[1.0 / 3.0; 3],
            &[Some(10.0), Some(30.0), None],
            2f64.ln(),
            true,
        );
        for (got, want) in x.iter().zip([0.5 / 3.5, 2.0 / 3.5, 1.0 / 3.5]) {
            assert!((got - want).abs() < 1e-12, "{x:?}");
        }
        // Scaling every payoff by 100 changes nothing once standardized.
        let y = next_shares(
            &[1.0 / 3.0; 3],
            &[Some(1000.0), Some(3000.0), None],
            2f64.ln(),
            true,
        );
        assert!(x.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-12));
    }

    #[test]
    fn apportionment_by_largest_remainder() {
        assert_eq!(apportion(&[0.5, 0.5], 57), vec![29, 28]);
        assert_eq!(apportion(&[0.75, 0.25], 4), vec![3, 1]);
        assert_eq!(apportion(&[1.0, 1.0, 1.0], 10), vec![4, 3, 3]);
        assert_eq!(apportion(&[0.0, 1.0], 5), vec![0, 5]);
        assert_eq!(apportion(&[0.2, 0.3, 0.5], 57).iter().sum::<usize>(), 57);
    }
    #[test]
    fn paired_t_and_holm_hand_worked() {
        // d = 1, 2, 3: mean 2, sd 1, se 1/sqrt(3), t = 3.4641, df 2: p = 0.0742.
        let p = paired(&[1.0, 2.0, 3.0]);
        assert_eq!(p.n, 3);
        assert!((p.mean - 2.0).abs() < 1e-12);
        assert!((p.p - 0.0742).abs() < 1e-3, "{p:?}");
        let (l, h) = p.ci.unwrap();
        assert!((h - l) / 2.0 - 4.3027 / 3f64.sqrt() < 1e-3);
        // Identical strategies: no difference, p = 1; a constant shift: p = 0.
        assert_eq!(paired(&[0.0, 0.0, 0.0]).p, 1.0);
        assert_eq!(paired(&[2.0, 2.0, 2.0]).p, 0.0);
        // Holm: p = (0.01, 0.04, 0.03) -> sorted 0.01*3, 0.03*2, 0.04*1 -> 0.03, 0.06, 0.06.
        let h = holm(&[0.01, 0.04, 0.03]);
        let want = [0.03, 0.06, 0.06];
        for (a, b) in h.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{h:?}");
        }
        assert_eq!(holm(&[0.3, 0.2]), vec![0.4, 0.4]);
        assert_eq!(holm(&[0.9, 0.8]), vec![1.0, 1.0]);
    }

    #[test]
    fn ties_share_a_rank_and_quantiles_interpolate() {
        assert_eq!(competition_ranks(&[5.0, 3.0, 3.0, 1.0]), vec![1, 2, 2, 4]);
        assert_eq!(competition_ranks(&[-1.0, -1.0, -1.0]), vec![1, 1, 1]);
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&v, 1.0), Some(4.0));
        assert_eq!(quantile(&[], 0.5), None);
        let mut a = Exact::default();
        let mut b = Exact::default();
        for x in [0.1, 0.2, 0.3] {
            a.add(x);
        }
        for x in [0.3, 0.1, 0.2] {
            b.add(x);
        }
        assert_eq!(a, b);
    }
}
