//! Seed derivation. Every random draw in plenary comes from a stream named by the master
//! seed plus labels (State id, item id, match id, ...), so results never depend on the
//! order in which streams are used, on threads, or on which process draws them.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Mixes a 64-bit value (splitmix64 finaliser); used to spread labels over seed space.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives a child seed from a parent seed and labels (stable across platforms and
/// releases: FNV-1a over the label bytes, then splitmix).
pub fn derive(seed: u64, labels: &[&str]) -> u64 {
    let mut h = mix(seed);
    for l in labels {
        let mut f: u64 = 0xcbf2_9ce4_8422_2325;
        for b in l.as_bytes() {
            f ^= u64::from(*b);
            f = f.wrapping_mul(0x0100_0000_01b3);
        }
        h = mix(h ^ f);
    }
    h
}

/// Derives a child seed that reveals nothing of its parent: the first output of the
/// ChaCha stream keyed by [`derive`]. `derive` itself is invertible (splitmix and FNV can
/// be undone), so anything shown to a delegation (its seat seed, the match id) goes
/// through this instead; recovering the parent would mean breaking ChaCha8 (or guessing
/// a low-entropy master seed, which is why competitions should use a random one).
pub fn one_way(seed: u64, labels: &[&str]) -> u64 {
    Stream::new(seed, labels).next_u64()
}

/// A named random stream.
#[derive(Debug, Clone)]
pub struct Stream(ChaCha8Rng);

impl Stream {
    /// The stream for `labels` under `seed`.
    pub fn new(seed: u64, labels: &[&str]) -> Stream {
        Stream(ChaCha8Rng::seed_from_u64(derive(seed, labels)))
    }

    /// A stream straight from a seed (strategies get theirs in the seat brief).
    pub fn from_seed(seed: u64) -> Stream {
        Stream(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.0.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Next raw 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// A normal draw by Box-Muller (kept here rather than pulling in a distributions crate,
/// and so the sequence is fixed by this code, not by a dependency's version).
pub fn normal(s: &mut Stream, mean: f64, sd: f64) -> f64 {
    let u1 = s.unit().max(f64::MIN_POSITIVE);
    let u2 = s.unit();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_depends_on_every_label_and_their_order() {
        let a = derive(7, &["x", "y"]);
        assert_ne!(a, derive(7, &["y", "x"]));
        assert_ne!(a, derive(8, &["x", "y"]));
        assert_ne!(a, derive(7, &["xy"]));
        assert_eq!(a, derive(7, &["x", "y"]));
    }

    #[test]
    fn one_way_seeds_differ_from_the_invertible_derivation() {
        let a = one_way(2021, &["seat", "RUS"]);
        assert_ne!(a, derive(2021, &["seat", "RUS"]));
        assert_eq!(a, one_way(2021, &["seat", "RUS"]));
        assert_ne!(a, one_way(2022, &["seat", "RUS"]));
    }

    #[test]
    fn normal_has_the_requested_moments() {
        let mut s = Stream::new(1, &["t"]);
        let xs: Vec<f64> = (0..20_000).map(|_| normal(&mut s, 10.0, 2.0)).collect();
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!((m - 10.0).abs() < 0.05, "mean {m}");
        assert!((v.sqrt() - 2.0).abs() < 0.05, "sd {}", v.sqrt());
    }

    #[test]
    fn below_stays_in_range() {
        let mut s = Stream::from_seed(3);
        for n in [1, 2, 57, 1000] {
            for _ in 0..200 {
                assert!(s.below(n) < n);
            }
        }
    }
}
