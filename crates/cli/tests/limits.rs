//! Issue 9 through the real binary: `check` validates everything `run` would, bad
//! flags fail at once with a clear error, files that are not regular files are refused
//! before they are read. One test per class.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn plenary(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args(args)
        .current_dir(dir)
        .env_remove("PLENARY_SCENARIO")
        .env_remove("PLENARY_DESIGN")
        .env_remove("PLENARY_SEED")
        .env_remove("PLENARY_STRATEGIES")
        .env_remove("PLENARY_TOURNAMENT_CONFIG")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .expect("the plenary binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn osce() -> String {
    let dir = tempfile::tempdir().unwrap();
    text(&plenary(&["scenarios", "--show", "osce-2021"], dir.path()).stdout)
}

/// Removes the `[[states]]` entry of `id` (the preset lists each State as a block).
fn without_state(scenario: &str, id: &str) -> String {
    let blocks: Vec<&str> = scenario.split("[[states]]").collect();
    let mut out = blocks[0].to_string();
    for b in &blocks[1..] {
        if !b.contains(&format!("id = \"{id}\"")) {
            out.push_str("[[states]]");
            out.push_str(b);
        }
    }
    assert_ne!(out, scenario, "the preset lists {id}");
    out
}

/// `check` and `run` on the same scenario file must agree; returns check's stderr.
fn check_and_run_refuse(dir: &Path, file: &str) -> String {
    let check = plenary(&["check", file], dir);
    let run = plenary(&["run", "--scenario", file, "--brief"], dir);
    assert_eq!(
        check.status.code(),
        Some(1),
        "check passed: {}",
        text(&check.stdout)
    );
    assert!(!run.status.success(), "run passed");
    text(&check.stderr)
}

#[test]
fn check_validates_everything_run_would() {
    let dir = tempfile::tempdir().unwrap();
    // The scenario's own mix (`default_strategies`) names NOR: deleting NOR made `run`
    // fail while `check` passed.
    let no_nor = without_state(&osce(), "NOR");
    std::fs::write(dir.path().join("no-nor.toml"), &no_nor).unwrap();
    let e = check_and_run_refuse(dir.path(), "no-nor.toml");
    assert!(
        e.contains("the default_strategies on scenario `osce-2021`")
            && e.contains("`NOR` is neither a bloc nor a State of scenario `osce-2021`"),
        "{e}"
    );
    // With an assignment that fits, both accept it.
    let out = plenary(
        &[
            "check",
            "no-nor.toml",
            "--strategies",
            "default=dissociator",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("runs under design `osce-2021`"));

    // The default design is checked too, and its fit: a body seat for a missing State.
    let renamed = osce().replace("id = \"DEU\"", "id = \"XDE\"").replace(
        "default_design = \"osce-2021\"",
        "default_design = \"path1-upgraded\"",
    );
    std::fs::write(dir.path().join("renamed.toml"), &renamed).unwrap();
    let e = check_and_run_refuse(dir.path(), "renamed.toml");
    assert!(e.contains("`DEU`"), "{e}");

    let other = osce().replace(
        "default_design = \"osce-2021\"",
        "default_design = \"osce-2022\"",
    );
    std::fs::write(dir.path().join("other.toml"), &other).unwrap();
    let e = check_and_run_refuse(dir.path(), "other.toml");
    assert!(
        e.contains("`scenario.default_design`: `osce-2022` is not a design preset"),
        "{e}"
    );
}

#[test]
fn check_refuses_devices_and_fifos_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // `plenary check /dev/zero` grew at 650 MB/s.
    let out = plenary(&["check", "/dev/zero"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "/dev/zero: cannot read: is a character device, not a regular file"
    );
    let out = plenary(&["run", "--scenario", "/dev/stdin"], dir.path());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not a regular file"),
        "{}",
        text(&out.stderr)
    );
    let out = plenary(
        &["tournament", "--config", ".", "--print-config"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("is a directory, not a regular file"));
}

#[test]
fn strategy_assignments_are_refused_when_empty_or_conflicting() {
    let dir = tempfile::tempdir().unwrap();
    // `--strategies ''` silently meant dissociators everywhere.
    let out = plenary(&["run", "--strategies", ""], dir.path());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--strategies: no rule given"),
        "{}",
        text(&out.stderr)
    );
    // `west=hardliner,west=linker` silently took the last.
    let out = plenary(
        &["run", "--strategies", "west=hardliner,west=linker"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("`west` is assigned twice: `west=hardliner` and `west=linker`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn tournament_flags_that_promise_nonsense_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(
        &["tournament", "--bench", "--bench-matches", "0"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("must be at least 1"),
        "{}",
        text(&out.stderr)
    );
    // The plan limit applies to --replications as well, before anything is planned.
    let out = plenary(
        &["tournament", "--replications", "4000000000", "--out", "x"],
        dir.path(),
    );
    assert!(!out.status.success());
    let e = text(&out.stderr);
    assert!(
        e.contains("with --replications 4000000000")
            && e.contains("more than the limit of 1000000"),
        "{e}"
    );
    assert!(!dir.path().join("x").exists(), "nothing is written");
}

#[test]
fn external_endpoint_urls_fail_at_parse_time() {
    let dir = tempfile::tempdir().unwrap();
    // `lab --external USA=notaurl` waited 60 s before failing.
    for (arg, why) in [
        ("USA=notaurl", "the scheme must be http:// or https://"),
        (
            "USA=http://127.0.0.1:99999",
            "the port must be a number in 1..=65535",
        ),
        ("USA=http://u:p@127.0.0.1:5", "user info"),
    ] {
        let out = plenary(&["lab", "--external", arg], dir.path());
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert!(
            text(&out.stderr).contains(why),
            "{arg}: {}",
            text(&out.stderr)
        );
    }
}
