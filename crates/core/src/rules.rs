//! Decision rules: given the ballots of a body's members, is the proposal adopted?
//!
//! Pure functions over ballots so every rule can be checked with hand-worked cases.

use crate::design::{Absence, Rule};
use crate::strategy::Vote;
use serde::{Deserialize, Serialize};

/// One member's ballot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ballot {
    /// `None` when the member is absent (crashed, timed out, suspended).
    pub vote: Option<Vote>,
    /// Capability weight (used by weighted rules).
    pub weight: f64,
    /// The member holds a veto.
    pub veto: bool,
    /// The member is the accused State of a violation-response item.
    pub accused: bool,
}

/// The count of a decision round.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Tally {
    /// Yes votes (members).
    pub yes: u32,
    /// No votes / objections.
    pub no: u32,
    /// Abstentions.
    pub abstain: u32,
    /// Absent members.
    pub absent: u32,
    /// Whether the proposal passed.
    pub adopted: bool,
    /// Whether a veto holder blocked it.
    pub vetoed: bool,
}

/// Applies `rule` to `ballots`.
///
/// Consensus is the absence of objection among the States taking part: an absent State
/// does not block unless the design counts absence as objection, and at least one State
/// must accept (an empty room adopts nothing). Qualified majority counts yes votes
/// against all members taking part, so abstaining is not the same as being absent.
pub fn tally(rule: &Rule, absence: Absence, ballots: &[Ballot]) -> Tally {
    let mut t = Tally::default();
    let (mut yes_w, mut present_w) = (0.0, 0.0);
    let mut counted_no = 0u32;
    let mut yes_heads = 0u32;
    let mut present_heads = 0u32;
    let exclude_accused = matches!(
        rule,
        Rule::Consensus {
            exclude_accused: true,
            ..
        }
    );
    for b in ballots {
        let vote = match (b.vote, absence) {
            (Some(v), _) => Some(v),
            (None, Absence::Objection) => Some(Vote::No),
            (None, Absence::NotTakingPart) => None,
        };
        match b.vote {
            None => t.absent += 1,
            Some(Vote::Yes) => t.yes += 1,
            Some(Vote::No) => t.no += 1,
            Some(Vote::Abstain) => t.abstain += 1,
        }
        let Some(vote) = vote else { continue };
        present_w += b.weight;
        present_heads += 1;
        match vote {
            Vote::Yes => {
                yes_w += b.weight;
                yes_heads += 1;
            }
            Vote::No => {
                if !(exclude_accused && b.accused) {
                    counted_no += 1;
                }
                if b.veto {
                    t.vetoed = true;
                }
            }
            Vote::Abstain => {}
        }
    }
    let passes = match *rule {
        Rule::Consensus { minus, .. } => t.yes > 0 && counted_no <= minus,
        Rule::QualifiedMajority {
            threshold,
            weighted,
        } => {
            let share = if weighted {
                if present_w > 0.0 {
                    yes_w / present_w
                } else {
                    0.0
                }
            } else if present_heads > 0 {
                f64::from(yes_heads) / f64::from(present_heads)
            } else {
                0.0
            };
            // A hair of tolerance so 2 of 3 meets a 2/3 threshold written as 0.6667.
            present_heads > 0 && share + 1e-4 >= threshold
        }
    };
    t.adopted = passes && !t.vetoed;
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(vote: Option<Vote>, weight: f64) -> Ballot {
        Ballot {
            vote,
            weight,
            veto: false,
            accused: false,
        }
    }
    const Y: Option<Vote> = Some(Vote::Yes);
    const N: Option<Vote> = Some(Vote::No);
    const A: Option<Vote> = Some(Vote::Abstain);
    const ABSENT: Option<Vote> = None;
    fn consensus(minus: u32) -> Rule {
        Rule::Consensus {
            minus,
            exclude_accused: false,
        }
    }

    #[test]
    fn consensus_is_absence_of_objection() {
        let r = consensus(0);
        let all_yes = [b(Y, 1.0), b(Y, 1.0), b(Y, 1.0)];
        assert!(tally(&r, Absence::NotTakingPart, &all_yes).adopted);
        // Abstaining is not objecting.
        assert!(
            tally(
                &r,
                Absence::NotTakingPart,
                &[b(Y, 1.0), b(A, 1.0), b(A, 1.0)]
            )
            .adopted
        );
        // One objection blocks, whatever its weight.
        assert!(
            !tally(
                &r,
                Absence::NotTakingPart,
                &[b(Y, 99.0), b(Y, 99.0), b(N, 0.01)]
            )
            .adopted
        );
    }

    #[test]
    fn absent_state_does_not_block_unless_the_design_says_so() {
        let r = consensus(0);
        let ballots = [b(Y, 1.0), b(ABSENT, 1.0), b(Y, 1.0)];
        let t = tally(&r, Absence::NotTakingPart, &ballots);
        assert!(t.adopted);
        assert_eq!(t.absent, 1);
        assert!(!tally(&r, Absence::Objection, &ballots).adopted);
    }

    #[test]
    fn nobody_accepting_adopts_nothing() {
        let r = consensus(0);
        assert!(!tally(&r, Absence::NotTakingPart, &[b(ABSENT, 1.0), b(A, 1.0)]).adopted);
        assert!(!tally(&r, Absence::NotTakingPart, &[]).adopted);
    }

    #[test]
    fn consensus_minus_one_and_minus_two() {
        let two_no = [b(Y, 1.0), b(N, 1.0), b(N, 1.0), b(Y, 1.0)];
        assert!(!tally(&consensus(1), Absence::NotTakingPart, &two_no).adopted);
        assert!(tally(&consensus(2), Absence::NotTakingPart, &two_no).adopted);
        let one_no = [b(Y, 1.0), b(N, 1.0), b(Y, 1.0)];
        assert!(tally(&consensus(1), Absence::NotTakingPart, &one_no).adopted);
    }

    #[test]
    fn consensus_minus_the_accused() {
        let r = Rule::Consensus {
            minus: 0,
            exclude_accused: true,
        };
        let mut accused = b(N, 5.0);
        accused.accused = true;
        assert!(tally(&r, Absence::NotTakingPart, &[b(Y, 1.0), accused, b(Y, 1.0)]).adopted);
        // Anyone else's objection still blocks.
        assert!(!tally(&r, Absence::NotTakingPart, &[b(N, 1.0), accused, b(Y, 1.0)]).adopted);
    }

    #[test]
    fn qualified_majority_one_state_one_vote() {
        let r = Rule::QualifiedMajority {
            threshold: 2.0 / 3.0,
            weighted: false,
        };
        // 2 of 3 present: exactly two thirds passes.
        assert!(
            tally(
                &r,
                Absence::NotTakingPart,
                &[b(Y, 1.0), b(Y, 1.0), b(N, 50.0)]
            )
            .adopted
        );
        // Abstention counts as not yes: 2 of 4 fails.
        assert!(
            !tally(
                &r,
                Absence::NotTakingPart,
                &[b(Y, 1.0), b(Y, 1.0), b(N, 1.0), b(A, 1.0)]
            )
            .adopted
        );
        // Absent members are out of the count: 2 of 3 present passes.
        assert!(
            tally(
                &r,
                Absence::NotTakingPart,
                &[b(Y, 1.0), b(Y, 1.0), b(N, 1.0), b(ABSENT, 1.0)]
            )
            .adopted
        );
    }

    #[test]
    fn qualified_majority_weighted_by_capability() {
        let r = Rule::QualifiedMajority {
            threshold: 0.6,
            weighted: true,
        };
        // Heads 1 of 3 but weight 13 of 16 = 0.81.
        assert!(
            tally(
                &r,
                Absence::NotTakingPart,
                &[b(Y, 13.0), b(N, 2.0), b(N, 1.0)]
            )
            .adopted
        );
        // Heads 2 of 3 but weight 2 of 15 = 0.13.
        assert!(
            !tally(
                &r,
                Absence::NotTakingPart,
                &[b(N, 13.0), b(Y, 1.0), b(Y, 1.0)]
            )
            .adopted
        );
    }

    #[test]
    fn veto_blocks_a_majority() {
        let r = Rule::QualifiedMajority {
            threshold: 0.5,
            weighted: false,
        };
        let mut v = b(N, 1.0);
        v.veto = true;
        let t = tally(
            &r,
            Absence::NotTakingPart,
            &[b(Y, 1.0), b(Y, 1.0), b(Y, 1.0), v],
        );
        assert!(t.vetoed && !t.adopted);
        // An abstaining veto holder does not block.
        let mut a = b(A, 1.0);
        a.veto = true;
        assert!(tally(&r, Absence::NotTakingPart, &[b(Y, 1.0), b(Y, 1.0), a]).adopted);
    }
}
