//! The page of one match (`plenary replay DIR MATCH` writes it as `match.html`): its
//! timeline session by session (status quo, last proposal, outcome and reference
//! solution per item; the votes and the objections by bloc of each item's final round;
//! rounds used), the tension between every bloc pair after each step, legitimacy by
//! bloc, and the tables of items and States. Offline, no JavaScript, same layout rules
//! as the tournament report (panels near 1:1 at 420 px and at 1400 px).

use crate::charts::{self, Scale, W, color, esc};
use crate::report::{num, page_open};
use crate::results::{DecisionOut, ItemOut, PhaseOut, RunResult, VoteOut};
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn decision_color(d: DecisionOut) -> &'static str {
    match d {
        DecisionOut::Adopted => "#1a9850",
        DecisionOut::AdoptedBySilence => "#66bd63",
        DecisionOut::AdHoc => "#e69f00",
        DecisionOut::Provisional => "#9467bd",
        DecisionOut::Reverted => "#d73027",
        DecisionOut::OutOfScope => "#999999",
        DecisionOut::PackageFailed => "#8c510a",
        DecisionOut::Suspended => "#000000",
        DecisionOut::Settled => "#56b4e9",
    }
}

fn decision_label(d: DecisionOut) -> &'static str {
    match d {
        DecisionOut::Adopted => "adopted",
        DecisionOut::AdoptedBySilence => "adopted by silence",
        DecisionOut::AdHoc => "ad hoc only",
        DecisionOut::Provisional => "provisional 1/12",
        DecisionOut::Reverted => "blocked",
        DecisionOut::OutOfScope => "out of scope",
        DecisionOut::PackageFailed => "package failed",
        DecisionOut::Suspended => "suspended (crisis)",
        DecisionOut::Settled => "settled earlier",
    }
}

const DECISIONS: [DecisionOut; 9] = [
    DecisionOut::Adopted,
    DecisionOut::AdoptedBySilence,
    DecisionOut::AdHoc,
    DecisionOut::Provisional,
    DecisionOut::Reverted,
    DecisionOut::OutOfScope,
    DecisionOut::PackageFailed,
    DecisionOut::Suspended,
    DecisionOut::Settled,
];

fn opt1(x: Option<f64>) -> String {
    x.map_or("none".into(), |v| format!("{v:.1}"))
}

/// The chair's proposal after each positions round of an item, in order.
fn proposals(it: &ItemOut) -> Vec<f64> {
    it.history
        .iter()
        .filter(|r| r.phase == PhaseOut::Positions)
        .filter_map(|r| r.proposal)
        .collect()
}

/// Yes/no counts of every vote round of an item: `Y48 N9, Y52 N5`.
fn votes_per_round(it: &ItemOut) -> String {
    it.history
        .iter()
        .filter_map(|r| {
            let v = r.votes.as_ref()?;
            let yes = v.values().filter(|x| **x == VoteOut::Yes).count();
            let no = v.values().filter(|x| **x == VoteOut::No).count();
            Some(format!("Y{yes} N{no}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Positions of one session's items: status quo (grey ring), the chair's proposal
/// round by round (small grey dots, left to right, joined), the last proposal (blue
/// diamond), outcome (dot coloured by decision; a line from the status quo), the
/// compromise-model reference (black tick); rounds used above each item.
fn positions_chart(title: &str, items: &[&ItemOut]) -> String {
    let (h, left, right, top, bottom) = (260.0, 44.0, 10.0, 40.0, 34.0);
    let vals: Vec<f64> = items
        .iter()
        .flat_map(|i| {
            [i.status_quo, i.outcome, i.proposal, Some(i.compromise_ref)]
                .into_iter()
                .chain(proposals(i).into_iter().map(Some))
        })
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() {
        charts::padded(lo, hi)
    } else {
        (0.0, 100.0)
    };
    let n = items.len().max(1) as f64;
    let sx = Scale::new(-0.5, n - 0.5, left, W - right);
    let sy = Scale::new(lo, hi, h - bottom, top);
    let mut o = charts::svg_open(W, h, title);
    charts::y_axis(&mut o, sy, left, W - right, "policy (item scale)");
    let _ = write!(
        o,
        "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">items in agenda order (rounds used above)</text>",
        h - bottom,
        W - right,
        h - bottom,
        (left + W - right) / 2.0,
        h - bottom + 16.0
    );
    for (k, it) in items.iter().enumerate() {
        let x = sx.at(k as f64);
        let c = decision_color(it.decision);
        let props = proposals(it);
        let _ = write!(
            o,
            "<g><title>{}: {} after {} round(s); status quo {}, proposals {}, outcome {}, compromise {:.1}, Nash {:.1}; final votes {}/{}/{}/{}</title>",
            esc(&it.id),
            decision_label(it.decision),
            it.rounds,
            opt1(it.status_quo),
            if props.is_empty() {
                opt1(it.proposal)
            } else {
                props
                    .iter()
                    .map(|p| format!("{p:.1}"))
                    .collect::<Vec<_>>()
                    .join(" \u{2192} ")
            },
            opt1(it.outcome),
            it.compromise_ref,
            it.nash_ref,
            it.yes,
            it.no,
            it.abstain,
            it.absent
        );
        if let (Some(sq), Some(out)) = (it.status_quo, it.outcome) {
            let (ys, yo) = (sy.at(sq), sy.at(out));
            let _ = write!(
                o,
                "<line x1=\"{x:.1}\" y1=\"{ys:.1}\" x2=\"{x:.1}\" y2=\"{yo:.1}\" stroke=\"{c}\" stroke-width=\"2\"/>"
            );
        }
        if let Some(sq) = it.status_quo {
            let _ = write!(
                o,
                "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#fff\" stroke=\"#777\" stroke-width=\"1.5\"/>",
                sy.at(sq)
            );
        }
        // Proposals round by round, spread across the item's slot.
        if props.len() > 1 {
            let slot = (sx.at(1.0) - sx.at(0.0)) * 0.7;
            let pts: Vec<String> = props
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    let dx = slot * (j as f64 / (props.len() - 1) as f64 - 0.5);
                    format!("{:.1},{:.1}", x + dx, sy.at(*p))
                })
                .collect();
            let _ = write!(
                o,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"#999\" stroke-width=\"1\"/>",
                pts.join(" ")
            );
            for p in &pts {
                let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
                let _ = write!(
                    o,
                    "<circle cx=\"{px}\" cy=\"{py}\" r=\"1.8\" fill=\"#777\"/>"
                );
            }
        }
        let yc = sy.at(it.compromise_ref);
        let _ = write!(
            o,
            "<line x1=\"{:.1}\" y1=\"{yc:.1}\" x2=\"{:.1}\" y2=\"{yc:.1}\" stroke=\"#000\" stroke-width=\"1.5\"/>",
            x - 5.0,
            x + 5.0
        );
        if let Some(p) = it.proposal {
            let yp = sy.at(p);
            let _ = write!(
                o,
                "<path d=\"M{x:.1} {:.1} l4 4 l-4 4 l-4 -4 z\" fill=\"none\" stroke=\"#0072b2\" stroke-width=\"1.5\"/>",
                yp - 4.0
            );
        }
        if let Some(out) = it.outcome {
            let _ = write!(
                o,
                "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{c}\"/>",
                sy.at(out)
            );
        }
        let _ = write!(
            o,
            "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">{}</text></g>",
            top - 6.0,
            it.rounds
        );
    }
    o.push_str("</svg>");
    o
}

/// Renders the match page of a run result.
pub fn render(r: &RunResult, title: &str) -> String {
    let m = &r.outcome;
    let mut o = page_open(title);
    let mut mix: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &m.states {
        *mix.entry(s.strategy.as_str()).or_default() += 1;
    }
    let mix: Vec<String> = mix
        .iter()
        .map(|(k, v)| format!("{} \u{d7}{v}", esc(k)))
        .collect();
    let _ = write!(
        o,
        "<h1>{}</h1><p class=\"note\">Match <code>{}</code>: scenario {}, design {}, seed {}{}. {} States; strategies: {}.</p>",
        esc(title),
        esc(&m.match_id),
        esc(&m.scenario),
        esc(&m.design),
        m.seed,
        if m.complete {
            ""
        } else {
            " (did not run to its end)"
        },
        m.states.len(),
        mix.join(", ")
    );
    let s = &m.summary;
    let _ = write!(
        o,
        "<div class=\"scroll\"><table><tr><th>capacity to act</th><th>binding</th><th>legitimacy mean</th><th>legitimacy min</th><th>inclusiveness</th><th>tension peak</th><th>tension final</th><th>welfare gain</th><th>Gini</th><th>exits</th></tr><tr><td>{:.0}%</td><td>{:.0}%</td><td>{:.3}</td><td>{:.3}</td><td>{:.0}%</td><td>{:.3}</td><td>{:.3}</td><td>{}</td><td>{:.3}</td><td>{}</td></tr></table></div>",
        100.0 * s.capacity_to_act,
        100.0 * s.binding_share,
        s.legitimacy_mean,
        s.legitimacy_min,
        100.0 * s.inclusiveness,
        s.tension_peak,
        s.tension_final,
        num(s.welfare_gain, s.welfare_gain),
        s.welfare_gini,
        s.exits
    );
    // Timeline.
    o.push_str("<h2>Timeline</h2><p class=\"note\">Per session and item: grey ring = status quo, small grey dots = the chair's proposal round by round (left to right), blue diamond = last proposal on the table, black tick = compromise-model reference on the true preferences, dot = outcome (colour: how the item ended), number above = rounds used. Below: the final round's votes, and the objections by bloc.</p>");
    let legend: Vec<(String, &'static str)> = DECISIONS
        .iter()
        .filter(|d| {
            r.sessions
                .iter()
                .flat_map(|s| &s.items)
                .any(|i| i.decision == **d)
        })
        .map(|d| (decision_label(*d).to_string(), decision_color(*d)))
        .collect();
    o.push_str(&charts::legend(&legend));
    let blocs = &r.blocs;
    let bars_legend: Vec<(String, &'static str)> = [
        ("votes: yes", "#1a9850"),
        ("no / objection", "#d73027"),
        ("abstain", "#fdae61"),
        ("absent", "#bbbbbb"),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), *c))
    .chain(
        blocs
            .iter()
            .enumerate()
            .map(|(b, id)| (format!("objections: {id}"), color(b))),
    )
    .collect();
    for (k, sess) in r.sessions.iter().enumerate() {
        let items: Vec<&ItemOut> = sess.items.iter().collect();
        let _ = write!(
            o,
            "<h3>Session {}: {} of {} in scope decided, legitimacy {:.2}, tension peak {:.2}</h3><div class=\"grid\">",
            sess.session + 1,
            sess.decided,
            sess.in_scope,
            sess.legitimacy.mean,
            sess.tension.peak
        );
        o.push_str(&positions_chart(
            &format!("Session {}: positions", sess.session + 1),
            &items,
        ));
        let cats: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        let votes = vec![
            (
                "yes".to_string(),
                "#1a9850",
                items.iter().map(|i| f64::from(i.yes)).collect(),
            ),
            (
                "no / objection".to_string(),
                "#d73027",
                items.iter().map(|i| f64::from(i.no)).collect(),
            ),
            (
                "abstain".to_string(),
                "#fdae61",
                items.iter().map(|i| f64::from(i.abstain)).collect(),
            ),
            (
                "absent".to_string(),
                "#bbbbbb",
                items.iter().map(|i| f64::from(i.absent)).collect(),
            ),
        ];
        o.push_str(&charts::stacked_bars(
            &format!("Session {}: final-round votes", sess.session + 1),
            "States",
            &cats,
            &votes,
        ));
        let objections: Vec<(String, &'static str, Vec<f64>)> = blocs
            .iter()
            .enumerate()
            .map(|(b, id)| {
                (
                    id.clone(),
                    color(b),
                    items
                        .iter()
                        .map(|i| f64::from(i.objections_by_bloc.get(id).copied().unwrap_or(0)))
                        .collect(),
                )
            })
            .collect();
        o.push_str(&charts::stacked_bars(
            &format!("Session {}: objections by bloc", sess.session + 1),
            "objections",
            &cats,
            &objections,
        ));
        o.push_str("</div>");
        if k == 0 {
            o.push_str(&charts::legend(&bars_legend));
        }
    }
    // Tension.
    let pairs: Vec<String> = m.tension_by_pair.keys().cloned().collect();
    let series: Vec<charts::Line> = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                p.clone(),
                color(i),
                m.tension
                    .iter()
                    .zip(&m.tension_by_pair[p])
                    .map(|(t, v)| (f64::from(t.step), *v))
                    .collect(),
            )
        })
        .collect();
    o.push_str("<h2>Tension and legitimacy</h2><div class=\"grid\">");
    o.push_str(&charts::line_chart(
        "Tension per bloc pair after each step",
        "step (items finished, all sessions)",
        "tension (0..1)",
        &series,
        Some((0.0, 1.0)),
    ));
    let leg: Vec<charts::Line> = blocs
        .iter()
        .enumerate()
        .map(|(b, id)| {
            (
                id.clone(),
                color(b),
                r.sessions
                    .iter()
                    .filter_map(|s| {
                        Some((f64::from(s.session + 1), *s.legitimacy.by_bloc.get(id)?))
                    })
                    .collect(),
            )
        })
        .collect();
    o.push_str(&charts::line_chart(
        "Legitimacy by bloc at the end of each session",
        "session",
        "legitimacy (0..1)",
        &leg,
        Some((0.0, 1.0)),
    ));
    o.push_str("</div>");
    let legend: Vec<(String, &'static str)> = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("tension {p}"), color(i)))
        .chain(
            blocs
                .iter()
                .enumerate()
                .map(|(b, id)| (format!("legitimacy {id}"), color(b))),
        )
        .collect();
    o.push_str(&charts::legend(&legend));
    // Items.
    o.push_str("<h2>Items</h2><div class=\"scroll\"><table><tr><th>session</th><th class=\"l\">item</th><th class=\"l\">decision</th><th>rounds</th><th>status quo</th><th class=\"l\">proposals per round</th><th>outcome</th><th>in force</th><th>compromise</th><th>Nash</th><th class=\"l\">votes per round</th><th>final yes/no/ab/absent</th>");
    for b in blocs {
        let _ = write!(o, "<th>objections {}</th>", esc(b));
    }
    o.push_str("<th class=\"l\">shamed</th></tr>");
    for sess in &r.sessions {
        for it in &sess.items {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td class=\"l\">{}</td><td>{}/{}/{}/{}</td>",
                it.session + 1,
                esc(&it.id),
                decision_label(it.decision),
                it.rounds,
                opt1(it.status_quo),
                {
                    let p = proposals(it);
                    if p.is_empty() {
                        opt1(it.proposal)
                    } else {
                        p.iter()
                            .map(|v| format!("{v:.1}"))
                            .collect::<Vec<_>>()
                            .join(" \u{2192} ")
                    }
                },
                opt1(it.outcome),
                opt1(it.in_force),
                it.compromise_ref,
                it.nash_ref,
                votes_per_round(it),
                it.yes,
                it.no,
                it.abstain,
                it.absent
            );
            for b in blocs {
                let _ = write!(
                    o,
                    "<td>{}</td>",
                    it.objections_by_bloc.get(b).copied().unwrap_or(0)
                );
            }
            let _ = write!(o, "<td class=\"l\">{}</td></tr>", esc(&it.shamed.join(" ")));
        }
    }
    o.push_str("</table></div>");
    // States.
    let _ = write!(
        o,
        "<details><summary>Every State ({})</summary><div class=\"scroll\"><table><tr><th class=\"l\">State</th><th class=\"l\">bloc</th><th class=\"l\">class</th><th class=\"l\">strategy</th><th>gain</th><th>legitimacy</th><th>shamed</th><th>left after session</th><th>violations</th></tr>",
        m.states.len()
    );
    for st in &m.states {
        let _ = write!(
            o,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{:.2}</td><td>{:.3}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&st.id),
            esc(&st.bloc),
            esc(&st.class),
            esc(&st.strategy),
            st.gain,
            st.legitimacy,
            st.shamed,
            st.exited.map_or("&#8211;".into(), |s| (s + 1).to_string()),
            st.violations
        );
    }
    o.push_str("</table></div></details>");
    if !r.violations.is_empty() {
        let _ = write!(
            o,
            "<p class=\"note\">{} answers did not count (see the JSON results).</p>",
            r.violations.len()
        );
    }
    let _ = write!(
        o,
        "<p class=\"note\">Output schema version {}, written by {}.</p></body></html>",
        r.schema_version,
        esc(&r.tool_version)
    );
    o.push('\n');
    o
}
