//! The in-process commands as a user runs them: the real binary, its exit codes, its
//! output and its files.

use std::path::Path;
use std::process::{Command, Output};

fn plenary(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args(args)
        .current_dir(dir)
        .env_remove("PLENARY_SCENARIO")
        .env_remove("PLENARY_DESIGN")
        .env_remove("PLENARY_SEED")
        .env_remove("PLENARY_STRATEGIES")
        .output()
        .expect("the plenary binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn run_without_arguments_prints_a_report_of_osce_2021() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(&["run"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("57 States"), "{report}");
    assert!(report.contains("== Session 1 =="), "{report}");
    assert!(report.contains("capacity to act"), "{report}");
    assert!(
        report.contains("unified-budget") || report.contains("budget"),
        "{report}"
    );
}

#[test]
fn json_results_are_byte_identical_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    for (file, seed) in [("a.json", "5"), ("b.json", "5"), ("c.json", "6")] {
        let out = plenary(
            &["run", "--seed", seed, "--json", file, "--brief"],
            dir.path(),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
    assert_eq!(read("a.json"), read("b.json"));
    assert_ne!(read("a.json"), read("c.json"));
    let v: serde_json::Value = serde_json::from_slice(&read("a.json")).unwrap();
    assert_eq!(v["states"].as_array().unwrap().len(), 57);
    assert_eq!(v["seed"], 5);
}

#[test]
fn every_design_preset_runs_on_its_scenario() {
    let dir = tempfile::tempdir().unwrap();
    for (scenario, design) in [
        ("osce-2021", "osce-2021"),
        ("osce-2021", "path1-upgraded"),
        ("osce-2021", "path2-conference"),
        ("csce-1975", "csce-1975"),
    ] {
        let out = plenary(
            &["run", "--scenario", scenario, "--design", design, "--brief"],
            dir.path(),
        );
        assert!(
            out.status.success(),
            "{scenario}/{design}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn check_names_the_file_the_key_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(&["designs", "--show", "osce-2021"], dir.path());
    assert!(out.status.success());
    let good = text(&out.stdout);
    std::fs::write(dir.path().join("good.toml"), &good).unwrap();
    let out = plenary(&["check", "good.toml"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));

    let bad = good.replacen("max_rounds = 4", "max_rounds = \"many\"", 1);
    assert_ne!(bad, good, "the preset has max_rounds = 4");
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let out = plenary(&["check", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("procedure.max_rounds"),
        "{err}"
    );

    // The same bad file given to `run` fails before anything runs, naming it too.
    let out = plenary(&["run", "--design", "bad.toml"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("procedure.max_rounds"));
}

#[test]
fn bad_flags_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(
        &["run", "--strategies", "west=no-such-strategy"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no-such-strategy"),
        "{}",
        text(&out.stderr)
    );

    let out = plenary(&["run", "--strategies", "atlantis=hardliner"], dir.path());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("atlantis"),
        "{}",
        text(&out.stderr)
    );

    let out = plenary(&["run", "--scenario", "missing.toml"], dir.path());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("missing.toml"),
        "{}",
        text(&out.stderr)
    );

    let out = plenary(&["run", "--seed", "minus-one"], dir.path());
    assert_eq!(out.status.code(), Some(2), "usage errors exit with 2");
}

#[test]
fn an_unwritable_json_path_still_prints_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(
        &["run", "--brief", "--json", "no/such/dir/out.json"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("== Match"),
        "the report comes first"
    );
    assert!(text(&out.stderr).contains("no/such/dir/out.json"));
}

#[test]
fn a_user_scenario_copied_from_a_preset_checks_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(&["scenarios", "--show", "csce-1975"], dir.path());
    assert!(out.status.success());
    // Replay a published position: the USSR's ideal and salience on one item, given
    // explicitly instead of drawn.
    let mut text = text(&out.stdout);
    let first_item = text
        .split("[[agenda]]")
        .nth(1)
        .and_then(|a| a.lines().find(|l| l.trim_start().starts_with("id =")))
        .map(|l| l.split('"').nth(1).unwrap().to_string())
        .expect("an agenda item id");
    text.push_str(&format!(
        "\n[[preferences]]\nstate = \"SUN\"\nitem = \"{first_item}\"\nideal = 12.5\nsalience = 0.9\n"
    ));
    std::fs::write(dir.path().join("mine.toml"), &text).unwrap();
    let out = plenary(&["check", "mine.toml"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = plenary(&["run", "--scenario", "mine.toml", "--brief"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("35 States"));
}
