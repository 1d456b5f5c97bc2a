//! The one list of checks. Everything that names or describes the checks comes from
//! [`CHECKS`]: the order of a [`Report`](crate::Report), the `plenary conformance --help`
//! text ([`help_text`]) and the table in this crate's README ([`markdown_table`], which a
//! test compares with the README).

use std::fmt;

/// Whether a failed check makes the endpoint non-conforming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// The contract requires it: a failure fails the run.
    Required,
    /// The contract recommends it: a failure is reported as a warning only.
    Advisory,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Required => "required",
            Level::Advisory => "advisory",
        })
    }
}

/// One check of the suite: its stable name, what it verifies, and how much it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSpec {
    /// Stable kebab-case name (reports, tests and scripts refer to it).
    pub name: &'static str,
    /// What an endpoint must do to pass, in one sentence.
    pub verifies: &'static str,
    /// Required or advisory.
    pub level: Level,
}

const fn required(name: &'static str, verifies: &'static str) -> CheckSpec {
    CheckSpec {
        name,
        verifies,
        level: Level::Required,
    }
}

/// Every check, in report order.
pub const CHECKS: &[CheckSpec] = &[
    required(
        "connect",
        "the endpoint accepts an HTTP/2 (gRPC) connection within the timeout",
    ),
    required(
        "health",
        "grpc.health.v1.Health/Check answers SERVING for \"\" and for \"plenary.v2.Delegation\"",
    ),
    required(
        "hello",
        "a Play stream offering versions `[2]` or `[3, 2]` gets a DelegationHello choosing 2 as its first frame; offering only an unknown version, starting with a batch instead of a hello, a second hello, or a frame with neither ends the stream with FAILED_PRECONDITION",
    ),
    required(
        "token",
        "with a token given: a Play stream without metadata x-plenary-token, or with a wrong one, ends with UNAUTHENTICATED, and one with it is accepted (skipped without a token)",
    ),
    required(
        "open-seat",
        "one frame opens every seat of four matches whose ids alone differ and of a fifth whose id has the most bytes the contract allows (256); every open answers `opened` with a strategy name of 1..=64 bytes",
    ),
    required(
        "batched",
        "every frame carries a message for every seat of every match; each question gets exactly one answer (any order, any grouping) echoing its match_id, state and seq, and nothing else is answered",
    ),
    required(
        "position",
        "every position is valid: position finite within 0..=100, salience finite within 0..=1, link (if set) another item of the agenda",
    ),
    required(
        "vote-decision",
        "every vote in phase DECISION is YES, NO or ABSTAIN",
    ),
    required(
        "vote-silence",
        "every vote in phase SILENCE is YES, NO or ABSTAIN",
    ),
    required(
        "vote-package",
        "every package vote (phase PACKAGE, context.item = agenda length, no proposal) is YES, NO or ABSTAIN",
    ),
    required(
        "outcome",
        "outcome notices, riding in front of the next question as the chair sends them, are never answered and the stream goes on",
    ),
    required(
        "session-end",
        "every session_end answer is STAY, WITHHOLD or EXIT",
    ),
    required(
        "deadline",
        "every question is answered within its deadline_ms (the timeout), counted from when its frame was sent",
    ),
    required(
        "determinism",
        "the two matches whose ids alone differ get identical answers, bit for bit",
    ),
    required(
        "stream",
        "the stream stays open through the script (an empty batch is ignored) and ends with OK once the chair half-closes it; every seat goes on on a new stream, its seq numbers skipping one",
    ),
    required(
        "replay",
        "on a new stream, the seat's last question sent again (same seq) gets the same answer, an older seq OUT_OF_RANGE, a replayed notice none, and the seat's later answers are those of an undisturbed seat; a refused question sent again gets the same refusal",
    ),
    required(
        "replay-open",
        "an open sent again with a byte-identical brief answers `opened` and keeps the seat as it is (later answers are those of an undisturbed seat); a different brief is refused with ALREADY_EXISTS",
    ),
    required(
        "unknown-seat",
        "a question for a seat never opened is refused with NOT_FOUND (for a State the endpoint does not serve, NOT_FOUND or PERMISSION_DENIED); notices to it are not answered",
    ),
    required(
        "malformed",
        "refused with INVALID_ARGUMENT: an envelope without body, match_id or state, or with an id over its limit; a question without context, view or summary; phase UNSPECIFIED; an open whose brief has no rules, an UNSPECIFIED mediation, linkage, dimension or kind, preferences and items of different lengths, or another match_id than its envelope's",
    ),
    required(
        "wrong-phase",
        "a vote in phase POSITIONS, and a position in phase DECISION, SILENCE or PACKAGE, are refused with FAILED_PRECONDITION",
    ),
    required(
        "close",
        "close notices are not answered; a question to a closed seat is refused with NOT_FOUND; an open for it then opens it afresh (its first answer is a fresh seat's)",
    ),
    required(
        "stream-limits",
        "a frame of 15 MiB is accepted; a batch of 65 537 envelopes, or a frame over 16 MiB, ends the stream with RESOURCE_EXHAUSTED",
    ),
    required(
        "still-serving",
        "after all that, health is still SERVING and a fresh match opens, plays and closes on a new stream",
    ),
    CheckSpec {
        name: "reflection",
        verifies: "gRPC server reflection, both grpc.reflection.v1 and v1alpha, lists plenary.v2.Delegation",
        level: Level::Advisory,
    },
];

/// The spec of the check named `name`.
///
/// # Panics
/// If no check has that name (names are compile-time constants of this crate).
pub(crate) fn spec(name: &str) -> &'static CheckSpec {
    CHECKS
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no conformance check is named `{name}`"))
}

/// The checks as a Markdown table (the README's table of checks is exactly this).
pub fn markdown_table() -> String {
    let mut s = String::from("| check | level | verifies |\n|---|---|---|\n");
    for c in CHECKS {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.name,
            c.level,
            c.verifies.replace('|', "\\|")
        ));
    }
    s
}

/// The checks as plain text for a command's `--help`: one paragraph per check.
pub fn help_text() -> String {
    let mut s = String::from("Checks, in report order (advisory ones warn but do not fail):\n");
    for c in CHECKS {
        let tag = match c.level {
            Level::Required => "",
            Level::Advisory => " [advisory]",
        };
        s.push_str(&format!("  {}{tag}\n      {}\n", c.name, c.verifies));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case() {
        let mut names: Vec<&str> = CHECKS.iter().map(|c| c.name).collect();
        assert!(
            names.iter().all(|n| {
                !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            })
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CHECKS.len());
        assert_eq!(spec("replay").name, "replay");
    }

    #[test]
    fn the_readme_table_is_the_check_list() {
        let readme = include_str!("../README.md");
        let begin = "<!-- checks:begin -->\n";
        let end = "<!-- checks:end -->";
        let start = readme.find(begin).expect("README marks the table start") + begin.len();
        let stop = readme[start..]
            .find(end)
            .expect("README marks the table end")
            + start;
        let expected = markdown_table();
        assert!(
            readme[start..stop] == expected,
            "crates/conformance/README.md's table of checks differs from CHECKS; replace the lines between the markers with:\n{expected}"
        );
    }

    #[test]
    fn help_lists_every_check_with_its_description() {
        let help = help_text();
        for c in CHECKS {
            assert!(
                help.contains(c.name) && help.contains(c.verifies),
                "{}",
                c.name
            );
        }
        assert!(help.contains("reflection [advisory]"));
    }
}
