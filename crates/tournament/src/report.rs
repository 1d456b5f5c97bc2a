//! `DIR/report.html`: one self-contained HTML file with inline SVG charts drawn by this
//! module (no JavaScript, no external fonts, styles or scripts), readable offline:
//! strategy rankings with 95% error bars, a design comparison scatter (capacity to act
//! against legitimacy, with interval bars on both axes), tension over a match per
//! design, strategy shares over generations, the head-to-head table and the design
//! metrics table.

use crate::output::OutputError;
use crate::stats::Stat;
use crate::summary::{self, Summary};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Points of one line.
type Series = Vec<(f64, f64)>;

const PALETTE: [&str; 12] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#ad494a",
];

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// "Nice" axis ticks covering `lo..hi` (about `n` of them).
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).ceil() * step;
    let mut v = Vec::new();
    let mut x = start;
    while x <= hi + step * 1e-9 {
        v.push(if x.abs() < step * 1e-9 { 0.0 } else { x });
        x += step;
    }
    v
}

/// A tick label with as many decimals as the tick step needs.
fn tick_label(x: f64, step: f64) -> String {
    let decimals = if step > 0.0 {
        (-step.log10().floor() + f64::from(u8::from(is_quarter(step)))).max(0.0) as usize
    } else {
        2
    };
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x:.decimals$}")
    }
}

/// Steps like 0.25 or 2.5 need one more decimal than their magnitude says.
fn is_quarter(step: f64) -> bool {
    let m = step / 10f64.powf(step.log10().floor());
    (m - 2.5).abs() < 1e-9
}

fn step_of(t: &[f64]) -> f64 {
    if t.len() >= 2 { t[1] - t[0] } else { 1.0 }
}

/// Linear map from data to pixels.
#[derive(Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    fn new(d0: f64, d1: f64, p0: f64, p1: f64) -> Scale {
        let (d0, d1) = if (d1 - d0).abs() < 1e-12 {
            (d0 - 0.5, d1 + 0.5)
        } else {
            (d0, d1)
        };
        Scale { d0, d1, p0, p1 }
    }
    fn at(&self, x: f64) -> f64 {
        self.p0 + (x - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let span = (hi - lo).abs().max(1e-9);
    (lo - span * 0.08, hi + span * 0.08)
}

fn svg_open(w: f64, h: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title><rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>",
        t = esc(title)
    )
}

fn x_axis(o: &mut String, sx: Scale, y: f64, top: f64, label: &str) {
    let ts = ticks(sx.d0, sx.d1, 6);
    let step = step_of(&ts);
    for t in ts {
        let x = sx.at(t);
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            y + 14.0,
            tick_label(t, step)
        );
    }
    let _ = write!(
        o,
        "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
        sx.p0,
        sx.p1,
        (sx.p0 + sx.p1) / 2.0,
        y + 32.0,
        esc(label)
    );
}

fn y_axis(o: &mut String, sy: Scale, x: f64, right: f64, label: &str) {
    let ts = ticks(sy.d1.min(sy.d0), sy.d0.max(sy.d1), 5);
    let step = step_of(&ts);
    for t in ts {
        let y = sy.at(t);
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            x - 5.0,
            y + 4.0,
            tick_label(t, step)
        );
    }
    let mid = (sy.p0 + sy.p1) / 2.0;
    let _ = write!(
        o,
        "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{mid:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#222\" transform=\"rotate(-90 {:.1} {mid:.1})\">{}</text>",
        sy.p0,
        sy.p1,
        x - 44.0,
        x - 44.0,
        esc(label)
    );
}

/// Horizontal dot plot of strategy means with 95% interval bars, best on top.
pub fn ranking_chart(title: &str, xlabel: &str, rows: &[(String, Stat)]) -> String {
    let rows: Vec<&(String, Stat)> = rows.iter().filter(|r| r.1.mean.is_some()).collect();
    let (w, row_h, left, right, top) = (720.0, 24.0, 150.0, 30.0, 34.0);
    let h = top + row_h * rows.len().max(1) as f64 + 50.0;
    let lo = rows
        .iter()
        .map(|r| r.1.ci_low.or(r.1.mean).unwrap_or(0.0))
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let hi = rows
        .iter()
        .map(|r| r.1.ci_high.or(r.1.mean).unwrap_or(0.0))
        .fold(f64::NEG_INFINITY, f64::max)
        .max(0.0);
    let (lo, hi) = if rows.is_empty() {
        (0.0, 1.0)
    } else {
        padded(lo, hi)
    };
    let sx = Scale::new(lo, hi, left, w - right);
    let mut o = svg_open(w, h, title);
    let _ = write!(
        o,
        "<text x=\"{left}\" y=\"20\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{}</text>",
        esc(title)
    );
    let bottom = top + row_h * rows.len().max(1) as f64;
    x_axis(&mut o, sx, bottom, top, xlabel);
    let zero = sx.at(0.0);
    let _ = write!(
        o,
        "<line x1=\"{zero:.1}\" y1=\"{top:.1}\" x2=\"{zero:.1}\" y2=\"{bottom:.1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
    );
    for (i, (name, st)) in rows.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.5);
        let m = st.mean.unwrap_or(0.0);
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#222\">{}</text>",
            left - 8.0,
            y + 4.0,
            esc(name)
        );
        if let (Some(l), Some(hh)) = (st.ci_low, st.ci_high) {
            let _ = write!(
                o,
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#555\" stroke-width=\"1.5\"/><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#555\"/><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#555\"/>",
                sx.at(l),
                sx.at(hh),
                sx.at(l),
                y - 5.0,
                sx.at(l),
                y + 5.0,
                sx.at(hh),
                y - 5.0,
                sx.at(hh),
                y + 5.0
            );
        }
        let _ = write!(
            o,
            "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"{}\"><title>{}: mean {m:.3}, 95% CI [{}, {}], n = {}</title></circle>",
            sx.at(m),
            PALETTE[i % PALETTE.len()],
            esc(name),
            st.ci_low.map_or("-".into(), |v| format!("{v:.3}")),
            st.ci_high.map_or("-".into(), |v| format!("{v:.3}")),
            st.n
        );
    }
    o.push_str("</svg>");
    o
}

/// Scatter of designs: capacity to act (x) against mean legitimacy (y), 95% bars on both.
pub fn design_scatter(points: &[(String, Stat, Stat)]) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 460.0, 70.0, 30.0, 34.0, 56.0);
    let xs: Vec<f64> = points
        .iter()
        .flat_map(|p| [p.1.ci_low.or(p.1.mean), p.1.ci_high.or(p.1.mean)])
        .flatten()
        .collect();
    let ys: Vec<f64> = points
        .iter()
        .flat_map(|p| [p.2.ci_low.or(p.2.mean), p.2.ci_high.or(p.2.mean)])
        .flatten()
        .collect();
    let range = |v: &[f64]| {
        if v.is_empty() {
            (0.0, 1.0)
        } else {
            padded(
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            )
        }
    };
    let (x0, x1) = range(&xs);
    let (y0, y1) = range(&ys);
    let sx = Scale::new(x0, x1, left, w - right);
    let sy = Scale::new(y0, y1, h - bottom, top);
    let title = "Designs: capacity to act vs legitimacy (means, 95% CI)";
    let mut o = svg_open(w, h, title);
    let _ = write!(
        o,
        "<text x=\"{left}\" y=\"20\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{}</text>",
        esc(title)
    );
    x_axis(
        &mut o,
        sx,
        h - bottom,
        top,
        "capacity to act (share of in-scope items decided)",
    );
    y_axis(
        &mut o,
        sy,
        left,
        w - right,
        "legitimacy (mean, end of match)",
    );
    for (i, (name, cx, cy)) in points.iter().enumerate() {
        let (Some(mx), Some(my)) = (cx.mean, cy.mean) else {
            continue;
        };
        let c = PALETTE[i % PALETTE.len()];
        let (px, py) = (sx.at(mx), sy.at(my));
        if let (Some(l), Some(hh)) = (cx.ci_low, cx.ci_high) {
            let _ = write!(
                o,
                "<line x1=\"{:.1}\" y1=\"{py:.1}\" x2=\"{:.1}\" y2=\"{py:.1}\" stroke=\"{c}\" stroke-width=\"2\"/>",
                sx.at(l),
                sx.at(hh)
            );
        }
        if let (Some(l), Some(hh)) = (cy.ci_low, cy.ci_high) {
            let _ = write!(
                o,
                "<line x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"{c}\" stroke-width=\"2\"/>",
                sy.at(l),
                sy.at(hh)
            );
        }
        // Labels near the right edge go to the left of the point.
        let (lx, anchor) = if px > left + (w - left - right) * 0.7 {
            (px - 8.0, "end")
        } else {
            (px + 8.0, "start")
        };
        let _ = write!(
            o,
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"6\" fill=\"{c}\"><title>{}: capacity {mx:.3}, legitimacy {my:.3}</title></circle><text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"{anchor}\" fill=\"{c}\">{}</text>",
            esc(name),
            py - 8.0,
            esc(name)
        );
    }
    o.push_str("</svg>");
    o
}

/// Line chart of several series over integer x, with a legend.
pub fn line_chart(
    title: &str,
    xlabel: &str,
    ylabel: &str,
    series: &[(String, Vec<(f64, f64)>)],
    y_range: Option<(f64, f64)>,
) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 360.0, 70.0, 170.0, 34.0, 56.0);
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.1.iter().copied()).collect();
    let (x0, x1) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let (x0, x1) = if all.is_empty() { (0.0, 1.0) } else { (x0, x1) };
    let (y0, y1) = y_range.unwrap_or_else(|| {
        let (a, b) = all
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        if all.is_empty() {
            (0.0, 1.0)
        } else {
            padded(a, b)
        }
    });
    let sx = Scale::new(x0, x1, left, w - right);
    let sy = Scale::new(y0, y1, h - bottom, top);
    let mut o = svg_open(w, h, title);
    let _ = write!(
        o,
        "<text x=\"{left}\" y=\"20\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{}</text>",
        esc(title)
    );
    x_axis(&mut o, sx, h - bottom, top, xlabel);
    y_axis(&mut o, sy, left, w - right, ylabel);
    for (i, (name, pts)) in series.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", sx.at(*x), sy.at(*y)))
            .collect();
        if !path.is_empty() {
            let _ = write!(
                o,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"><title>{}</title></polyline>",
                path.join(" "),
                esc(name)
            );
        }
        let ly = top + 8.0 + 18.0 * i as f64;
        let lx = w - right + 14.0;
        let _ = write!(
            o,
            "<line x1=\"{lx:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{c}\" stroke-width=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#222\">{}</text>",
            lx + 18.0,
            lx + 24.0,
            ly + 4.0,
            esc(name)
        );
    }
    o.push_str("</svg>");
    o
}

fn fmt_ci(s: &Stat) -> String {
    match (s.mean, s.ci_low, s.ci_high) {
        (Some(m), Some(l), Some(h)) => format!("{m:.3} <span class=\"ci\">[{l:.3}, {h:.3}]</span>"),
        (Some(m), _, _) => format!("{m:.3}"),
        _ => "&#8211;".into(),
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1000px;color:#222;line-height:1.45;padding:0 16px}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:4px}table{border-collapse:collapse;margin:12px 0;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}.ci{color:#777;font-size:0.9em}.note{color:#555;font-size:0.92em}figure{margin:16px 0}svg{max-width:100%;height:auto;border:1px solid #eee}.wide{overflow-x:auto}";

/// Renders the report page of a summary.
pub fn render(s: &Summary, title: &str) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>{}</title><style>{STYLE}</style></head><body>",
        esc(title)
    );
    let _ = write!(
        o,
        "<h1>{}</h1><p class=\"note\">{} matches, master seed {}, configuration {}. Every number below comes from the simulation model (plenary's spatial bargaining model with the design presets), not from observed history: read them as how the model's institutions and strategies behave, with 95% confidence intervals (Student t) over independent matches.</p>",
        esc(title),
        s.matches,
        s.seed,
        esc(&s.tournament)
    );
    // Rankings.
    if !s.formats.is_empty() {
        o.push_str("<h2>Strategy rankings</h2><p class=\"note\">Mean utility gain over the status quo (sum over the match of salience-weighted distance gained) with 95% intervals. Overlapping bars: the difference is not established at this number of matches.</p>");
    }
    for f in &s.formats {
        let rows: Vec<(String, Stat)> = s
            .rankings
            .iter()
            .filter(|r| r.format == *f && r.by == "all")
            .map(|r| (r.strategy.clone(), r.gain))
            .collect();
        let xlabel = match f.as_str() {
            "rotation" => "gain of the focal seat over the status quo",
            "bloc-vs-bloc" => "mean gain per State of the side it played",
            "invasion" => "invader's gain minus residents' mean gain",
            _ => "mean gain per seat over the status quo",
        };
        let _ = write!(
            o,
            "<figure>{}</figure>",
            ranking_chart(&format!("{f}: strategies by gain"), xlabel, &rows)
        );
        let relative: Vec<(String, Stat)> = s
            .rankings
            .iter()
            .filter(|r| r.format == *f && r.by == "relative")
            .map(|r| (r.strategy.clone(), r.gain))
            .collect();
        if !relative.is_empty() {
            let _ = write!(
                o,
                "<figure>{}</figure>",
                ranking_chart(
                    &format!("{f}: gain relative to the seat's class"),
                    "focal gain minus the mean gain of the other seats of its class",
                    &relative
                )
            );
        }
    }
    // Designs.
    let all: Vec<&summary::DesignRow> = s.designs.iter().filter(|d| d.format == "all").collect();
    let mut designs: Vec<String> = all.iter().map(|d| d.design.clone()).collect();
    designs.dedup();
    if !designs.is_empty() {
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
        o.push_str("<h2>Institutional designs</h2><p class=\"note\">Each point is a design averaged over every match it hosted in this tournament; bars are 95% intervals. Up and right is better on both counts: the paper's dilemma is that designs usually trade one for the other.</p>");
        let _ = write!(o, "<figure>{}</figure>", design_scatter(&points));
        o.push_str("<div class=\"wide\"><table><tr><th class=\"l\">design</th><th>matches</th>");
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
    }
    // Tension.
    let mut by_design: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for t in &s.tension {
        if let Some(m) = t.tension.mean {
            by_design
                .entry(t.design.as_str())
                .or_default()
                .push((f64::from(t.step), m));
        }
    }
    if !by_design.is_empty() {
        let series: Vec<(String, Vec<(f64, f64)>)> = designs
            .iter()
            .filter_map(|d| by_design.get(d.as_str()).map(|v| (d.clone(), v.clone())))
            .collect();
        o.push_str("<h2>Tension over a match</h2><p class=\"note\">Highest bloc-pair tension after each agenda item (step 0 = start), mean over the design's matches. Sessions follow one another, so the curve spans the whole match.</p>");
        let _ = write!(
            o,
            "<figure>{}</figure>",
            line_chart(
                "Mean peak bloc-pair tension per step",
                "step (items finished)",
                "tension (0..1)",
                &series,
                None
            )
        );
    }
    // Evolution.
    let mut pops: BTreeMap<(String, String), BTreeMap<String, Series>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for e in &s.evolution {
        if !order.contains(&e.strategy) {
            order.push(e.strategy.clone());
        }
        pops.entry((e.scenario.clone(), e.design.clone()))
            .or_default()
            .entry(e.strategy.clone())
            .or_default()
            .push((f64::from(e.generation), e.share));
    }
    if !pops.is_empty() {
        o.push_str("<h2>Evolution of strategy shares</h2><p class=\"note\">Ecological tournament: each generation, States play the strategies in proportion to their shares; shares then grow with the exponential replicator dynamics on mean gains (the last point is the share implied after the last generation).</p>");
        for ((scenario, design), m) in &pops {
            let series: Vec<(String, Vec<(f64, f64)>)> = order
                .iter()
                .filter_map(|k| m.get(k).map(|v| (k.clone(), v.clone())))
                .collect();
            let _ = write!(
                o,
                "<figure>{}</figure>",
                line_chart(
                    &format!("Shares under {design} ({scenario})"),
                    "generation",
                    "share of States",
                    &series,
                    Some((0.0, 1.0))
                )
            );
        }
    }
    // Head to head.
    let h2h: Vec<&summary::H2hRow> = s
        .head_to_head
        .iter()
        .filter(|h| h.design == "all")
        .collect();
    if !h2h.is_empty() {
        let mut names: Vec<&str> = h2h.iter().map(|h| h.a.as_str()).collect();
        names.dedup();
        let mut cols: Vec<&str> = h2h.iter().map(|h| h.b.as_str()).collect();
        cols.sort_unstable();
        cols.dedup();
        let vals: Vec<f64> = h2h.iter().filter_map(|h| h.a_gain.mean).collect();
        let (lo, hi) = vals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        o.push_str("<h2>Head to head (bloc vs bloc)</h2><p class=\"note\">Row: the strategy every State of the first bloc plays (West / NATO); column: the second bloc's (East / CSTO / Warsaw Pact); neutrals play a fixed strategy. Cell: the first bloc's mean gain per State (darker = higher).</p><div class=\"wide\"><table><tr><th class=\"l\">A \\ B</th>");
        for c in &cols {
            let _ = write!(o, "<th>{}</th>", esc(c));
        }
        o.push_str("</tr>");
        for a in names {
            let _ = write!(o, "<tr><th class=\"l\">{}</th>", esc(a));
            for b in &cols {
                match h2h
                    .iter()
                    .find(|h| h.a == a && h.b == *b)
                    .and_then(|h| h.a_gain.mean)
                {
                    Some(v) => {
                        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                        let _ = write!(
                            o,
                            "<td style=\"background:rgba(31,119,180,{:.2})\">{v:.2}</td>",
                            0.08 + 0.6 * t
                        );
                    }
                    None => o.push_str("<td></td>"),
                }
            }
            o.push_str("</tr>");
        }
        o.push_str("</table></div>");
    }
    o.push_str("<p class=\"note\">Files: matches.jsonl (one record per match), summary.json, rankings.csv, designs.csv, head_to_head.csv, evolution.csv, tension.csv.</p></body></html>\n");
    o
}

/// Summarizes `dir` (streaming its records) and writes `dir/report.html`.
pub fn write_report(dir: &Path, title: &str) -> Result<PathBuf, OutputError> {
    let s = summary::summarize(dir)?;
    let path = dir.join("report.html");
    std::fs::write(&path, render(&s, title)).map_err(crate::output::io(&path))?;
    Ok(path)
}

/// Structural check of the generated markup: every tag is closed in order (the page is XHTML-style
/// markup, so a stack of tag names must balance) and returns the tag counts.
pub fn balanced(doc: &str) -> Result<BTreeMap<String, usize>, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut counts = BTreeMap::new();
    let mut rest = doc;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').ok_or("unclosed <")?;
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("</{name}> without opening"))?;
            if open != name {
                return Err(format!("</{name}> closes <{open}>"));
            }
        } else {
            let name: String = tag
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '/')
                .collect();
            *counts.entry(name.clone()).or_insert(0) += 1;
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
    }
    if stack.is_empty() {
        Ok(counts)
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(m: f64, h: f64) -> Stat {
        Stat {
            n: 5,
            mean: Some(m),
            sd: Some(h),
            ci_low: Some(m - h),
            ci_high: Some(m + h),
            min: Some(m - 2.0 * h),
            max: Some(m + 2.0 * h),
        }
    }

    #[test]
    fn tick_labels_use_the_step_precision() {
        assert_eq!(tick_label(50.0, 50.0), "50");
        assert_eq!(tick_label(0.4, 0.2), "0.4");
        assert_eq!(tick_label(0.25, 0.25), "0.25");
        assert_eq!(tick_label(2.5, 2.5), "2.5");
        assert_eq!(tick_label(75.0, 25.0), "75");
        assert_eq!(tick_label(-250.0, 250.0), "-250");
        assert_eq!(tick_label(0.0, 0.1), "0");
    }

    #[test]
    fn ticks_are_nice() {
        assert_eq!(
            ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(ticks(-3.0, 17.0, 4), vec![0.0, 5.0, 10.0, 15.0]);
    }

    #[test]
    fn charts_are_well_formed_svg() {
        let rows = vec![
            ("a<b".to_string(), stat(1.0, 0.5)),
            ("c".to_string(), stat(-2.0, 1.0)),
        ];
        let svg = ranking_chart("t", "x", &rows);
        let c = balanced(&svg).unwrap();
        assert_eq!(c["svg"], 1);
        assert_eq!(c["circle"], 2);
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"));
        let sc = design_scatter(&[
            ("d1".into(), stat(0.5, 0.1), stat(0.7, 0.05)),
            ("d2".into(), stat(0.9, 0.02), stat(0.3, 0.1)),
        ]);
        assert_eq!(balanced(&sc).unwrap()["circle"], 2);
        let lc = line_chart(
            "t",
            "x",
            "y",
            &[("s".into(), vec![(0.0, 0.1), (1.0, 0.5)])],
            Some((0.0, 1.0)),
        );
        assert_eq!(balanced(&lc).unwrap()["polyline"], 1);
        // Degenerate inputs still give valid markup.
        assert!(balanced(&ranking_chart("t", "x", &[])).is_ok());
        assert!(balanced(&line_chart("t", "x", "y", &[], None)).is_ok());
    }
}
