//! The result of a conformance run: named checks with pass/fail and a reason.

use std::fmt;

/// One named check of the suite and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable kebab-case name (one of [`crate::CHECKS`]).
    pub name: &'static str,
    /// Whether the endpoint passed it.
    pub passed: bool,
    /// Why it passed (what was verified) or failed (the first offending answer).
    pub reason: String,
}

impl Check {
    pub(crate) fn pass(name: &'static str, reason: impl Into<String>) -> Check {
        Check {
            name,
            passed: true,
            reason: reason.into(),
        }
    }

    pub(crate) fn fail(name: &'static str, reason: impl Into<String>) -> Check {
        Check {
            name,
            passed: false,
            reason: reason.into(),
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
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// The check named `name`, if it is in the report.
    pub fn get(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// Names of the checks that failed.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name)
            .collect()
    }
}

impl fmt::Display for Report {
    /// One line per check (`PASS name  reason`), then a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &self.checks {
            let verdict = if c.passed { "PASS" } else { "FAIL" };
            writeln!(f, "{verdict}  {:width$}  {}", c.name, c.reason)?;
        }
        let passed = self.checks.iter().filter(|c| c.passed).count();
        write!(
            f,
            "{passed} of {} checks passed against {}",
            self.checks.len(),
            self.endpoint
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_verdicts() {
        let r = Report {
            endpoint: "http://x".into(),
            checks: vec![
                Check::pass("health", "SERVING"),
                Check::fail("position", "NaN"),
            ],
        };
        assert!(!r.passed());
        assert_eq!(r.failed(), vec!["position"]);
        assert!(r.get("health").unwrap().passed);
        let text = r.to_string();
        assert!(text.contains("PASS  health    SERVING"), "{text}");
        assert!(text.contains("FAIL  position  NaN"), "{text}");
        assert!(
            text.ends_with("1 of 2 checks passed against http://x"),
            "{text}"
        );
        assert!(
            !Report {
                endpoint: String::new(),
                checks: vec![]
            }
            .passed()
        );
    }
}
