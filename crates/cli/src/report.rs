//! The human-readable report of one match, shared by `plenary run` and `plenary lab`.

use plenary_core::MatchResult;
use plenary_core::strategy::Decision;
use plenary_scenarios::MatchPlan;
use std::collections::BTreeMap;
use std::fmt::Write;

fn decision_label(d: Decision) -> &'static str {
    match d {
        Decision::Adopted => "adopted",
        Decision::AdoptedBySilence => "adopted (silence)",
        Decision::AdHoc => "ad hoc only",
        Decision::Provisional => "provisional 1/12",
        Decision::Reverted => "blocked",
        Decision::OutOfScope => "out of scope",
        Decision::PackageFailed => "package failed",
        Decision::Suspended => "suspended (crisis)",
        Decision::Settled => "settled earlier",
    }
}

/// A value on the scale, or `-` where there is none (an item without a policy).
fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |x| format!("{x:.1}"))
}

/// Renders the report. `brief` leaves out the per-item tables.
pub fn text(p: &MatchPlan, r: &MatchResult, brief: bool) -> String {
    let mut o = String::new();
    let sc = &p.scenario;
    let _ = writeln!(
        o,
        "plenary: {} under design {} (seed {})",
        sc.name, p.design.design.name, r.seed
    );
    let mut mix: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &p.strategies {
        *mix.entry(s.as_str()).or_default() += 1;
    }
    let mix: Vec<String> = mix.iter().map(|(k, v)| format!("{k} x{v}")).collect();
    let _ = writeln!(
        o,
        "{} States in {} blocs; strategies: {}",
        sc.states.len(),
        sc.blocs.len(),
        mix.join(", ")
    );
    if !brief {
        let _ = writeln!(
            o,
            "Per item: sq = status quo, compr/nash = compromise-model and Nash bargaining reference\n\
             solutions on the States' true preferences, yes/no/ab/- = final votes (no = objection,\n\
             - = absent)."
        );
    }
    for s in &r.sessions {
        let _ = writeln!(o, "\n== Session {} ==", s.session + 1);
        if !brief {
            let _ = writeln!(
                o,
                "  {:<28} {:<14} {:<17} {:>3} {:>6} {:>7} {:>6} {:>6}  {:>11}  notes",
                "item",
                "dimension",
                "decision",
                "rds",
                "sq",
                "outcome",
                "compr",
                "nash",
                "yes/no/ab/-"
            );
            for it in &s.items {
                let mut notes = Vec::new();
                if !it.shamed.is_empty() {
                    notes.push(format!("shamed {}", it.shamed.join(" ")));
                }
                if it.links > 0 {
                    notes.push(format!("{} link(s)", it.links));
                }
                if it.refused_links > 0 {
                    notes.push(format!("{} link(s) refused", it.refused_links));
                }
                let blockers: Vec<String> = it
                    .objections_by_bloc
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(b, n)| format!("{}:{n}", sc.blocs[b].id))
                    .collect();
                if !blockers.is_empty() && !it.decided {
                    notes.push(format!("objections {}", blockers.join(" ")));
                }
                let _ = writeln!(
                    o,
                    "  {:<28} {:<14} {:<17} {:>3} {:>6} {:>7} {:>6.1} {:>6.1}  {:>11}  {}",
                    truncate(&it.id, 28),
                    truncate(it.dimension.as_str(), 14),
                    decision_label(it.decision),
                    it.rounds,
                    opt(it.status_quo),
                    opt(it.outcome),
                    it.compromise_ref,
                    it.nash_ref,
                    format!("{}/{}/{}/{}", it.yes, it.no, it.abstain, it.absent),
                    notes.join("; ")
                );
            }
        }
        let by_bloc: Vec<String> = s
            .legitimacy
            .by_bloc
            .iter()
            .enumerate()
            .map(|(b, v)| format!("{} {:.2}", sc.blocs[b].id, v))
            .collect();
        let tension: Vec<String> = r
            .bloc_pairs
            .iter()
            .zip(&s.tension.final_by_pair)
            .map(|(k, v)| format!("{k} {v:.2}"))
            .collect();
        let _ = writeln!(
            o,
            "  capacity to act {:.0}% ({} of {} in scope decided, {:.0}% binding, {:.1} rounds to decision)",
            100.0 * s.capacity_to_act,
            s.decided,
            s.in_scope,
            100.0 * s.binding_share,
            s.rounds_to_decision
        );
        let _ = writeln!(
            o,
            "  legitimacy mean {:.2} min {:.2} ({}); inclusiveness {:.0}% of States, {:.0}% of capability",
            s.legitimacy.mean,
            s.legitimacy.min,
            by_bloc.join(", "),
            100.0 * s.inclusiveness,
            100.0 * s.inclusiveness_weighted
        );
        let _ = writeln!(
            o,
            "  tension peak {:.2}, end {:.2} ({})",
            s.tension.peak,
            s.tension.final_max,
            tension.join(", ")
        );
        let _ = writeln!(
            o,
            "  welfare gain {:+.1}, satisfaction Gini {:.3}; exits {}, withholding {}",
            s.welfare_gain, s.welfare_gini, s.exits, s.withholding
        );
    }
    let m = &r.summary;
    let _ = writeln!(o, "\n== Match ({} sessions) ==", r.sessions.len());
    let _ = writeln!(
        o,
        "  capacity to act {:.0}%, binding {:.0}%, legitimacy mean {:.2} / min {:.2}, inclusiveness {:.0}%",
        100.0 * m.capacity_to_act,
        100.0 * m.binding_share,
        m.legitimacy_mean,
        m.legitimacy_min,
        100.0 * m.inclusiveness
    );
    let _ = writeln!(
        o,
        "  tension peak {:.2} / final {:.2}, welfare gain {:+.1} (Gini {:.3}), exits {}",
        m.tension_peak, m.tension_final, m.welfare_gain, m.welfare_gini, m.exits
    );
    let mut by_strategy: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for s in &r.states {
        let e = by_strategy.entry(s.strategy.as_str()).or_default();
        e.0 += s.gain;
        e.1 += 1;
    }
    let gains: Vec<String> = by_strategy
        .iter()
        .map(|(k, (g, n))| format!("{k} {:+.1}", g / *n as f64))
        .collect();
    let _ = writeln!(o, "  mean gain per State by strategy: {}", gains.join(", "));
    if !r.violations.is_empty() {
        let _ = writeln!(o, "\n== Violations ({}) ==", r.violations.len());
        for v in r.violations.iter().take(20) {
            let _ = writeln!(
                o,
                "  {} session {} {} round {} {}: {}{}",
                v.state,
                v.session + 1,
                v.item.as_deref().unwrap_or("-"),
                v.round,
                v.phase,
                v.fault,
                if v.suspended { " -> suspended" } else { "" }
            );
        }
        if r.violations.len() > 20 {
            let _ = writeln!(
                o,
                "  ... {} more in the JSON results",
                r.violations.len() - 20
            );
        }
    }
    o
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "~"
    }
}
