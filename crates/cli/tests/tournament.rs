//! `plenary tournament`, `merge`, `report` and `experiment designs` as a user runs them:
//! the real binary in a temp directory.

use std::path::Path;
use std::process::{Command, Output};

const CONFIG: &str = r#"
seed = 11
replications = 1
strategies = ["hardliner", "conceder", "mediator"]
designs = ["csce-1975"]
scenarios = ["csce-1975"]

[rotation]

[bloc-vs-bloc]
neutrals = "mediator"

[evolutionary]
generations = 2
matches = 1
selection = 0.5
"#;

const SUMMARIES: [&str; 6] = [
    "summary.json",
    "rankings.csv",
    "designs.csv",
    "head_to_head.csv",
    "evolution.csv",
    "tension.csv",
];

fn plenary(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args(args)
        .current_dir(dir)
        .env("CI", "1")
        .env_remove("PLENARY_SEED")
        .env_remove("PLENARY_TOURNAMENT_CONFIG")
        .output()
        .expect("run plenary")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = plenary(dir, args);
    assert!(
        out.status.success(),
        "plenary {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn files(dir: &Path) -> Vec<String> {
    SUMMARIES
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")))
        .collect()
}

#[test]
fn tournament_shards_merge_resume_and_report() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("t.toml"), CONFIG).unwrap();
    let stdout = ok(d, &["tournament", "--config", "t.toml", "--out", "full"]);
    assert!(stdout.contains("rotation: strategies ranked"), "{stdout}");
    assert!(stdout.contains("95% CI"), "{stdout}");
    assert!(d.join("full/report.html").exists());
    let full = files(&d.join("full"));
    let records = std::fs::read_to_string(d.join("full/matches.jsonl")).unwrap();
    // 3 strategies x 3 classes + 9 pairs + 2 generations x 1 match.
    assert_eq!(records.lines().count(), 9 + 9 + 2);

    ok(
        d,
        &[
            "tournament",
            "--config",
            "t.toml",
            "--out",
            "s0",
            "--shard",
            "0/2",
            "--threads",
            "1",
        ],
    );
    ok(
        d,
        &[
            "tournament",
            "--config",
            "t.toml",
            "--out",
            "s1",
            "--shard",
            "1/2",
        ],
    );
    ok(d, &["merge", "s0", "s1", "--out", "merged"]);
    assert_eq!(
        files(&d.join("merged")),
        full,
        "merged shards differ from the unsharded run"
    );

    // A kill in the middle of a record, then --resume.
    std::fs::create_dir(d.join("part")).unwrap();
    let lines: Vec<&str> = records.lines().collect();
    let mut cut = lines[..7].join("\n") + "\n";
    cut.push_str(&lines[7][..40]);
    std::fs::write(d.join("part/matches.jsonl"), cut).unwrap();
    std::fs::copy(d.join("full/config.toml"), d.join("part/config.toml")).unwrap();
    let out = plenary(d, &["tournament", "--config", "t.toml", "--out", "part"]);
    assert!(!out.status.success(), "an existing run needs --resume");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));
    ok(
        d,
        &[
            "tournament",
            "--config",
            "t.toml",
            "--out",
            "part",
            "--resume",
        ],
    );
    assert_eq!(files(&d.join("part")), full, "resumed run differs");
    // --force starts over and gives the same results again.
    ok(
        d,
        &[
            "tournament",
            "--config",
            "t.toml",
            "--out",
            "part",
            "--force",
        ],
    );
    assert_eq!(files(&d.join("part")), full, "forced rerun differs");

    std::fs::remove_file(d.join("full/report.html")).unwrap();
    let path = ok(d, &["report", "full"]);
    assert!(path.trim().ends_with("report.html"));
    let page = std::fs::read_to_string(d.join("full/report.html")).unwrap();
    assert!(page.contains("<svg") && !page.contains("<script"));
}

#[test]
fn config_errors_name_file_and_key() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(
        d.join("bad.toml"),
        CONFIG.replace("selection = 0.5", "selection = 0.5\nspeed = 3"),
    )
    .unwrap();
    let out = plenary(d, &["tournament", "--config", "bad.toml"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("evolutionary.speed"),
        "{err}"
    );
    std::fs::write(
        d.join("bad2.toml"),
        CONFIG.replace("\"conceder\"", "\"concede\""),
    )
    .unwrap();
    let out = plenary(d, &["tournament", "--config", "bad2.toml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad2.toml") && err.contains("strategies[1]") && err.contains("concede"),
        "{err}"
    );
    let out = plenary(d, &["tournament", "--shard", "2/2"]);
    assert_eq!(out.status.code(), Some(2), "a bad --shard is a usage error");
}

#[test]
fn bench_prints_matches_per_second() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("t.toml"), CONFIG).unwrap();
    let out = ok(
        d,
        &[
            "tournament",
            "--config",
            "t.toml",
            "--bench",
            "--bench-matches",
            "4",
            "--threads",
            "2",
        ],
    );
    assert!(
        out.contains("matches/s") && out.contains("speed-up"),
        "{out}"
    );
    assert!(!d.join("tournament-out").exists(), "--bench writes nothing");
}

#[test]
fn default_config_prints_and_reparses() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let text = ok(d, &["tournament", "--print-config"]);
    std::fs::write(d.join("default.toml"), &text).unwrap();
    assert_eq!(
        ok(
            d,
            &["tournament", "--config", "default.toml", "--print-config"]
        ),
        text
    );
}

#[test]
fn design_experiment_prints_the_comparison() {
    let t = tempfile::tempdir().unwrap();
    let stdout = ok(
        t.path(),
        &[
            "experiment",
            "designs",
            "--replications",
            "2",
            "--strategies",
            "hardliner,mediator",
            "--out",
            "exp",
        ],
    );
    for d in [
        "osce-2021",
        "csce-1975",
        "path1-upgraded",
        "path2-conference",
        "capacity to act",
        "legitimacy mean",
        "inclusiveness",
        "tension peak",
        "How to read",
    ] {
        assert!(stdout.contains(d), "missing {d}:\n{stdout}");
    }
    assert!(t.path().join("exp/report.html").exists());
}

#[test]
fn design_experiment_checks_its_claims_across_variants() {
    let t = tempfile::tempdir().unwrap();
    let stdout = ok(
        t.path(),
        &[
            "experiment",
            "designs",
            "--replications",
            "2",
            "--robustness-replications",
            "2",
            "--strategies",
            "dissociator,hardliner",
            "--out",
            "exp",
        ],
    );
    for d in [
        "welfare gain",
        "ad hoc arrangements",
        "decided: pol-mil",
        "decided: human",
        "Robustness",
        "baseline",
        "veto",
        "adhoc-0",
        "shame-off",
        "dyn-same",
        "mix-default",
        "Claims that hold in every variant",
    ] {
        assert!(stdout.contains(d), "missing {d}:\n{stdout}");
    }
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(t.path().join("exp/experiment.json")).unwrap(),
    )
    .unwrap();
    let variants = doc["robustness"]["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 11);
    assert!(variants.iter().all(|v| v["claims"]["C1"].is_boolean()));
    assert!(doc["designs"]["path2-conference"]["ad_hoc_arrangements"]["mean"].is_number());
}

#[test]
fn history_experiment_scores_the_2021_record() {
    let t = tempfile::tempdir().unwrap();
    let stdout = ok(
        t.path(),
        &["experiment", "history", "--seeds", "3", "--json", "h.json"],
    );
    for d in [
        "smm-ukraine",
        "chair-2024",
        "overall hit rate",
        "How to read",
    ] {
        assert!(stdout.contains(d), "missing {d}:\n{stdout}");
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.path().join("h.json")).unwrap()).unwrap();
    let rate = doc["hit_rate"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&rate));
    assert_eq!(doc["seeds"].as_array().unwrap().len(), 3);
    let items = doc["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["item"] == "unified-budget"));
    assert!(items.iter().all(|i| i["hit_rate"].is_number()));
    // The same seeds give the same scores.
    ok(
        t.path(),
        &["experiment", "history", "--seeds", "3", "--json", "h2.json"],
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("h.json")).unwrap(),
        std::fs::read_to_string(t.path().join("h2.json")).unwrap()
    );
    // A table that names an item the scenario lacks is refused with its key path.
    std::fs::write(
        t.path().join("bad.toml"),
        "[history]\nscenario = \"osce-2021\"\nsession = 0\nperiod = \"x\"\n[[outcomes]]\nitem = \"nope\"\nexpected = \"adopted\"\nsource = \"test\"\n",
    )
    .unwrap();
    let out = plenary(t.path(), &["experiment", "history", "--table", "bad.toml"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("outcomes[0].item") && err.contains("nope"),
        "{err}"
    );
}

/// The remote executor (chair driver + one `plenary delegate` process per strategy)
/// gives the same summaries as in-process. Slow in debug builds (every question is a
/// gRPC call): run with `cargo test --release -p plenary-cli --test tournament -- --ignored`.
#[test]
#[ignore]
fn remote_executor_matches_in_process() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let cfg = "seed = 3\nreplications = 1\nstrategies = [\"conceder\", \"hardliner\"]\ndesigns = [\"csce-1975\"]\nscenarios = [\"csce-1975\"]\n[rotation]\n";
    std::fs::write(d.join("r.toml"), cfg).unwrap();
    ok(d, &["tournament", "--config", "r.toml", "--out", "local"]);
    ok(
        d,
        &[
            "tournament",
            "--config",
            "r.toml",
            "--out",
            "remote",
            "--remote",
        ],
    );
    assert_eq!(files(&d.join("remote")), files(&d.join("local")));
}

#[test]
fn replay_schema_and_partial_shards_from_the_command_line() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("t.toml"), CONFIG).unwrap();
    ok(d, &["tournament", "--config", "t.toml", "--out", "full"]);
    // Replay by index and by id: same record, report, JSON and match page.
    let out = ok(d, &["replay", "full", "4", "--brief"]);
    assert!(out.contains("The replay equals its record"), "{out}");
    assert!(out.contains("== Match"), "the match report: {out}");
    let json = std::fs::read_to_string(d.join("full/replay/4/result.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert!(v["sessions"][0]["items"][0]["objections_by_bloc"].is_object());
    let id = v["match_id"].as_str().unwrap().to_string();
    let page = std::fs::read_to_string(d.join("full/replay/4/match.html")).unwrap();
    assert!(page.contains("Timeline") && page.contains(&id));
    let out = ok(d, &["replay", "full", &id, "--out", "again"]);
    assert!(out.contains("The replay equals its record"), "{out}");
    assert_eq!(
        std::fs::read_to_string(d.join("again/result.json")).unwrap(),
        json
    );
    let bad = plenary(d, &["replay", "full", "no-such-match"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no-such-match"));
    // A run result has the same shape: the outcome fields of the match record.
    ok(d, &["run", "--brief", "--json", "run.json"]);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("run.json")).unwrap()).unwrap();
    let line = std::fs::read_to_string(d.join("full/matches.jsonl")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    for k in [
        "schema_version",
        "tool_version",
        "match_id",
        "scenario",
        "design",
        "seed",
        "complete",
        "summary",
        "states",
        "tension",
    ] {
        assert!(run.get(k).is_some() && rec.get(k).is_some(), "{k}");
    }
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&run["states"][0]), keys(&rec["states"][0]));
    assert_eq!(keys(&run["tension"][0]), keys(&rec["tension"][0]));
    // Schemas print, identical to the files kept in the repository.
    let list = ok(d, &["schema"]);
    for name in ["run-result", "match-record", "summary", "tournament-config"] {
        assert!(list.contains(name), "{list}");
        let text = ok(d, &["schema", name]);
        let kept = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../../schemas/{name}.schema.json")),
        )
        .unwrap();
        assert_eq!(text, kept, "{name}");
    }
    assert_eq!(plenary(d, &["schema", "nope"]).status.code(), Some(2));
    // A shard's rankings say they are partial.
    let out = ok(
        d,
        &[
            "tournament",
            "--config",
            "t.toml",
            "--out",
            "s0",
            "--shard",
            "0/2",
        ],
    );
    assert!(out.contains("PARTIAL RESULTS"), "{out}");
    assert!(out.contains("this shard's matches only"), "{out}");
    // Seeds that JSON readers cannot keep are refused as usage errors.
    let big = plenary(d, &["run", "--seed", "9007199254740992"]);
    assert_eq!(big.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&big.stderr).contains("2^53"));
}

/// Ctrl-C finishes the matches in hand, says how to resume and exits 130; the resumed
/// run equals an uninterrupted one. (Waits on the progress lines, never on time.)
#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_the_run_resumes() {
    use std::io::{BufRead, BufReader};
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let cfg = CONFIG.replace("replications = 1", "replications = 12");
    std::fs::write(d.join("t.toml"), &cfg).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args(["tournament", "--config", "t.toml", "--out", "part"])
        .current_dir(d)
        .env("CI", "1")
        .env_remove("PLENARY_SEED")
        .env_remove("PLENARY_TOURNAMENT_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    // Progress lines come at every tenth of the run, also off a terminal.
    while err.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if line.contains(" matches (") && !line.contains("(0%)") {
            break;
        }
        line.clear();
    }
    assert!(seen.contains("matches ("), "no progress lines: {seen}");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    assert!(
        rest.contains("Resume with") && rest.contains("--out part --resume"),
        "{rest}"
    );
    ok(
        d,
        &[
            "tournament",
            "--config",
            "t.toml",
            "--out",
            "part",
            "--resume",
        ],
    );
    ok(d, &["tournament", "--config", "t.toml", "--out", "full"]);
    assert_eq!(files(&d.join("part")), files(&d.join("full")));
}
