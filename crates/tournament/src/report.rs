//! `DIR/report.html`: one self-contained page (inline SVG and CSS, no JavaScript, no
//! external fonts, styles or scripts), readable offline on a phone (420 px) and a
//! desktop (1400 px). Its first screen answers which strategy wins under which design:
//! a strategy x design heatmap per format with 95% intervals, shared ranks for ties and
//! stars on the strategies not significantly below each design's best (paired over
//! common random numbers, Holm-corrected). Then: pairwise comparisons, distributions
//! (box plots per design), the focal/background view, stacked-area evolution per
//! design, the head-to-head matrix (both sides, with intervals), overall rankings, the
//! designs' institution metrics and tension over a match.

use crate::charts::{self, BoxRow, Dot, color, esc};
use crate::output::OutputError;
use crate::stats::Stat;
use crate::summary::{self, RankRow, Summary, main_score, score_axis, score_label};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The page style shared by the tournament report and the match page: panels in an
/// auto-filling grid (one column at 420 px, three at 1400 px), tables that scroll
/// sideways inside their box when a phone is too narrow, no text below 11 px.
pub const STYLE: &str = "*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0 auto;max-width:1320px;padding:12px;color:#222}h1{font-size:1.45em;margin:.3em 0}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:3px}h3{font-size:1.02em;margin:1em 0 .3em}.note{color:#555;font-size:13px;margin:.3em 0 .6em}.warn{background:#fff4d6;border:1px solid #e6c36a;padding:6px 10px;font-size:13px}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px;align-items:start}svg{width:100%;height:auto;display:block;max-width:540px;border:1px solid #eee}table{border-collapse:collapse;font-size:12px;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 5px;text-align:right;vertical-align:top}th{background:#f4f4f4;font-weight:600}th.l,td.l{text-align:left}.scroll{overflow-x:auto;max-width:100%}.heat td{min-width:58px;line-height:1.25}.heat .s,.h2h .s{display:block;font-size:11px;opacity:.9;white-space:nowrap}.heat .v{font-size:12.5px;white-space:nowrap}.name{overflow-wrap:break-word;max-width:130px}.h2h td{min-width:74px;font-size:11px;line-height:1.3}.h2h th{font-size:11px}.h2h th.l,.cmp th.l{position:sticky;left:0;z-index:1;background:#f4f4f4}.heats{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:4px 24px;align-items:start}.winners{margin:.2em 0 .6em;padding-left:1.1em;font-size:13px}.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:3px 12px;font-size:12px}.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border:1px solid #999}details{margin:.5em 0}summary{cursor:pointer;font-size:13.5px;color:#0b3d66}.cmp td{min-width:22px;text-align:center;font-size:12px}.yes{color:#0b6b2e;font-weight:700}@media (max-width:620px){.heats{grid-template-columns:1fr}body{padding:8px}.wideonly{display:none}td,th{padding:2px 3px}h1{font-size:1.25em}}";

/// Opens a page.
pub fn page_open(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>{}</title><style>{STYLE}</style></head><body>",
        esc(title)
    )
}

/// A number with as many decimals as its magnitude needs (about 3 significant digits).
pub fn num(x: f64, magnitude: f64) -> String {
    let m = magnitude.abs();
    let d = if m >= 100.0 {
        0
    } else if m >= 10.0 {
        1
    } else if m >= 1.0 {
        2
    } else {
        3
    };
    let s = format!("{x:.d$}");
    // "-0.0" reads as a sign error.
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s.replace('-', "\u{2212}")
    }
}

/// A strategy or design name that may wrap after its hyphens.
fn name(s: &str) -> String {
    esc(s).replace('-', "-<wbr/>")
}

/// Background of a heat cell: `t` in 0..1 from light to dark blue; the text colour that
/// reads on it.
fn heat(t: f64) -> (String, &'static str) {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let (a, b) = ([0xee, 0xf4, 0xfb], [0x1d, 0x4f, 0x8a]);
    let c: Vec<u8> = (0..3)
        .map(|i| (f64::from(a[i]) + (f64::from(b[i]) - f64::from(a[i])) * t).round() as u8)
        .collect();
    (
        format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]),
        if t > 0.55 { "#fff" } else { "#111" },
    )
}

/// Diverging background for a difference: negative red, positive blue, `t` in -1..1.
fn diverging(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let w = [0xf7, 0xf7, 0xf7];
    let end = if t >= 0.0 {
        [0x67, 0xa9, 0xcf]
    } else {
        [0xef, 0x8a, 0x62]
    };
    let a = t.abs();
    let c: Vec<u8> = (0..3)
        .map(|i| (f64::from(w[i]) + (f64::from(end[i]) - f64::from(w[i])) * a).round() as u8)
        .collect();
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

fn rows_for<'a>(
    s: &'a Summary,
    format: &str,
    score: &str,
    design: Option<&str>,
) -> Vec<&'a RankRow> {
    s.rankings
        .iter()
        .filter(|r| {
            r.format == format
                && r.score == score
                && match design {
                    None => r.group.is_all(),
                    Some(d) => r.group.only_design() == Some(d),
                }
        })
        .collect()
}

/// Strategies of a format in the order of their overall rank.
fn strategy_order(s: &Summary, format: &str, score: &str) -> Vec<String> {
    let mut v: Vec<String> = rows_for(s, format, score, None)
        .iter()
        .map(|r| r.strategy.clone())
        .collect();
    for r in &s.rankings {
        if r.format == format && r.score == score && !v.contains(&r.strategy) {
            v.push(r.strategy.clone());
        }
    }
    v
}

fn designs_of(s: &Summary, format: &str, score: &str) -> Vec<String> {
    let present: Vec<&str> = s
        .rankings
        .iter()
        .filter(|r| r.format == format && r.score == score)
        .filter_map(|r| r.group.only_design())
        .collect();
    let mut v: Vec<String> = s
        .designs_order
        .iter()
        .filter(|d| present.contains(&d.as_str()))
        .cloned()
        .collect();
    for d in present {
        if !v.iter().any(|x| x == d) {
            v.push(d.to_string());
        }
    }
    v
}

/// Colour of a strategy: its position in the configuration, the same in every chart.
fn strategy_color(s: &Summary, name: &str) -> &'static str {
    color(
        s.strategies
            .iter()
            .position(|x| x == name)
            .unwrap_or(s.strategies.len()),
    )
}

/// The strategy x design heatmap of one format: the report's first screen.
fn heatmap(s: &Summary, format: &str) -> String {
    let score = main_score(format);
    let designs = designs_of(s, format, score);
    let order = strategy_order(s, format, score);
    if order.is_empty() {
        return String::new();
    }
    let mut columns: Vec<(Option<String>, Vec<&RankRow>)> = designs
        .iter()
        .map(|d| (Some(d.clone()), rows_for(s, format, score, Some(d))))
        .collect();
    columns.push((None, rows_for(s, format, score, None)));
    let mut o = String::new();
    let _ = write!(o, "<h3>{}: {}</h3>", esc(format), esc(score_label(score)));
    // The answer in words first.
    o.push_str("<ul class=\"winners\">");
    for (d, rows) in &columns {
        let Some(d) = d else { continue };
        let best: Vec<&str> = rows
            .iter()
            .filter(|r| r.best)
            .map(|r| r.strategy.as_str())
            .collect();
        if best.is_empty() {
            continue;
        }
        if best.len() == rows.len() && rows.len() > 1 {
            let _ = write!(
                o,
                "<li>under <b>{}</b>: no strategy separable from the others (all {} within noise)</li>",
                esc(d),
                rows.len()
            );
        } else {
            let _ = write!(
                o,
                "<li>under <b>{}</b>: {}{}</li>",
                esc(d),
                best.iter()
                    .map(|b| format!("<b>{}</b>", esc(b)))
                    .collect::<Vec<_>>()
                    .join(", "),
                if best.len() > 1 {
                    " (not separable from each other)"
                } else {
                    ""
                }
            );
        }
    }
    o.push_str(
        "</ul><div class=\"scroll\"><table class=\"heat\"><tr><th class=\"l\">strategy</th>",
    );
    for (d, _) in &columns {
        match d {
            Some(d) => {
                let _ = write!(o, "<th class=\"name\">{}</th>", name(d));
            }
            None => o.push_str("<th class=\"wideonly\">all designs</th>"),
        }
    }
    o.push_str("</tr>");
    for strategy in &order {
        let name_html = name(strategy);
        let name = strategy;
        let _ = write!(o, "<tr><th class=\"l name\">{name_html}</th>");
        for (d, rows) in &columns {
            let means: Vec<f64> = rows.iter().filter_map(|r| r.stat.mean).collect();
            let (lo, hi) = means
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(*x), b.max(*x))
                });
            let mag = lo.abs().max(hi.abs());
            let cls = if d.is_none() {
                " class=\"wideonly\""
            } else {
                ""
            };
            let Some(r) = rows.iter().find(|r| r.strategy == *name) else {
                let _ = write!(o, "<td{cls}></td>");
                continue;
            };
            let Some(m) = r.stat.mean else {
                let _ = write!(o, "<td{cls}></td>");
                continue;
            };
            let t = if hi > lo { (m - lo) / (hi - lo) } else { 1.0 };
            let (bg, fg) = heat(t);
            let tied = rows.iter().filter(|x| x.rank == r.rank).count() > 1;
            let cls = if d.is_none() {
                " class=\"wideonly\""
            } else {
                ""
            };
            let _ = write!(
                o,
                "<td{cls} style=\"background:{bg};color:{fg}\" title=\"{}, {}: mean {m:.4}, 95% CI [{}, {}], n = {}, rank {}{}{}\"><span class=\"v\">{}{}</span><span class=\"s\">\u{b1}{} \u{b7} #{}{}</span></td>",
                esc(name),
                esc(d.as_deref().unwrap_or("all designs")),
                r.stat.ci_low.map_or("-".into(), |v| format!("{v:.4}")),
                r.stat.ci_high.map_or("-".into(), |v| format!("{v:.4}")),
                r.stat.n,
                r.rank,
                if tied { " (tied)" } else { "" },
                if r.best {
                    ", not significantly below the best"
                } else {
                    ""
                },
                if r.best { "\u{2605} " } else { "" },
                num(m, mag),
                num(r.stat.half_width(), mag),
                r.rank,
                if tied { "=" } else { "" },
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</table></div>");
    o
}

/// Pairwise comparison matrices per design (in a fold): which pairs are separable.
fn comparison_matrices(s: &Summary, format: &str) -> String {
    let score = main_score(format);
    let order = strategy_order(s, format, score);
    let mut o = String::new();
    let mut groups: Vec<Option<String>> =
        designs_of(s, format, score).into_iter().map(Some).collect();
    groups.push(None);
    let _ = write!(
        o,
        "<details><summary>{}: every pair compared (paired t test over common random numbers, Holm-corrected per design)</summary><p class=\"note\">Row strategy against column strategy: <span class=\"yes\">&gt;</span> row significantly higher, <span class=\"yes\">&lt;</span> lower, \u{2248} not separable (family-wise 5%). Hover for the mean difference and its interval.</p><div class=\"grid\">",
        esc(format)
    );
    for g in groups {
        let pairs: Vec<&summary::PairRow> = s
            .comparisons
            .iter()
            .filter(|p| {
                p.format == format
                    && p.score == score
                    && match &g {
                        None => p.group.is_all(),
                        Some(d) => p.group.only_design() == Some(d.as_str()),
                    }
            })
            .collect();
        if pairs.is_empty() {
            continue;
        }
        let _ = write!(
            o,
            "<div><h3>{}</h3><div class=\"scroll\"><table class=\"cmp\"><tr><th></th>",
            esc(g.as_deref().unwrap_or("all designs"))
        );
        for (j, _) in order.iter().enumerate() {
            let _ = write!(o, "<th title=\"{}\">{}</th>", esc(&order[j]), j + 1);
        }
        o.push_str("</tr>");
        for (i, a) in order.iter().enumerate() {
            let _ = write!(o, "<tr><th class=\"l name\">{} {}</th>", i + 1, name(a));
            for b in &order {
                if a == b {
                    o.push_str("<td>\u{b7}</td>");
                    continue;
                }
                let found = pairs.iter().find_map(|p| {
                    if p.a == *a && p.b == *b {
                        Some((*p, 1.0))
                    } else if p.a == *b && p.b == *a {
                        Some((*p, -1.0))
                    } else {
                        None
                    }
                });
                match found {
                    Some((p, sign)) => {
                        let d = sign * p.diff;
                        let sym = if !p.significant {
                            "\u{2248}".to_string()
                        } else if d > 0.0 {
                            "<span class=\"yes\">&gt;</span>".to_string()
                        } else {
                            "<span class=\"yes\">&lt;</span>".to_string()
                        };
                        let _ = write!(
                            o,
                            "<td title=\"{} - {}: {d:.4} over {} blocks, p = {:.4}, Holm p = {:.4}\">{sym}</td>",
                            esc(a),
                            esc(b),
                            p.n,
                            p.p,
                            p.p_holm
                        );
                    }
                    None => o.push_str("<td></td>"),
                }
            }
            o.push_str("</tr>");
        }
        o.push_str("</table></div></div>");
    }
    o.push_str("</div></details>");
    o
}

fn distributions(s: &Summary, format: &str) -> String {
    let score = main_score(format);
    let order = strategy_order(s, format, score);
    let mut o = String::from("<div class=\"grid\">");
    let mut groups: Vec<Option<String>> =
        designs_of(s, format, score).into_iter().map(Some).collect();
    if groups.len() != 1 {
        groups.push(None);
    }
    for g in groups {
        let rows: Vec<BoxRow> = order
            .iter()
            .filter_map(|name| {
                let d = s.distributions.iter().find(|d| {
                    d.format == format && d.score == score && d.design == g && d.strategy == *name
                })?;
                let mean = s
                    .rankings
                    .iter()
                    .find(|r| {
                        r.format == format
                            && r.score == score
                            && r.strategy == *name
                            && match &g {
                                None => r.group.is_all(),
                                Some(x) => r.group.only_design() == Some(x.as_str()),
                            }
                    })
                    .and_then(|r| r.stat.mean);
                Some(BoxRow {
                    label: name.clone(),
                    five: [d.min, d.q1, d.median, d.q3, d.max],
                    mean,
                    n: d.n,
                })
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        o.push_str(&charts::box_chart(
            &format!("{format}: {}", g.as_deref().unwrap_or("all designs")),
            score_axis(score),
            &rows,
        ));
    }
    o.push_str("</div>");
    o
}

fn background_view(s: &Summary) -> String {
    let mut o = String::new();
    for format in ["rotation", "invasion"] {
        let rows: Vec<&summary::BackgroundRow> =
            s.background.iter().filter(|b| b.format == format).collect();
        if rows.is_empty() {
            continue;
        }
        let (what, bg) = if format == "rotation" {
            ("one focal seat", "the background seats")
        } else {
            ("one invading State", "the residents")
        };
        let _ = write!(
            o,
            "<h3>{format}: k = 1 ({what}) and its effect on {bg}</h3><p class=\"note\">Left: the focal strategy's own gain. Right: how much {bg} gain or lose when this strategy takes the focal seat, compared with the mean over every focal strategy of the same block (same seat, preferences and background): a paired effect, with its 95% interval.</p><div class=\"grid\">"
        );
        let pooled: Vec<&&summary::BackgroundRow> =
            rows.iter().filter(|b| b.design.is_none()).collect();
        let dots = |f: &dyn Fn(&summary::BackgroundRow) -> Stat| -> Vec<Dot> {
            let mut v: Vec<Dot> = pooled
                .iter()
                .map(|b| Dot {
                    label: b.strategy.clone(),
                    stat: f(b),
                    mark: false,
                    note: String::new(),
                })
                .collect();
            v.sort_by(|a, b| {
                b.stat
                    .mean
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&a.stat.mean.unwrap_or(f64::NEG_INFINITY))
            });
            v
        };
        o.push_str(&charts::dot_chart(
            &format!("{format}: focal gain (all designs)"),
            "gain of the focal seat",
            &dots(&|b| b.focal),
        ));
        o.push_str(&charts::dot_chart(
            &format!("{format}: effect on {bg}"),
            "background's gain vs. the block mean",
            &dots(&|b| b.effect),
        ));
        o.push_str("</div><details><summary>The figures, per design</summary><div class=\"scroll\"><table><tr><th class=\"l\">design</th><th class=\"l\">strategy</th><th>k</th><th>focal gain</th><th>background gain</th><th>effect on background</th></tr>");
        for b in &rows {
            let _ = write!(
                o,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(b.design.as_deref().unwrap_or("all")),
                esc(&b.strategy),
                b.k,
                fmt_ci(&b.focal),
                fmt_ci(&b.background),
                fmt_ci(&b.effect)
            );
        }
        o.push_str("</table></div></details>");
    }
    o
}

fn evolution(s: &Summary) -> String {
    type Shares = BTreeMap<String, Vec<(u32, f64)>>;
    let mut pops: BTreeMap<(String, String), Shares> = BTreeMap::new();
    for e in &s.evolution {
        pops.entry((e.scenario.clone(), e.design.clone()))
            .or_default()
            .entry(e.strategy.clone())
            .or_default()
            .push((e.generation, e.share));
    }
    if pops.is_empty() {
        return String::new();
    }
    let mut o = String::from(
        "<h2>Evolution of strategy shares, per design</h2><p class=\"note\">Ecological tournament: each generation, seats go to strategies in proportion to their shares; shares then follow the exponential replicator dynamics on mean gains (the last point is the share after the last generation). One population per design; areas stack to all States.</p>",
    );
    let legend: Vec<(String, &'static str)> = s
        .strategies
        .iter()
        .map(|n| (n.clone(), strategy_color(s, n)))
        .collect();
    o.push_str(&charts::legend(&legend));
    o.push_str("<div class=\"grid\">");
    let mut keys: Vec<&(String, String)> = pops.keys().collect();
    keys.sort_by_key(|(sc, d)| (s.designs_order.iter().position(|x| x == d), sc.clone()));
    for key in keys {
        let m = &pops[key];
        let gens: Vec<u32> = {
            let mut g: Vec<u32> = m.values().flat_map(|v| v.iter().map(|p| p.0)).collect();
            g.sort_unstable();
            g.dedup();
            g
        };
        let xs: Vec<f64> = gens.iter().map(|g| f64::from(*g)).collect();
        let series: Vec<(String, &'static str, Vec<f64>)> = s
            .strategies
            .iter()
            .filter_map(|name| {
                let v = m.get(name)?;
                let vals = gens
                    .iter()
                    .map(|g| v.iter().find(|p| p.0 == *g).map_or(0.0, |p| p.1))
                    .collect();
                Some((name.clone(), strategy_color(s, name), vals))
            })
            .collect();
        let title = if s.evolution.iter().any(|e| e.scenario != key.0) {
            format!("{} ({})", key.1, key.0)
        } else {
            key.1.clone()
        };
        o.push_str(&charts::stacked_area(&title, "generation", &xs, &series));
    }
    o.push_str("</div>");
    o
}

fn head_to_head(s: &Summary) -> String {
    let rows: Vec<&summary::H2hRow> = s
        .head_to_head
        .iter()
        .filter(|h| h.design.is_none())
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut names: Vec<&str> = s
        .strategies
        .iter()
        .map(String::as_str)
        .filter(|n| rows.iter().any(|h| h.a == *n || h.b == *n))
        .collect();
    for h in &rows {
        for n in [h.a.as_str(), h.b.as_str()] {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    let diffs: Vec<f64> = rows
        .iter()
        .filter_map(|h| Some(h.a_gain.mean? - h.b_gain.mean?))
        .collect();
    let span = diffs.iter().fold(0.0_f64, |a, d| a.max(d.abs())).max(1e-9);
    let mag = rows
        .iter()
        .flat_map(|h| [h.a_gain.mean, h.b_gain.mean])
        .flatten()
        .fold(0.0_f64, |a, x| a.max(x.abs()));
    let mut o = String::from(
        "<h2>Head to head (bloc vs bloc, all designs)</h2><p class=\"note\">Row: the strategy of every State of the first bloc (A: West / NATO); column: the second bloc's (B: East / CSTO / Warsaw Pact); neutrals play a fixed strategy. Each cell gives both sides' mean gain per State with \u{b1} the 95% interval half-width; colour: A's gain minus B's (blue: A ahead, red: B ahead).</p><div class=\"scroll\"><table class=\"h2h\"><tr><th class=\"l\">A \\ B</th>",
    );
    for b in &names {
        let _ = write!(o, "<th class=\"name\">{}</th>", name(b));
    }
    o.push_str("</tr>");
    for a in &names {
        let _ = write!(o, "<tr><th class=\"l name\">{}</th>", name(a));
        for b in &names {
            match rows.iter().find(|h| h.a == *a && h.b == *b) {
                Some(h) => {
                    let (Some(ga), Some(gb)) = (h.a_gain.mean, h.b_gain.mean) else {
                        o.push_str("<td></td>");
                        continue;
                    };
                    let _ = write!(
                        o,
                        "<td style=\"background:{}\" title=\"A {a}: {ga:.4} [{}, {}]; B {b}: {gb:.4} [{}, {}]; n = {}\"><span class=\"s\">A {}\u{b1}{}</span><span class=\"s\">B {}\u{b1}{}</span></td>",
                        diverging((ga - gb) / span),
                        h.a_gain.ci_low.map_or("-".into(), |v| format!("{v:.4}")),
                        h.a_gain.ci_high.map_or("-".into(), |v| format!("{v:.4}")),
                        h.b_gain.ci_low.map_or("-".into(), |v| format!("{v:.4}")),
                        h.b_gain.ci_high.map_or("-".into(), |v| format!("{v:.4}")),
                        h.a_gain.n,
                        num(ga, mag),
                        num(h.a_gain.half_width(), mag),
                        num(gb, mag),
                        num(h.b_gain.half_width(), mag),
                    );
                }
                None => o.push_str("<td></td>"),
            }
        }
        o.push_str("</tr>");
    }
    o.push_str("</table></div>");
    o
}

fn fmt_ci(s: &Stat) -> String {
    let mag = s.mean.unwrap_or(0.0);
    match (s.mean, s.ci_low, s.ci_high) {
        (Some(m), Some(l), Some(h)) => {
            format!(
                "{} <span class=\"note\">[{}, {}]</span>",
                num(m, mag),
                num(l, mag),
                num(h, mag)
            )
        }
        (Some(m), _, _) => num(m, mag),
        _ => "&#8211;".into(),
    }
}

fn overall_rankings(s: &Summary) -> String {
    let mut o = String::from(
        "<h2>Overall rankings (all designs pooled)</h2><p class=\"note\">Mean score with its 95% interval; \u{2605} not significantly below the best (paired, Holm 5%). Pooling designs mixes their scales: read the first table for \"which design\".</p><div class=\"grid\">",
    );
    for f in &s.formats {
        for score in [main_score(f), "focal_gain_relative"] {
            if score == "focal_gain_relative" && f != "rotation" {
                continue;
            }
            let rows: Vec<Dot> = rows_for(s, f, score, None)
                .iter()
                .map(|r| Dot {
                    label: format!(
                        "{}{}",
                        r.strategy,
                        if rows_for(s, f, score, None)
                            .iter()
                            .filter(|x| x.rank == r.rank)
                            .count()
                            > 1
                        {
                            format!(" (#{}=)", r.rank)
                        } else {
                            String::new()
                        }
                    ),
                    stat: r.stat,
                    mark: r.best,
                    note: format!(", rank {}", r.rank),
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            o.push_str(&charts::dot_chart(
                &format!("{f}: {score}"),
                score_axis(score),
                &rows,
            ));
        }
    }
    o.push_str("</div>");
    o
}

fn designs_section(s: &Summary) -> String {
    let all: Vec<&summary::DesignRow> = s.designs.iter().filter(|d| d.format == "all").collect();
    let mut designs: Vec<String> = all.iter().map(|d| d.design.clone()).collect();
    designs.dedup();
    if designs.is_empty() {
        return String::new();
    }
    let get = |d: &str, m: &str| {
        all.iter()
            .find(|r| r.design == d && r.metric == m)
            .map(|r| r.stat)
    };
    let points: Vec<(String, Stat, Stat)> = designs
        .iter()
        .filter_map(|d| {
            Some((
                d.clone(),
                get(d, "capacity_to_act")?,
                get(d, "legitimacy_mean")?,
            ))
        })
        .collect();
    let mut o = String::from(
        "<h2>Institutional designs</h2><p class=\"note\">Each design averaged over every match it hosted; bars are 95% intervals. Up and right is better on both counts: designs usually trade one for the other.</p><div class=\"grid\">",
    );
    o.push_str(&charts::scatter(
        "Capacity to act vs legitimacy",
        "capacity to act (share of items decided)",
        "legitimacy (mean, end)",
        &points,
    ));
    let mut by_design: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for t in &s.tension {
        if let Some(m) = t.tension.mean {
            by_design
                .entry(t.design.as_str())
                .or_default()
                .push((f64::from(t.step), m));
        }
    }
    let series: Vec<charts::Line> = designs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            by_design
                .get(d.as_str())
                .map(|v| (d.clone(), color(i), v.clone()))
        })
        .collect();
    if !series.is_empty() {
        o.push_str(&charts::line_chart(
            "Peak bloc-pair tension per step",
            "step (items finished)",
            "tension (0..1)",
            &series,
            None,
        ));
    }
    o.push_str("</div>");
    let legend: Vec<(String, &'static str)> = designs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.clone(), color(i)))
        .collect();
    o.push_str(&charts::legend(&legend));
    o.push_str("<div class=\"scroll\"><table><tr><th class=\"l\">design</th><th>matches</th>");
    for m in summary::METRICS {
        let _ = write!(o, "<th>{}</th>", esc(&m.replace('_', " ")));
    }
    o.push_str("</tr>");
    for d in &designs {
        let n = get(d, "capacity_to_act").map_or(0, |x| x.n);
        let _ = write!(o, "<tr><td class=\"l\">{}</td><td>{n}</td>", esc(d));
        for m in summary::METRICS {
            let _ = write!(
                o,
                "<td>{}</td>",
                get(d, m).map(|x| fmt_ci(&x)).unwrap_or_default()
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</table></div>");
    o
}

/// Renders the report page of a summary.
pub fn render(s: &Summary, title: &str) -> String {
    let mut o = page_open(title);
    let _ = write!(
        o,
        "<h1>{}</h1><p class=\"note\">{} matches{}, master seed {}, configuration {}. Model results (plenary's spatial bargaining model with the design presets), not observed history; intervals are 95% (Student t).</p>",
        esc(title),
        s.matches,
        s.planned
            .map(|p| format!(" of {p} planned"))
            .unwrap_or_default(),
        s.seed,
        esc(&s.tournament)
    );
    if s.partial() {
        let _ = write!(
            o,
            "<p class=\"warn\">Partial results: {} of {} planned matches (one shard, or an unfinished run). Every figure covers only these matches; merge the shards or resume the run for the full tournament.</p>",
            s.matches,
            s.planned.unwrap_or(0)
        );
    }
    if !s.formats.is_empty() {
        o.push_str("<h2>Which strategy wins under which design</h2><p class=\"note\">Cell: mean score, \u{b1} 95% interval half-width, rank in the design (#2= shares rank 2 with another strategy). Shade: higher is darker within each design's column. \u{2605}: not significantly below the design's best (paired t test over matches sharing seats and preferences, Holm-corrected).</p>");
    }
    o.push_str("<div class=\"heats\">");
    for f in &s.formats {
        let h = heatmap(s, f);
        if !h.is_empty() {
            let _ = write!(o, "<div>{h}</div>");
        }
    }
    o.push_str("</div>");
    for f in &s.formats {
        o.push_str(&comparison_matrices(s, f));
    }
    if !s.distributions.is_empty() {
        o.push_str("<h2>Distributions per design</h2><p class=\"note\">Box: quartiles and median; whiskers: smallest and largest value; diamond: mean. One value per block of common random numbers (one match in rotation and invasion).</p>");
        for f in &s.formats {
            if f == "evolutionary" {
                continue;
            }
            o.push_str(&distributions(s, f));
        }
    }
    let bg = background_view(s);
    if !bg.is_empty() {
        o.push_str("<h2>Focal strategy among background seats</h2>");
        o.push_str(&bg);
    }
    o.push_str(&evolution(s));
    o.push_str(&head_to_head(s));
    o.push_str(&overall_rankings(s));
    o.push_str(&designs_section(s));
    let _ = write!(
        o,
        "<p class=\"note\">Files: matches.jsonl (one record per match), summary.json, rankings.csv, comparisons.csv, background.csv, designs.csv, head_to_head.csv, evolution.csv, tension.csv. Output schema version {}, written by {}. Replay any match with <code>plenary replay DIR MATCH_ID</code>.</p></body></html>",
        s.schema_version,
        esc(&s.tool_version)
    );
    o.push('\n');
    o
}

/// Summarizes `dir` (streaming its records) and writes `dir/report.html`.
pub fn write_report(dir: &Path, title: &str) -> Result<PathBuf, OutputError> {
    let s = summary::summarize(dir)?;
    let path = dir.join("report.html");
    std::fs::write(&path, render(&s, title)).map_err(crate::output::io(&path))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(-148.51, 148.0), "\u{2212}149");
        assert_eq!(num(12.345, 12.0), "12.3");
        assert_eq!(num(0.01234, 0.5), "0.012");
        assert_eq!(num(-0.0001, 0.5), "0.000");
        assert_eq!(heat(0.0).1, "#111");
        assert_eq!(heat(1.0), ("#1d4f8a".to_string(), "#fff"));
    }
}
