//! Issue 9 (tournament configs and output files): each hole gets a clear error naming
//! the file, the key path or line, and the problem. One test per class.

mod common;

use common::*;
use plenary_tournament::config::{Config, MAX_PLANNED_MATCHES, MAX_PLANNED_SEATS};
use plenary_tournament::output::{self, OutputError};
use plenary_tournament::plan::{self, Catalog};
use plenary_tournament::run::{self, RunError, RunOptions};
use std::path::Path;
use std::sync::Arc;

fn errors(text: &str) -> Vec<(String, String)> {
    match Config::parse("t.toml", text, NAMES) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.0.into_iter().map(|e| (e.key, e.message)).collect(),
    }
}

const BASE: &str = "seed = 1\nreplications = 2\nstrategies = [\"sincere\", \"hard\"]\ndesigns = [\"osce-2021\"]\nscenarios = [\"osce-2021\"]\n";

#[test]
fn a_plan_over_the_size_limit_is_refused_before_planning() {
    // `replications = 4000000000` printed nothing and grew to 562 MB.
    let text = BASE.replace("replications = 2", "replications = 4000000000") + "[rotation]\n";
    assert_eq!(
        errors(&text),
        [(
            "rotation".to_string(),
            "this configuration plans 24000000000 matches (rotation 24000000000), more than the limit of 1000000 per tournament: lower replications, generations or matches, or split the study into several tournaments".to_string()
        )]
    );
    // `generations = 4000000000` planned 8e9 matches.
    let text = BASE.to_string()
        + "[population]\n[evolutionary]\ngenerations = 4000000000\nmatches = 2\nselection = 0.5\n";
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "evolutionary");
    assert!(
        e[0].1.starts_with(
            "this configuration plans 8000000002 matches (evolutionary 8000000000, population 2)"
        ),
        "{e:?}"
    );
    // At the limit is fine.
    let text = BASE.replace(
        "replications = 2",
        &format!("replications = {MAX_PLANNED_MATCHES}"),
    ) + "[population]\n";
    Config::parse("t.toml", &text, NAMES).unwrap();

    // The seat limit (matches x States) is checked when the scenarios are known, still
    // before anything is planned: a million matches of 57 States is too many seats.
    let cfg = Config::parse("t.toml", &text, NAMES).unwrap();
    let e = Catalog::load("t.toml", &cfg).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "t.toml: this configuration plans 57000000 seats (matches x States of their scenario), more than the limit of {MAX_PLANNED_SEATS} per tournament: lower replications, generations or matches, or split the study into several tournaments"
        )
    );
}

#[test]
fn repeated_list_entries_are_refused() {
    // `designs = ["osce-2021","osce-2021"]` ran and counted every match twice.
    let text = BASE.replace(
        "designs = [\"osce-2021\"]",
        "designs = [\"osce-2021\", \"osce-2021\"]",
    ) + "[rotation]\n";
    assert_eq!(
        errors(&text),
        [(
            "designs[1]".to_string(),
            "`osce-2021` is already listed as designs[0]".to_string()
        )]
    );
    let text = BASE.replace("\"hard\"]", "\"hard\", \"sincere\"]")
        + "[invasion]\ninvaders = [\"hard\", \"hard\"]\n";
    let keys: Vec<String> = errors(&text).into_iter().map(|e| e.0).collect();
    assert_eq!(keys, ["strategies[2]", "invasion.invaders[1]"]);
    let text = BASE.replace(
        "scenarios = [\"osce-2021\"]",
        "scenarios = [\"osce-2021\", \"csce-1975\", \"osce-2021\"]",
    ) + "[rotation]\n";
    assert_eq!(errors(&text)[0].0, "scenarios[2]");
}

#[test]
fn unknown_neutral_blocs_are_refused() {
    let text = BASE.to_string() + "neutral_blocs = [\"non-alligned\"]\n[rotation]\n";
    let cfg = Config::parse("t.toml", &text, NAMES).unwrap();
    let e = Catalog::load("t.toml", &cfg).unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    assert_eq!(e.0[0].key, "neutral_blocs[0]");
    assert_eq!(
        e.0[0].message,
        "`non-alligned` is a bloc of none of the scenarios (blocs: aspirants, csto, non-aligned, west)"
    );
    let text = BASE.to_string() + "neutral_blocs = [\"non-aligned\"]\n[rotation]\n";
    let cfg = Config::parse("t.toml", &text, NAMES).unwrap();
    Catalog::load("t.toml", &cfg).unwrap();
}

#[test]
fn endpoint_urls_are_validated_at_parse_time() {
    for (url, problem) in [
        ("notaurl", "the scheme must be http:// or https://"),
        (
            "http://127.0.0.1:99999",
            "the port must be a number in 1..=65535",
        ),
        ("http://user:pw@127.0.0.1:5", "user info"),
    ] {
        let text = BASE.replace("\"hard\"]", "\"hard\", \"mine\"]")
            + &format!("[rotation]\n[endpoints]\nmine = \"{url}\"\n");
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, "endpoints.mine");
        assert!(
            e[0].1
                .starts_with(&format!("`{url}` is not an endpoint URL: "))
                && e[0].1.contains(problem),
            "{e:?}"
        );
    }
}

#[test]
fn names_in_a_config_are_ids() {
    let long = "s".repeat(1000);
    let text = BASE.replace("\"hard\"]", &format!("\"{long}\"]")) + "[rotation]\n";
    let e = errors(&text);
    assert_eq!(e[0].0, "strategies[1]");
    assert_eq!(e[0].1, "is 1000 bytes long, more than the limit of 64");
    let text =
        BASE.replace("[\"osce-2021\"]\nscenarios", "[\"osce\\u0000\"]\nscenarios") + "[rotation]\n";
    let e = errors(&text);
    assert_eq!(e[0].0, "designs[0]", "{e:?}");
    assert!(e[0].1.contains("a control character"), "{e:?}");
}

/// Runs the small test tournament into a fresh directory and returns it.
fn finished_run() -> (tempfile::TempDir, Config) {
    let cfg = config();
    let dir = tempfile::tempdir().unwrap();
    run_into(&cfg, dir.path(), 2, false, None);
    (dir, cfg)
}

fn resume(cfg: &Config, dir: &Path) -> Result<run::RunReport, RunError> {
    let catalog = Arc::new(Catalog::load("small.toml", cfg).unwrap());
    let plan = plan::plan(cfg, &catalog);
    let exec = plenary_tournament::InProcess::new(Arc::clone(&catalog), maker());
    let opts = RunOptions {
        out: Some(dir.to_path_buf()),
        resume: true,
        shard: None,
        limit: None,
        progress: None,
        stop: None,
    };
    run::run(cfg, &catalog, &plan, &exec, &opts)
}

#[test]
fn resume_refuses_a_duplicated_record() {
    let (dir, cfg) = finished_run();
    let path = dir.path().join(output::MATCHES);
    let text = std::fs::read_to_string(&path).unwrap();
    let third = text.lines().nth(2).unwrap().to_string();
    std::fs::write(&path, format!("{text}{third}\n")).unwrap();
    let lines = text.lines().count();
    let index = serde_json::from_str::<serde_json::Value>(&third).unwrap()["index"]
        .as_u64()
        .unwrap();
    match resume(&cfg, dir.path()) {
        Err(RunError::Output(e @ OutputError::Duplicate { .. })) => assert_eq!(
            e.to_string(),
            format!(
                "{}:{}: match {index} is already recorded on line 3; remove one of the two lines (a copy would be counted twice)",
                path.display(),
                lines + 1
            )
        ),
        other => panic!("expected a duplicate error, got {other:?}"),
    }
}

#[test]
fn resume_refuses_records_that_are_not_in_the_plan() {
    let (dir, cfg) = finished_run();
    let path = dir.path().join(output::MATCHES);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let rest: Vec<&str> = text.lines().skip(1).collect();
    // An edited seed.
    first["seed"] = serde_json::json!(first["seed"].as_u64().unwrap() ^ 1);
    std::fs::write(&path, format!("{first}\n{}\n", rest.join("\n"))).unwrap();
    let e = resume(&cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("matches.jsonl:1: not a match record: match"),
        "{e}"
    );
    assert!(e.contains("but this tournament plans it as"), "{e}");
    // An index beyond the plan.
    first["index"] = serde_json::json!(1_000_000u64);
    std::fs::write(&path, format!("{first}\n{}\n", rest.join("\n"))).unwrap();
    let e = resume(&cfg, dir.path()).unwrap_err().to_string();
    assert!(e.contains("match 1000000 is beyond the"), "{e}");
}

#[test]
fn output_files_are_read_bounded() {
    let (dir, cfg) = finished_run();
    // A record line over the per-line limit is refused with its line number.
    let path = dir.path().join(output::MATCHES);
    let text = std::fs::read_to_string(&path).unwrap();
    let huge = format!(
        "{{\"pad\":\"{}\"}}\n",
        "x".repeat(plenary_scenarios::bounded::MAX_RECORD_LINE_BYTES)
    );
    std::fs::write(&path, format!("{huge}{text}")).unwrap();
    let e = resume(&cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.ends_with("matches.jsonl:1: line longer than the limit of 8388608 bytes"),
        "{e}"
    );
    // A matches.jsonl that is a directory is refused, not waited on.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let e = resume(&cfg, dir.path()).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
    // config.toml over the TOML limit.
    std::fs::remove_dir(&path).unwrap();
    let cfg_path = dir.path().join(output::CONFIG);
    std::fs::write(&cfg_path, "#".repeat(5 << 20)).unwrap();
    let e = output::read_config(dir.path()).unwrap_err().to_string();
    assert!(
        e.ends_with("cannot read: larger than the limit of 4194304 bytes"),
        "{e}"
    );
}
