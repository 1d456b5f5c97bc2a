//! Chart primitives for the offline HTML pages: inline SVG drawn here (no JavaScript,
//! no external fonts or scripts). Every chart is a panel about [`W`] units wide, laid
//! out by the page's CSS grid, so it is drawn near 1:1 on a phone (420 px) and on a
//! desktop (1400 px, several panels per row): text is never scaled below about 11 px.

use crate::stats::Stat;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A named, coloured series of points.
pub type Line = (String, &'static str, Vec<(f64, f64)>);

/// Width of a chart panel (SVG user units, about pixels).
pub const W: f64 = 400.0;

/// Categorical colours (Okabe-Ito, then Tableau's muted tones), distinct in hue and
/// lightness so eleven strategies stay apart.
pub const PALETTE: [&str; 12] = [
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000",
    "#8c564b", "#7f7f7f", "#9467bd", "#bcbd22",
];

/// Colour of the `i`-th category.
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

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
pub(crate) struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    pub(crate) fn new(d0: f64, d1: f64, p0: f64, p1: f64) -> Scale {
        let (d0, d1) = if (d1 - d0).abs() < 1e-12 {
            (d0 - 0.5, d1 + 0.5)
        } else {
            (d0, d1)
        };
        Scale { d0, d1, p0, p1 }
    }
    pub(crate) fn at(&self, x: f64) -> f64 {
        self.p0 + (x - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

pub(crate) fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let span = (hi - lo).abs().max(1e-9);
    (lo - span * 0.08, hi + span * 0.08)
}

/// Opens an SVG panel `w` x `h` with a title (shown as a heading inside the panel).
pub fn svg_open(w: f64, h: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\" font-family=\"system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif\"><title>{t}</title><rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/><text x=\"8\" y=\"17\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">{t}</text>",
        t = esc(title)
    )
}

/// A horizontal axis at `y` with grid lines up to `top`.
pub(crate) fn x_axis(o: &mut String, sx: Scale, y: f64, top: f64, label: &str) {
    let ts = ticks(sx.d0, sx.d1, 4);
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
        "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
        sx.p0,
        sx.p1,
        (sx.p0 + sx.p1) / 2.0,
        y + 29.0,
        esc(label)
    );
}

/// A vertical axis at `x` with grid lines to `right`.
pub(crate) fn y_axis(o: &mut String, sy: Scale, x: f64, right: f64, label: &str) {
    let ts = ticks(sy.d1.min(sy.d0), sy.d0.max(sy.d1), 4);
    let step = step_of(&ts);
    for t in ts {
        let y = sy.at(t);
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            x - 4.0,
            y + 4.0,
            tick_label(t, step)
        );
    }
    let mid = (sy.p0 + sy.p1) / 2.0;
    let _ = write!(
        o,
        "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"12\" y=\"{mid:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\" transform=\"rotate(-90 12 {mid:.1})\">{}</text>",
        sy.p0,
        sy.p1,
        esc(label)
    );
}

/// Left margin that fits row labels of these lengths (11.5 px text, bold at most):
/// about 7 px a character, between 60 and 170 px.
fn label_margin(lengths: impl Iterator<Item = usize>) -> f64 {
    let longest = lengths.max().unwrap_or(8) as f64;
    (14.0 + 7.0 * longest).clamp(60.0, 170.0)
}

fn range_of(v: impl Iterator<Item = f64>, include_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = v.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    padded(lo, hi)
}

/// One row of a dot chart: label, statistics, and whether to mark it (e.g. best).
pub struct Dot {
    /// Row label.
    pub label: String,
    /// Mean and interval.
    pub stat: Stat,
    /// Marked rows get a filled dot and a star.
    pub mark: bool,
    /// Extra text for the tooltip.
    pub note: String,
}

/// Horizontal dot chart of means with 95% interval bars, one row per entry, in order.
pub fn dot_chart(title: &str, xlabel: &str, rows: &[Dot]) -> String {
    let rows: Vec<&Dot> = rows.iter().filter(|r| r.stat.mean.is_some()).collect();
    let (row_h, right, top) = (20.0, 14.0, 30.0);
    let left = label_margin(
        rows.iter()
            .map(|r| r.label.chars().count() + 2 * usize::from(r.mark)),
    );
    let h = top + row_h * rows.len().max(1) as f64 + 40.0;
    let (lo, hi) = range_of(
        rows.iter().flat_map(|r| {
            [
                r.stat.ci_low.or(r.stat.mean).unwrap_or(0.0),
                r.stat.ci_high.or(r.stat.mean).unwrap_or(0.0),
            ]
        }),
        true,
    );
    let sx = Scale::new(lo, hi, left, W - right);
    let mut o = svg_open(W, h, title);
    let bottom = top + row_h * rows.len().max(1) as f64;
    x_axis(&mut o, sx, bottom, top, xlabel);
    let zero = sx.at(0.0);
    let _ = write!(
        o,
        "<line x1=\"{zero:.1}\" y1=\"{top:.1}\" x2=\"{zero:.1}\" y2=\"{bottom:.1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
    );
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.5);
        let m = r.stat.mean.unwrap_or(0.0);
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11.5\" text-anchor=\"end\" fill=\"#222\"{}>{}{}</text>",
            left - 6.0,
            y + 4.0,
            if r.mark { " font-weight=\"bold\"" } else { "" },
            if r.mark { "\u{2605} " } else { "" },
            esc(&r.label)
        );
        if let (Some(l), Some(hh)) = (r.stat.ci_low, r.stat.ci_high) {
            let _ = write!(
                o,
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#555\" stroke-width=\"1.5\"/><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#555\"/><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#555\"/>",
                sx.at(l),
                sx.at(hh),
                sx.at(l),
                y - 4.0,
                sx.at(l),
                y + 4.0,
                sx.at(hh),
                y - 4.0,
                sx.at(hh),
                y + 4.0
            );
        }
        let _ = write!(
            o,
            "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4.5\" fill=\"{}\" stroke=\"#0b3d66\"><title>{}: mean {m:.3}, 95% CI [{}, {}], n = {}{}</title></circle>",
            sx.at(m),
            if r.mark { "#0b3d66" } else { "#ffffff" },
            esc(&r.label),
            r.stat.ci_low.map_or("-".into(), |v| format!("{v:.3}")),
            r.stat.ci_high.map_or("-".into(), |v| format!("{v:.3}")),
            r.stat.n,
            esc(&r.note)
        );
    }
    o.push_str("</svg>");
    o
}

/// One row of a box chart: label, five-number summary, mean, colour.
pub struct BoxRow {
    /// Row label.
    pub label: String,
    /// Smallest, first quartile, median, third quartile, largest.
    pub five: [f64; 5],
    /// Mean (drawn as a diamond), if known.
    pub mean: Option<f64>,
    /// Number of values.
    pub n: u64,
}

/// Horizontal box plots (whiskers to min and max), one row per entry.
pub fn box_chart(title: &str, xlabel: &str, rows: &[BoxRow]) -> String {
    let (row_h, right, top) = (20.0, 14.0, 30.0);
    let left = label_margin(rows.iter().map(|r| r.label.chars().count()));
    let h = top + row_h * rows.len().max(1) as f64 + 40.0;
    let (lo, hi) = range_of(rows.iter().flat_map(|r| [r.five[0], r.five[4]]), false);
    let sx = Scale::new(lo, hi, left, W - right);
    let mut o = svg_open(W, h, title);
    let bottom = top + row_h * rows.len().max(1) as f64;
    x_axis(&mut o, sx, bottom, top, xlabel);
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.5);
        let [mn, q1, md, q3, mx] = r.five.map(|v| sx.at(v));
        let c = color(i);
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11.5\" text-anchor=\"end\" fill=\"#222\">{}</text><g><title>{}: min {:.2}, quartiles {:.2} / {:.2} / {:.2}, max {:.2}, n = {}</title><line x1=\"{mn:.1}\" y1=\"{y:.1}\" x2=\"{mx:.1}\" y2=\"{y:.1}\" stroke=\"#666\"/><line x1=\"{mn:.1}\" y1=\"{:.1}\" x2=\"{mn:.1}\" y2=\"{:.1}\" stroke=\"#666\"/><line x1=\"{mx:.1}\" y1=\"{:.1}\" x2=\"{mx:.1}\" y2=\"{:.1}\" stroke=\"#666\"/><rect x=\"{q1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{c}\" fill-opacity=\"0.55\" stroke=\"#333\"/><line x1=\"{md:.1}\" y1=\"{:.1}\" x2=\"{md:.1}\" y2=\"{:.1}\" stroke=\"#000\" stroke-width=\"2\"/></g>",
            left - 6.0,
            y + 4.0,
            esc(&r.label),
            esc(&r.label),
            r.five[0],
            r.five[1],
            r.five[2],
            r.five[3],
            r.five[4],
            r.n,
            y - 4.0,
            y + 4.0,
            y - 4.0,
            y + 4.0,
            y - 6.0,
            (q3 - q1).max(1.0),
            y - 6.0,
            y + 6.0,
        );
        if let Some(m) = r.mean {
            let x = sx.at(m);
            let _ = write!(
                o,
                "<path d=\"M{x:.1} {:.1} l3.5 3.5 l-3.5 3.5 l-3.5 -3.5 z\" fill=\"#fff\" stroke=\"#000\"/>",
                y - 3.5
            );
        }
    }
    o.push_str("</svg>");
    o
}

/// Stacked areas over integer x (shares summing to one): `series` in stacking order,
/// each with its colour and one value per x.
pub fn stacked_area(
    title: &str,
    xlabel: &str,
    xs: &[f64],
    series: &[(String, &'static str, Vec<f64>)],
) -> String {
    let (h, left, right, top, bottom) = (250.0, 44.0, 10.0, 28.0, 42.0);
    let x0 = xs.first().copied().unwrap_or(0.0);
    let x1 = xs.last().copied().unwrap_or(1.0);
    let sx = Scale::new(x0, x1, left, W - right);
    let sy = Scale::new(0.0, 1.0, h - bottom, top);
    let mut o = svg_open(W, h, title);
    let mut base = vec![0.0; xs.len()];
    for (name, c, v) in series {
        let upper: Vec<f64> = base
            .iter()
            .zip(v.iter().chain(std::iter::repeat(&0.0)))
            .map(|(b, x)| b + x)
            .collect();
        let mut d = String::new();
        for (i, x) in xs.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1} {:.1} ",
                if i == 0 { "M" } else { "L" },
                sx.at(*x),
                sy.at(upper[i].min(1.0))
            );
        }
        for (i, x) in xs.iter().enumerate().rev() {
            let _ = write!(d, "L{:.1} {:.1} ", sx.at(*x), sy.at(base[i].min(1.0)));
        }
        let last = v.last().copied().unwrap_or(0.0);
        let _ = write!(
            o,
            "<path d=\"{}Z\" fill=\"{c}\" fill-opacity=\"0.85\" stroke=\"#fff\" stroke-width=\"0.5\"><title>{}: share {:.3} at the end</title></path>",
            d,
            esc(name),
            last
        );
        base = upper;
    }
    x_axis(&mut o, sx, h - bottom, top, xlabel);
    y_axis(&mut o, sy, left, W - right, "share of States");
    o.push_str("</svg>");
    o
}

/// Line chart of several series (name, colour, points), with an optional fixed y range.
pub fn line_chart(
    title: &str,
    xlabel: &str,
    ylabel: &str,
    series: &[Line],
    y_range: Option<(f64, f64)>,
) -> String {
    let (h, left, right, top, bottom) = (250.0, 48.0, 10.0, 28.0, 42.0);
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.2.iter().copied()).collect();
    let (x0, x1) = if all.is_empty() {
        (0.0, 1.0)
    } else {
        all.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.0), b.max(p.0))
            })
    };
    let (y0, y1) = y_range.unwrap_or_else(|| range_of(all.iter().map(|p| p.1), false));
    let sx = Scale::new(x0, x1, left, W - right);
    let sy = Scale::new(y0, y1, h - bottom, top);
    let mut o = svg_open(W, h, title);
    x_axis(&mut o, sx, h - bottom, top, xlabel);
    y_axis(&mut o, sy, left, W - right, ylabel);
    for (name, c, pts) in series {
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
    }
    o.push_str("</svg>");
    o
}

/// Scatter with interval bars on both axes: (label, x stat, y stat).
pub fn scatter(title: &str, xlabel: &str, ylabel: &str, points: &[(String, Stat, Stat)]) -> String {
    let (h, left, right, top, bottom) = (300.0, 48.0, 12.0, 28.0, 42.0);
    let (x0, x1) = range_of(
        points
            .iter()
            .flat_map(|p| [p.1.ci_low.or(p.1.mean), p.1.ci_high.or(p.1.mean)])
            .flatten(),
        false,
    );
    let (y0, y1) = range_of(
        points
            .iter()
            .flat_map(|p| [p.2.ci_low.or(p.2.mean), p.2.ci_high.or(p.2.mean)])
            .flatten(),
        false,
    );
    let sx = Scale::new(x0, x1, left, W - right);
    let sy = Scale::new(y0, y1, h - bottom, top);
    let mut o = svg_open(W, h, title);
    x_axis(&mut o, sx, h - bottom, top, xlabel);
    y_axis(&mut o, sy, left, W - right, ylabel);
    for (i, (name, cx, cy)) in points.iter().enumerate() {
        let (Some(mx), Some(my)) = (cx.mean, cy.mean) else {
            continue;
        };
        let c = color(i);
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
        let (lx, anchor) = if px > left + (W - left - right) * 0.6 {
            (px - 7.0, "end")
        } else {
            (px + 7.0, "start")
        };
        let _ = write!(
            o,
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"5\" fill=\"{c}\"><title>{}: {mx:.3}, {my:.3}</title></circle><text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"11.5\" text-anchor=\"{anchor}\" fill=\"#222\">{}</text>",
            esc(name),
            py - 7.0,
            esc(name)
        );
    }
    o.push_str("</svg>");
    o
}

/// Stacked bars per category: `stacks` are (name, colour, value per category).
pub fn stacked_bars(
    title: &str,
    ylabel: &str,
    categories: &[String],
    stacks: &[(String, &'static str, Vec<f64>)],
) -> String {
    let (h, left, right, top, bottom) = (200.0, 40.0, 8.0, 28.0, 30.0);
    let n = categories.len().max(1);
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            stacks
                .iter()
                .map(|s| s.2.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let hi = totals.iter().copied().fold(0.0, f64::max).max(1.0);
    let sy = Scale::new(0.0, hi, h - bottom, top);
    let mut o = svg_open(W, h, title);
    let sx = Scale::new(0.0, n as f64, left, W - right);
    y_axis(&mut o, sy, left, W - right, ylabel);
    let bw = ((W - left - right) / n as f64 * 0.8).max(1.0);
    for (i, cat) in categories.iter().enumerate() {
        let mut base = 0.0;
        let x = sx.at(i as f64) + bw * 0.125;
        for (name, c, v) in stacks {
            let val = v.get(i).copied().unwrap_or(0.0);
            if val <= 0.0 {
                continue;
            }
            let (y_top, y_bot) = (sy.at(base + val), sy.at(base));
            let _ = write!(
                o,
                "<rect x=\"{x:.1}\" y=\"{y_top:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{c}\"><title>{}: {}: {val}</title></rect>",
                (y_bot - y_top).max(0.5),
                esc(cat),
                esc(name)
            );
            base += val;
        }
    }
    let _ = write!(
        o,
        "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">items in agenda order (hover for names)</text>",
        h - bottom,
        W - right,
        h - bottom,
        (left + W - right) / 2.0,
        h - bottom + 16.0
    );
    o.push_str("</svg>");
    o
}

/// An HTML legend: colour swatches and names.
pub fn legend(items: &[(String, &'static str)]) -> String {
    let mut o = String::from("<ul class=\"legend\">");
    for (name, c) in items {
        let _ = write!(
            o,
            "<li><span class=\"sw\" style=\"background:{c}\"></span>{}</li>",
            esc(name)
        );
    }
    o.push_str("</ul>");
    o
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

    /// No text in any chart is smaller than 11 units (the panels are drawn at about
    /// 1:1, so this is the smallest text on screen).
    fn min_font(svg: &str) -> f64 {
        svg.match_indices("font-size=\"")
            .map(|(i, m)| {
                let rest = &svg[i + m.len()..];
                rest[..rest.find('"').unwrap()].parse::<f64>().unwrap()
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn charts_are_well_formed_svg_with_readable_text() {
        let rows = vec![
            Dot {
                label: "a<b".into(),
                stat: stat(1.0, 0.5),
                mark: true,
                note: String::new(),
            },
            Dot {
                label: "c".into(),
                stat: stat(-2.0, 1.0),
                mark: false,
                note: String::new(),
            },
        ];
        let svg = dot_chart("t", "x", &rows);
        let c = balanced(&svg).unwrap();
        assert_eq!(c["svg"], 1);
        assert_eq!(c["circle"], 2);
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"));
        let sc = scatter(
            "s",
            "x",
            "y",
            &[
                ("d1".into(), stat(0.5, 0.1), stat(0.7, 0.05)),
                ("d2".into(), stat(0.9, 0.02), stat(0.3, 0.1)),
            ],
        );
        assert_eq!(balanced(&sc).unwrap()["circle"], 2);
        let lc = line_chart(
            "t",
            "x",
            "y",
            &[("s".into(), color(0), vec![(0.0, 0.1), (1.0, 0.5)])],
            Some((0.0, 1.0)),
        );
        assert_eq!(balanced(&lc).unwrap()["polyline"], 1);
        let sa = stacked_area(
            "e",
            "generation",
            &[0.0, 1.0, 2.0],
            &[
                ("a".into(), color(0), vec![0.5, 0.6, 0.7]),
                ("b".into(), color(1), vec![0.5, 0.4, 0.3]),
            ],
        );
        assert_eq!(balanced(&sa).unwrap()["path"], 2);
        let bx = box_chart(
            "b",
            "x",
            &[BoxRow {
                label: "a".into(),
                five: [0.0, 1.0, 2.0, 3.0, 4.0],
                mean: Some(2.2),
                n: 9,
            }],
        );
        assert_eq!(balanced(&bx).unwrap()["rect"], 2);
        let sb = stacked_bars(
            "v",
            "votes",
            &["i1".into(), "i2".into()],
            &[("yes".into(), color(2), vec![3.0, 1.0])],
        );
        assert!(balanced(&sb).is_ok());
        for svg in [&svg, &sc, &lc, &sa, &bx, &sb] {
            assert!(min_font(svg) >= 11.0, "text below 11: {svg}");
            assert!(svg.contains("viewBox=\"0 0 400 "), "panel width");
        }
        // Degenerate inputs still give valid markup.
        assert!(balanced(&dot_chart("t", "x", &[])).is_ok());
        assert!(balanced(&line_chart("t", "x", "y", &[], None)).is_ok());
        assert!(balanced(&stacked_area("t", "x", &[], &[])).is_ok());
    }
}
