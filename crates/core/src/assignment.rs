//! Which strategy plays which seat: `bloc=strategy` and `STATE=strategy` rules over a
//! default, as given on the command line (`--strategies west=linker,RUS=hardliner`) or
//! in config files. State rules win over bloc rules, which win over the default.

use crate::scenario::Scenario;

/// A parse or resolution problem in an assignment spec.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssignmentError {
    /// A rule without `=`.
    #[error("`{0}` is not of the form NAME=STRATEGY (NAME is a bloc id, a State id or `default`)")]
    Malformed(String),
    /// A name that is neither a bloc nor a State of the scenario.
    #[error("`{name}` is neither a bloc nor a State of scenario `{scenario}` (blocs: {blocs})")]
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
    /// `name` without `=` means `default=name`).
    pub fn parse(spec: &str) -> Result<Assignment, AssignmentError> {
        let mut a = Assignment::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                    let (k, v) = (k.trim(), v.trim());
                    if k == "default" {
                        a.default = Some(v.to_string());
                    } else {
                        a.rules.push((k.to_string(), v.to_string()));
                    }
                }
                None if !part.contains(char::is_whitespace) => a.default = Some(part.to_string()),
                _ => return Err(AssignmentError::Malformed(part.to_string())),
            }
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
                    name: k.clone(),
                    scenario: sc.id.clone(),
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
}
