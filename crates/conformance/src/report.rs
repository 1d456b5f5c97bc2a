//! The result of a conformance run: one verdict per check of [`crate::CHECKS`], with a
//! reason naming what was verified or what was wrong.

use crate::checks::{Level, spec};
use std::fmt;

/// How one check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The endpoint did what the check verifies.
    Pass,
    /// It did not (for an advisory check: a warning).
    Fail,
    /// The check could not apply (e.g. `token` when no token was given).
    Skip,
}

/// One named check of the suite and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable kebab-case name (one of [`crate::CHECKS`]).
    pub name: &'static str,
    /// Required or advisory (from [`crate::CHECKS`]).
    pub level: Level,
    /// Pass, fail or skip.
    pub verdict: Verdict,
    /// What was verified, why it failed (naming the seat, seq, expected and received
    /// values), or why it was skipped.
    pub reason: String,
}

impl Check {
    fn new(name: &'static str, verdict: Verdict, reason: impl Into<String>) -> Check {
        Check {
            name: spec(name).name,
            level: spec(name).level,
            verdict,
            reason: reason.into(),
        }
    }

    pub(crate) fn pass(name: &'static str, reason: impl Into<String>) -> Check {
        Check::new(name, Verdict::Pass, reason)
    }

    pub(crate) fn fail(name: &'static str, reason: impl Into<String>) -> Check {
        Check::new(name, Verdict::Fail, reason)
    }

    pub(crate) fn skip(name: &'static str, reason: impl Into<String>) -> Check {
        Check::new(name, Verdict::Skip, reason)
    }

    /// A check that failed for `problems` (the first three named, the rest counted), or
    /// passed with `ok`.
    pub(crate) fn from_problems(name: &'static str, problems: &[String], ok: String) -> Check {
        const SHOWN: usize = 3;
        if problems.is_empty() {
            return Check::pass(name, ok);
        }
        let mut reason = problems[..problems.len().min(SHOWN)].join("; ");
        if problems.len() > SHOWN {
            reason.push_str(&format!(" (and {} more)", problems.len() - SHOWN));
        }
        Check::fail(name, reason)
    }

    /// Whether the check did not fail (passed or was skipped).
    pub fn passed(&self) -> bool {
        self.verdict != Verdict::Fail
    }

    fn tag(&self) -> &'static str {
        match (self.verdict, self.level) {
            (Verdict::Pass, _) => "PASS",
            (Verdict::Skip, _) => "SKIP",
            (Verdict::Fail, Level::Required) => "FAIL",
            (Verdict::Fail, Level::Advisory) => "WARN",
        }
    }
}

/// Every check of one run against one endpoint, in [`crate::CHECKS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The endpoint checked, as given.
    pub endpoint: String,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether the endpoint conforms: no required check failed (advisory failures are
    /// warnings) and at least one check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().any(|c| c.verdict == Verdict::Pass)
            && self
                .checks
                .iter()
                .all(|c| c.level == Level::Advisory || c.passed())
    }

    /// The check named `name`, if it is in the report.
    pub fn get(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// Names of the checks that failed, required or advisory, in report order.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| c.name)
            .collect()
    }
}

impl fmt::Display for Report {
    /// One line per check (`PASS  name  reason`; FAIL, WARN for a failed advisory
    /// check, SKIP), then a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &self.checks {
            writeln!(f, "{}  {:width$}  {}", c.tag(), c.name, c.reason)?;
        }
        let count = |t: &str| self.checks.iter().filter(|c| c.tag() == t).count();
        write!(
            f,
            "{} of {} checks passed ({} failed, {} warnings, {} skipped) against {}: {}",
            count("PASS"),
            self.checks.len(),
            count("FAIL"),
            count("WARN"),
            count("SKIP"),
            self.endpoint,
            if self.passed() {
                "conforms to plenary.v2"
            } else {
                "does NOT conform to plenary.v2"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_and_display() {
        let r = Report {
            endpoint: "http://x".into(),
            checks: vec![
                Check::pass("health", "SERVING"),
                Check::skip("token", "no token given"),
                Check::fail("reflection", "UNIMPLEMENTED"),
            ],
        };
        assert!(r.passed(), "an advisory failure is a warning");
        assert_eq!(r.failed(), vec!["reflection"]);
        let text = r.to_string();
        assert!(text.contains("PASS  health      SERVING"), "{text}");
        assert!(text.contains("SKIP  token       no token given"), "{text}");
        assert!(text.contains("WARN  reflection  UNIMPLEMENTED"), "{text}");
        assert!(
            text.ends_with(
                "1 of 3 checks passed (0 failed, 1 warnings, 1 skipped) against http://x: conforms to plenary.v2"
            ),
            "{text}"
        );
        let bad = Report {
            endpoint: "e".into(),
            checks: vec![Check::pass("health", "ok"), Check::fail("position", "NaN")],
        };
        assert!(!bad.passed());
        assert!(bad.to_string().contains("FAIL  position  NaN"));
        assert!(
            !Report {
                endpoint: String::new(),
                checks: vec![Check::skip("token", "")]
            }
            .passed()
        );
    }

    #[test]
    fn problems_name_the_first_three_and_count_the_rest() {
        let p: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let c = Check::from_problems("position", &p, "x".into());
        assert_eq!(c.reason, "a; b; c (and 2 more)");
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(Check::from_problems("position", &[], "fine".into()).passed());
    }
}
