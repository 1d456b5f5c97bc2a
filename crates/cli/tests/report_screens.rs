//! The tournament report and the match page in a real browser (headless Chromium) at
//! 420 px and 1400 px: no sideways overflow of the page, no text rendered below 10.5 px,
//! the head-to-head matrix not clipped at 1400 px, and the strategy x design view on
//! the first screen. Screenshots are kept in target/tmp/report-shots/ to look at.
//!
//! Heavy (a browser, a tournament of the 11 built-in strategies): it runs with `cargo
//! test -- --include-ignored` (the README's test command and CI). It provisions
//! Chromium itself when it can (`apt-get install -y chromium` as root) and otherwise
//! fails saying what to install; it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIG: &str = r#"
seed = 17
replications = 2
strategies = ["hardliner", "boulware", "conceder", "tit-for-tat", "linker", "dissociator", "bloc-follower", "mediator", "norm-entrepreneur", "sovereigntist", "learner"]
designs = ["csce-1975", "osce-2021"]
scenarios = ["csce-1975"]

[rotation]

[bloc-vs-bloc]
replications = 1
neutrals = "mediator"

[evolutionary]
generations = 3
matches = 1
selection = 0.5

[invasion]
replications = 2
invaders = ["hardliner", "linker"]
residents = ["dissociator", "conceder"]
"#;

/// Measures the page in the browser and appends the figures as JSON in `<pre id=probe>`
/// (only in the copy the test loads; the report itself has no script).
const PROBE: &str = r#"<script>
(function(){
  var W = window.innerWidth, minFont = 1e9, minWhere = '';
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    var n = walker.currentNode;
    if (!n.textContent.trim()) continue;
    var el = n.parentElement;
    if (!el || el.closest('title') || el.closest('script')) continue;
    if (!el.getClientRects().length) continue;
    var px = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement) {
      var svg = el.ownerSVGElement, vb = svg.viewBox.baseVal;
      if (vb && vb.width) px = px * svg.getBoundingClientRect().width / vb.width;
    }
    if (px < minFont) { minFont = px; minWhere = n.textContent.trim().slice(0, 40); }
  }
  var h2h = document.querySelector('table.h2h'), h2hOver = null;
  if (h2h) h2hOver = h2h.getBoundingClientRect().width - h2h.parentElement.getBoundingClientRect().width;
  var heat = document.querySelector('table.heat');
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({
    width: W,
    minFont: minFont,
    minWhere: minWhere,
    overflow: document.documentElement.scrollWidth - W,
    h2hOver: h2hOver,
    heatTop: heat ? heat.getBoundingClientRect().top : null
  });
  document.body.appendChild(pre);
  if (window.parent !== window) window.parent.postMessage(pre.textContent, '*');
})();
</script>"#;

fn plenary(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args(args)
        .current_dir(dir)
        .env("CI", "1")
        .env_remove("PLENARY_SEED")
        .env_remove("PLENARY_TOURNAMENT_CONFIG")
        .output()
        .expect("run plenary");
    assert!(
        out.status.success(),
        "plenary {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn find_chromium() -> Option<PathBuf> {
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .find_map(|name| {
        let out = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .ok()?;
        let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !p.is_empty()).then(|| PathBuf::from(p))
    })
}

/// Chromium, installed with apt-get when missing and this test runs as root.
fn chromium() -> PathBuf {
    if let Some(p) = find_chromium() {
        return p;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let hint = "install Chromium (Debian: `apt-get install -y chromium`)";
    assert!(root, "no Chromium found and not root to install it: {hint}");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !apt(&["install", "-y", "-qq", "chromium"]) {
        assert!(apt(&["update", "-qq"]), "apt-get update failed: {hint}");
        assert!(
            apt(&["install", "-y", "-qq", "chromium"]),
            "apt-get install chromium failed: {hint}"
        );
    }
    find_chromium()
        .unwrap_or_else(|| panic!("Chromium still not found after installing it: {hint}"))
}

fn browser(chrome: &Path, width: u32, args: &[&str], page: &Path) -> String {
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--virtual-time-budget=5000",
            &format!("--window-size={width},1000"),
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Headless Chromium keeps its window at least this wide.
const MIN_WINDOW: u32 = 500;

/// `page` shown `width` CSS px wide: the page itself, or (below Chromium's smallest
/// window) a frame of that width, whose media queries and layout see `width`.
fn at_width(page: &Path, width: u32, tag: &str) -> PathBuf {
    if width >= MIN_WINDOW {
        return page.to_path_buf();
    }
    let frame = page.with_extension(format!("{tag}-{width}.html"));
    let name = page.file_name().unwrap().to_string_lossy();
    std::fs::write(
        &frame,
        format!(
            "<!DOCTYPE html><html><body style=\"margin:0\"><iframe src=\"{name}\" style=\"width:{width}px;height:1000px;border:0;display:block\"></iframe><pre id=\"probe\"></pre><script>addEventListener('message', function (e) {{ document.getElementById('probe').textContent = e.data; }});</script></body></html>"
        ),
    )
    .unwrap();
    frame
}

/// The probe's figures for `page` at `width`, and a screenshot saved as `shot`.
fn measure(chrome: &Path, page: &Path, width: u32, shot: &Path) -> serde_json::Value {
    let html = std::fs::read_to_string(page).unwrap();
    let probed = page.with_extension("probe.html");
    std::fs::write(&probed, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let window = width.max(MIN_WINDOW);
    let dom = browser(
        chrome,
        window,
        &["--dump-dom"],
        &at_width(&probed, width, "probe"),
    );
    let json = dom
        .split("<pre id=\"probe\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "no probe output at {width} px:\n{}",
                &dom[..dom.len().min(500)]
            )
        });
    browser(
        chrome,
        window,
        &[&format!("--screenshot={}", shot.display())],
        &at_width(page, width, "shot"),
    );
    assert!(shot.exists(), "no screenshot {}", shot.display());
    let json = json
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("probe output `{json}`: {e}"))
}

#[test]
#[ignore = "heavy: runs headless Chromium (installing it with apt-get when missing); run with --include-ignored"]
fn report_and_match_page_read_well_at_420_and_1400_px() {
    let chrome = chromium();
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("t.toml"), CONFIG).unwrap();
    plenary(d, &["tournament", "--config", "t.toml", "--out", "out"]);
    plenary(d, &["replay", "out", "0", "--out", "replay", "--brief"]);
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-shots");
    std::fs::create_dir_all(&shots).unwrap();
    for (name, page) in [
        ("report", d.join("out/report.html")),
        ("match", d.join("replay/match.html")),
    ] {
        for width in [420u32, 1400] {
            let shot = shots.join(format!("{name}-{width}.png"));
            let m = measure(&chrome, &page, width, &shot);
            println!("{name} at {width} px: {m} ({})", shot.display());
            let f = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);
            assert_eq!(
                f("width"),
                f64::from(width),
                "laid out at another width: {m}"
            );
            assert!(
                f("overflow") <= 0.5,
                "{name} at {width} px is wider than the window: {m}"
            );
            assert!(
                f("minFont") >= 10.5,
                "{name} at {width} px has text below 10.5 px: {m}"
            );
            if name == "report" {
                // The answer is on the first screen.
                assert!(f("heatTop") < 1000.0, "heatmap below the first screen: {m}");
                if width == 1400 {
                    assert!(
                        f("h2hOver") <= 0.5,
                        "the head-to-head matrix is clipped at 1400 px: {m}"
                    );
                }
            }
        }
    }
}
