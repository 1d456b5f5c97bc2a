//! `plenary bench remote` with the real binary: it spawns delegation and echo processes,
//! measures, and prints the table. Only the shape of the output is checked: no timing
//! assertions.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");

/// Every figure `plenary bench remote --json` must write (names from issue 12).
const FIELDS: [&str; 9] = [
    "streaming_echo_exchanges_per_s",
    "delegation_exchanges_per_s",
    "streaming_ratio",
    "batched_decisions_per_s",
    "remote_match_ms",
    "in_process_match_ms",
    "questions_per_match",
    "streaming_echo_round_ms",
    "remote_match_vs_floor",
];

#[test]
fn bench_remote_prints_every_figure_and_writes_them_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "bench",
            "remote",
            "--scenario",
            "csce-1975",
            "--rounds",
            "20",
            "--batched-matches",
            "2",
            "--json",
            "bench.json",
        ])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("bench.json")).unwrap()).unwrap();
    for f in FIELDS {
        assert!(stdout.contains(f), "the table shows `{f}`:\n{stdout}");
        let v = json[f]
            .as_f64()
            .unwrap_or_else(|| panic!("`{f}` in {json}"));
        assert!(v.is_finite() && v > 0.0, "{f} = {v}");
    }
    assert_eq!(json["processes"], 35);
    assert_eq!(json["identical_to_in_process"], true, "{json}");
    assert!(json["schema_version"].is_u64() && json["tool_version"].is_string());
}

#[test]
fn bench_without_mode_still_runs_in_process_and_rejects_mixed_flags() {
    let out = Command::new(BIN)
        .args(["bench", "--sizes", "10", "--millis", "1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("decisions/s"));
    let mixed = Command::new(BIN)
        .args(["bench", "--millis", "1", "remote"])
        .output()
        .unwrap();
    assert_eq!(mixed.status.code(), Some(2));
}
