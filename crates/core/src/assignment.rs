//! Which strategy plays which seat: `bloc=strategy` and `STATE=strategy` rules over a
//! default, as given on the command line (`--strategies west=linker,RUS=hardliner`) or
//! in config files. State rules win over bloc rules, which win over the default.

use crate::scenario::Scenario;
use crate::validate::{self, TextError, quote};

/// Longest assignment spec, in bytes (a rule per State of the largest scenario).
pub const MAX_SPEC_BYTES: usize = 128 * 1024;

/// A parse or resolution problem in an assignment spec.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssignmentError {
    /// A rule without `=` (the rule, quoted).
    #[error("{0} is not of the form NAME=STRATEGY (NAME is a bloc id, a State id or `default`)")]
    Malformed(String),
    /// No rule at all (an empty spec would silently mean the fallback everywhere).
    #[error(
        "no rule given: write NAME=STRATEGY rules separated by commas, or a strategy name for every seat"
    )]
    Empty,
    /// The same name twice (the second would silently win).
    #[error("{name} is assigned twice: {first} and {second}")]
    Conflict {
        /// The bloc, State or `default`, quoted.
        name: String,
        /// The first rule, quoted.
        first: String,
        /// The second rule, quoted.
        second: String,
    },
    /// A name or strategy that is not an id.
    #[error("{quoted} in {rule}: {problem}")]
    BadName {
        /// The offending name, quoted.
        quoted: String,
        /// The rule, quoted.
        rule: String,
        /// What is wrong.
        problem: TextError,
    },
    /// The whole spec is too long.
    #[error("the assignment is {0} bytes long, more than the limit of {MAX_SPEC_BYTES}")]
    TooLong(usize),
    /// A name that is neither a bloc nor a State of the scenario.
    #[error("{name} is neither a bloc nor a State of scenario {scenario} (blocs: {blocs})")]
    UnknownTarget {
        /// The name.
        name: String,
        /// Scenario id.
        scenario: String,
        /// Known blocs.
        blocs: String,
    },
}

/// Parsed rules of an assignment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Assignment {
    /// Strategy for seats no rule names.
    pub default: Option<String>,
    /// `(bloc or State id, strategy)` rules.
    pub rules: Vec<(String, String)>,
}

impl Assignment {
    /// Parses `default=x,west=y,RUS=z` (whitespace around items is ignored; a bare
    /// `name` without `=` means `default=name`). Refuses an empty spec and a name
    /// given twice, naming both rules.
    pub fn parse(spec: &str) -> Result<Assignment, AssignmentError> {
        if spec.len() > MAX_SPEC_BYTES {
            return Err(AssignmentError::TooLong(spec.len()));
        }
        let mut a = Assignment::default();
        // The rule that set each name, to name both sides of a conflict.
        let mut given: std::collections::BTreeMap<String, String> = Default::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = match part.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                    (k.trim(), v.trim())
                }
                None if !part.contains(char::is_whitespace) => ("default", part),
                _ => return Err(AssignmentError::Malformed(quote(part))),
            };
            for name in [k, v] {
                validate::check_id(name).map_err(|problem| AssignmentError::BadName {
                    quoted: quote(name),
                    rule: quote(part),
                    problem,
                })?;
            }
            if let Some(first) = given.insert(k.to_string(), part.to_string()) {
                return Err(AssignmentError::Conflict {
                    name: quote(k),
                    first: quote(&first),
                    second: quote(part),
                });
            }
            if k == "default" {
                a.default = Some(v.to_string());
            } else {
                a.rules.push((k.to_string(), v.to_string()));
            }
        }
        if given.is_empty() {
            return Err(AssignmentError::Empty);
        }
        Ok(a)
    }

    /// The strategy name of every seat (State id order), with `fallback` for seats no
    /// rule covers.
    pub fn resolve(&self, sc: &Scenario, fallback: &str) -> Result<Vec<String>, AssignmentError> {
        let default = self.default.clone().unwrap_or_else(|| fallback.to_string());
        let mut out = vec![default; sc.states.len()];
        let mut by_state = Vec::new();
        for (k, v) in &self.rules {
            if let Some(b) = sc.bloc(k) {
                for (i, s) in sc.states.iter().enumerate() {
                    if s.bloc == b {
                        out[i] = v.clone();
                    }
                }
            } else if let Some(s) = sc.seat(k) {
                by_state.push((s, v.clone()));
            } else {
                return Err(AssignmentError::UnknownTarget {
                    name: quote(k),
                    scenario: quote(&sc.id),
                    blocs: sc
                        .blocs
                        .iter()
                        .map(|b| b.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        for (s, v) in by_state {
            out[s] = v;
        }
        Ok(out)
    }

    /// Every strategy name the assignment mentions.
    pub fn strategy_names(&self) -> Vec<&str> {
        self.default
            .iter()
            .map(String::as_str)
            .chain(self.rules.iter().map(|r| r.1.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules_and_default() {
        let a = Assignment::parse("default=dissociator, west=linker,RUS=hardliner").unwrap();
        assert_eq!(a.default.as_deref(), Some("dissociator"));
        assert_eq!(a.rules.len(), 2);
        assert_eq!(
            Assignment::parse("boulware").unwrap().default.as_deref(),
            Some("boulware")
        );
        assert!(matches!(
            Assignment::parse("west="),
            Err(AssignmentError::Malformed(_))
        ));
        assert!(matches!(
            Assignment::parse("a b"),
            Err(AssignmentError::Malformed(_))
        ));
    }

    #[test]
    fn an_empty_assignment_is_refused() {
        for spec in ["", " ", ",", " , ,"] {
            assert_eq!(
                Assignment::parse(spec),
                Err(AssignmentError::Empty),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn a_name_given_twice_is_refused_naming_both_rules() {
        let e = Assignment::parse("west=hardliner,west=linker").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`west` is assigned twice: `west=hardliner` and `west=linker`"
        );
        let e = Assignment::parse("boulware,default=linker").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`default` is assigned twice: `boulware` and `default=linker`"
        );
        // Precedence of State over bloc rules is no conflict.
        Assignment::parse("west=linker,USA=hardliner").unwrap();
    }

    #[test]
    fn names_in_an_assignment_are_short_ids() {
        let long = "x".repeat(100_000);
        let e = Assignment::parse(&format!("west={long}"))
            .unwrap_err()
            .to_string();
        assert!(e.len() < 400, "{e}");
        assert!(e.contains("more than the limit of 64"), "{e}");
        let e = Assignment::parse("we\u{1b}st=linker").unwrap_err();
        assert!(matches!(e, AssignmentError::BadName { .. }), "{e}");
    }
}
