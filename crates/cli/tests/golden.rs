//! Golden outputs: `plenary run --json` for every design preset on osce-2021 and
//! csce-1975 at seed 2021, compared with the files checked in under `tests/golden/`.
//!
//! Determinism tests elsewhere compare one run with another, so a change that shifts
//! every result passes them; this one compares with a known output. A golden file holds
//! the results without the per-round `history` of each item (so a review diff stays
//! readable) plus a fingerprint of the complete JSON (so a change in the history fails
//! too). `tool_version` is left out: a release bump is not a model change.
//!
//! When a model change is intended, regenerate and review the diff:
//!
//! ```text
//! PLENARY_UPDATE_GOLDEN=1 cargo test -p plenary-cli --test golden
//! git diff tests/golden
//! ```
//!
//! The fingerprints are exact to the bit, and some numbers come from the platform's
//! maths library (`ln`, `cos`, `powf`): another libm may need its own regeneration.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");
const SEED: &str = "2021";
const SCENARIOS: &[&str] = &["osce-2021", "csce-1975"];

/// The (scenario, design) pairs that do not fit: Path 1's Executive Council names 2021
/// States (RUS), absent from the 1975 membership. Every other pair of a design preset
/// and these scenarios has a golden file.
const MISFITS: &[(&str, &str)] = &[("csce-1975", "path1-upgraded")];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden")
}

/// FNV-1a, 64 bits: enough to notice any change; nothing here is adversarial.
fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

/// The golden view of one run: the JSON without `tool_version` and without item
/// histories, with the fingerprint of the complete JSON (minus `tool_version`).
fn golden_view(full: &str) -> String {
    let mut v: Value = serde_json::from_str(full).expect("run JSON parses");
    let obj = v.as_object_mut().expect("run JSON is an object");
    assert!(
        obj.remove("tool_version").is_some(),
        "run JSON names its tool version"
    );
    let complete = serde_json::to_string(&v).unwrap();
    let mut view = v.clone();
    for s in view["sessions"].as_array_mut().expect("sessions") {
        for it in s["items"].as_array_mut().expect("items") {
            it.as_object_mut().expect("item").remove("history");
        }
    }
    view.as_object_mut().unwrap().insert(
        "golden_fingerprint_of_complete_json".into(),
        Value::String(fingerprint(complete.as_bytes())),
    );
    serde_json::to_string_pretty(&view).unwrap() + "\n"
}

/// `plenary run --json` of the pair, or `None` for a pair that does not fit.
fn run(scenario: &str, design: &str, dir: &Path) -> Option<String> {
    let out = dir.join(format!("{scenario}__{design}.json"));
    let o = Command::new(BIN)
        .args(["run", "--scenario", scenario, "--design", design])
        .args(["--seed", SEED, "--json"])
        .arg(&out)
        .output()
        .expect("plenary runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    if MISFITS.contains(&(scenario, design)) {
        assert!(
            !o.status.success() && stderr.contains("does not fit"),
            "{design} was expected not to fit {scenario}: {stderr}"
        );
        return None;
    }
    assert!(
        o.status.success(),
        "plenary run --scenario {scenario} --design {design}: {stderr}"
    );
    Some(std::fs::read_to_string(&out).unwrap())
}

#[test]
fn every_design_preset_matches_its_golden_output() {
    let update = std::env::var_os("PLENARY_UPDATE_GOLDEN").is_some();
    let tmp = tempfile::tempdir().unwrap();
    let mut stale = Vec::new();
    let pairs = SCENARIOS.iter().flat_map(|sc| {
        plenary_scenarios::DESIGNS
            .iter()
            .map(move |(d, _)| (*sc, *d))
    });
    for (sc, d) in pairs {
        let Some(full) = run(sc, d, tmp.path()) else {
            continue;
        };
        let got = golden_view(&full);
        let path = golden_dir().join(format!("{sc}__{d}.json"));
        if update {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(_) => stale.push(format!("{} differs", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "golden outputs changed:\n  {}\nIf the model change is intended, regenerate them with\n  PLENARY_UPDATE_GOLDEN=1 cargo test -p plenary-cli --test golden\nand review `git diff tests/golden`.",
        stale.join("\n  ")
    );
}

#[test]
fn the_fingerprint_covers_the_history() {
    let a = r#"{"tool_version":"x","sessions":[{"items":[{"id":"a","history":[1]}]}]}"#;
    let b = r#"{"tool_version":"y","sessions":[{"items":[{"id":"a","history":[2]}]}]}"#;
    let c = r#"{"tool_version":"z","sessions":[{"items":[{"id":"a","history":[1]}]}]}"#;
    assert_ne!(golden_view(a), golden_view(b), "history changes are caught");
    assert_eq!(golden_view(a), golden_view(c), "tool versions are not");
}
