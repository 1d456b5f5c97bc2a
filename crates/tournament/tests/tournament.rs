//! End-to-end properties of tournaments: determinism across thread counts, resume after
//! a kill, shards merged into the unsharded result.

mod common;

use common::*;
use plenary_tournament::output;
use plenary_tournament::run::Shard;

#[test]
fn serial_and_parallel_runs_are_identical() {
    let cfg = config();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ra = run_into(&cfg, a.path(), 1, false, None);
    let rb = run_into(&cfg, b.path(), 3, false, None);
    assert_eq!(ra.written, ra.planned);
    assert_eq!(rb.written, rb.planned);
    let la = sorted_lines(a.path());
    assert_eq!(la.len() as u64, ra.planned);
    assert_same_lines(&la, &sorted_lines(b.path()));
    assert_eq!(summary_files(a.path()), summary_files(b.path()));
    // Same seed, same summary again; another seed, other results.
    let c = tempfile::tempdir().unwrap();
    run_into(&cfg, c.path(), 2, false, None);
    assert_eq!(summary_files(a.path()), summary_files(c.path()));
    let mut other = cfg.clone();
    other.seed += 1;
    let d = tempfile::tempdir().unwrap();
    run_into(&other, d.path(), 2, false, None);
    assert_ne!(summary_files(a.path())[1], summary_files(d.path())[1]);
}

#[test]
fn resume_after_truncation_skips_finished_matches() {
    let cfg = config();
    let full = tempfile::tempdir().unwrap();
    let r = run_into(&cfg, full.path(), 2, false, None);
    let text = std::fs::read_to_string(full.path().join(output::MATCHES)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // A kill after 10 records, in the middle of the 11th.
    let keep = 10;
    let mut cut = lines[..keep].join("\n");
    cut.push('\n');
    cut.push_str(&lines[keep][..lines[keep].len() / 2]);
    let part = tempfile::tempdir().unwrap();
    std::fs::write(part.path().join(output::MATCHES), &cut).unwrap();
    std::fs::write(part.path().join(output::CONFIG), cfg.to_toml()).unwrap();
    let rr = run_into(&cfg, part.path(), 2, true, None);
    assert_eq!(rr.skipped, keep as u64);
    assert!(rr.repaired > 0);
    assert_eq!(rr.written, r.planned - keep as u64);
    assert_same_lines(&sorted_lines(part.path()), &sorted_lines(full.path()));
    assert_eq!(summary_files(part.path()), summary_files(full.path()));
    // Resuming a finished run does nothing.
    let again = run_into(&cfg, part.path(), 2, true, None);
    assert_eq!(again.written, 0);
    // Without --resume an existing directory is refused.
    let catalog = std::sync::Arc::new(plenary_tournament::Catalog::load("x", &cfg).unwrap());
    let plan = plenary_tournament::plan::plan(&cfg, &catalog);
    let exec = plenary_tournament::InProcess::new(catalog.clone(), maker());
    let opts = plenary_tournament::RunOptions {
        out: Some(part.path().to_path_buf()),
        resume: false,
        shard: None,
        limit: None,
        progress: None,
        stop: None,
    };
    let err = plenary_tournament::run::run(&cfg, &catalog, &plan, &exec, &opts).unwrap_err();
    assert!(err.to_string().contains("--resume"), "{err}");
}

#[test]
fn merged_shards_equal_the_unsharded_run() {
    let cfg = config();
    let full = tempfile::tempdir().unwrap();
    let r = run_into(&cfg, full.path(), 2, false, None);
    let s0 = tempfile::tempdir().unwrap();
    let s1 = tempfile::tempdir().unwrap();
    let r0 = run_into(
        &cfg,
        s0.path(),
        1,
        false,
        Some(Shard::parse("0/2").unwrap()),
    );
    let r1 = run_into(
        &cfg,
        s1.path(),
        2,
        false,
        Some(Shard::parse("1/2").unwrap()),
    );
    assert_eq!(r0.written + r1.written, r.planned);
    assert!(
        r0.resimulated > 0,
        "evolutionary generations need the other shard's matches"
    );
    let merged = tempfile::tempdir().unwrap();
    let n = output::merge(
        &[s0.path().to_path_buf(), s1.path().to_path_buf()],
        merged.path(),
    )
    .unwrap();
    assert_eq!(n, r.planned);
    plenary_tournament::summary::summarize_into(merged.path()).unwrap();
    assert_same_lines(&sorted_lines(merged.path()), &sorted_lines(full.path()));
    for ((name, a), (_, b)) in summary_files(merged.path())
        .into_iter()
        .zip(summary_files(full.path()))
    {
        assert!(
            a == b,
            "{name} differs between merged shards and the unsharded run"
        );
    }
}

#[test]
fn every_format_is_scored() {
    let cfg = config();
    let dir = tempfile::tempdir().unwrap();
    run_into(&cfg, dir.path(), 2, false, None);
    let s = plenary_tournament::summary::summarize(dir.path()).unwrap();
    assert_eq!(
        s.formats,
        [
            "rotation",
            "bloc-vs-bloc",
            "invasion",
            "population",
            "evolutionary"
        ]
    );
    // Rotation: 3 strategies x 3 classes x 2 designs x 2 replications (csce-1975 has
    // every class) -> each strategy 12 focal seats.
    let rot: Vec<_> = s
        .rankings
        .iter()
        .filter(|r| r.format == "rotation" && r.score == "focal_gain" && r.group.is_all())
        .collect();
    assert_eq!(rot.len(), 3);
    assert!(rot.iter().all(|r| r.stat.n == 12), "{rot:?}");
    assert!(rot[0].best && rot[0].rank == 1);
    // Every pair of the group compared, over the 12 shared blocks.
    let pairs: Vec<_> = s
        .comparisons
        .iter()
        .filter(|p| p.format == "rotation" && p.score == "focal_gain" && p.group.is_all())
        .collect();
    assert_eq!(pairs.len(), 3);
    assert!(
        pairs.iter().all(|p| p.n == 12 && p.p_holm >= p.p),
        "{pairs:?}"
    );
    assert_eq!(
        s.head_to_head.iter().filter(|h| h.design.is_none()).count(),
        9
    );
    // The focal/background view: one row per strategy, pooled and per design.
    assert_eq!(
        s.background
            .iter()
            .filter(|b| b.format == "rotation" && b.design.is_none())
            .count(),
        3
    );
    // Effects on the background are deviations from the block mean: they sum to zero.
    let effects: f64 = s
        .background
        .iter()
        .filter(|b| b.format == "rotation" && b.design.is_none())
        .map(|b| b.effect.mean.unwrap())
        .sum();
    assert!(effects.abs() < 1e-9, "{effects}");
    // Evolution: 2 designs x (3 generations + the next shares) x 3 strategies.
    assert_eq!(s.evolution.len(), 2 * 4 * 3);
    for g in 0..4 {
        let total: f64 = s
            .evolution
            .iter()
            .filter(|e| e.design == "osce-2021" && e.generation == g)
            .map(|e| e.share)
            .sum();
        assert!((total - 1.0).abs() < 1e-9);
    }
    let html = plenary_tournament::report::write_report(dir.path(), "test report").unwrap();
    let page = std::fs::read_to_string(html).unwrap();
    let tags = plenary_tournament::charts::balanced(&page).unwrap();
    assert!(tags["svg"] >= 10, "{tags:?}");
    assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="));
    // The first thing after the title: which strategy wins under which design.
    let first = page.find("<h2>").unwrap();
    assert!(page[first..].starts_with("<h2>Which strategy wins under which design"));
    assert!(page.find("class=\"heat\"").unwrap() < page.find("<svg").unwrap());
    for section in [
        "Distributions per design",
        "Focal strategy among background seats",
        "Evolution of strategy shares, per design",
        "Head to head",
    ] {
        assert!(page.contains(section), "missing {section}");
    }
    let text = plenary_tournament::summary::text_tables(&s);
    assert!(text.contains("rotation: strategies ranked"), "{text}");
    assert!(text.contains("best per design"), "{text}");
    assert!(!text.contains("PARTIAL"), "{text}");
}

/// A strategy whose every position is invalid: its violations and forfeits are
/// reported per strategy, beside the clean one's.
#[test]
fn violations_and_forfeits_are_reported_per_strategy() {
    let text = r#"
seed = 3
replications = 2
strategies = ["sincere", "nan"]
designs = ["osce-2021"]
scenarios = ["csce-1975"]

[population]
"#;
    let cfg = plenary_tournament::config::Config::parse("faults.toml", text, NAMES).unwrap();
    let dir = tempfile::tempdir().unwrap();
    run_into(&cfg, dir.path(), 2, false, None);
    let s = plenary_tournament::summary::summarize(dir.path()).unwrap();
    let names: Vec<&str> = s.faults.iter().map(|f| f.strategy.as_str()).collect();
    assert_eq!(names, ["sincere", "nan"]);
    let (clean, nan) = (&s.faults[0], &s.faults[1]);
    assert_eq!((clean.violations, clean.seats_with_violations), (0, 0));
    assert_eq!(clean.forfeit_total, 0.0);
    assert!(clean.faulty_mean_score.is_none() && clean.clean_mean_score.is_some());
    assert_eq!(nan.seats_with_violations, nan.seats);
    assert!(
        nan.violations >= nan.seats && nan.forfeit_total > 0.0,
        "{nan:?}"
    );
    let text = plenary_tournament::summary::text_tables(&s);
    assert!(
        text.contains("Violations (timeouts, invalid answers"),
        "{text}"
    );
}

/// Strategies that play identically share a rank and are not separable; a strategy
/// that plays differently in every match is.
#[test]
fn ties_share_a_rank_and_are_not_separable() {
    let text = "seed = 5\nreplications = 3\nstrategies = [\"soft\", \"soft-twin\", \"hard\"]\ndesigns = [\"csce-1975\"]\nscenarios = [\"csce-1975\"]\n[rotation]\nbackground = \"sincere\"\n";
    let cfg = plenary_tournament::Config::parse("ties.toml", text, NAMES).unwrap();
    let dir = tempfile::tempdir().unwrap();
    run_into(&cfg, dir.path(), 2, false, None);
    let s = plenary_tournament::summary::summarize(dir.path()).unwrap();
    let rank = |name: &str| {
        s.rankings
            .iter()
            .find(|r| {
                r.format == "rotation"
                    && r.score == "focal_gain"
                    && r.group.is_all()
                    && r.strategy == name
            })
            .unwrap()
            .clone()
    };
    let (a, b) = (rank("soft"), rank("soft-twin"));
    assert_eq!(a.stat.mean, b.stat.mean);
    assert_eq!(a.rank, b.rank, "ties share a rank");
    assert_eq!(a.best, b.best);
    let pair = s
        .comparisons
        .iter()
        .find(|p| {
            p.format == "rotation"
                && p.group.is_all()
                && p.score == "focal_gain"
                && [p.a.as_str(), p.b.as_str()].contains(&"soft")
                && [p.a.as_str(), p.b.as_str()].contains(&"soft-twin")
        })
        .unwrap();
    assert_eq!((pair.diff, pair.p, pair.significant), (0.0, 1.0, false));
    let csv = std::fs::read_to_string(dir.path().join("rankings.csv")).unwrap();
    assert!(
        csv.starts_with(
            "format,score,scenario,design,class,side,resident,rank,strategy,best,n,mean"
        )
    );
}

fn assert_same_lines(a: &[String], b: &[String]) {
    assert_eq!(a.len(), b.len(), "record counts differ");
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        let short = |s: &str| s.chars().take(300).collect::<String>();
        panic!("record {i} differs:\n{}\n{}", short(&a[i]), short(&b[i]));
    }
}

/// Speed figure for sizing (run with `--release -- --ignored --nocapture`).
#[test]
#[ignore]
fn speed_osce_2021() {
    let text = r#"
seed = 1
replications = 20
strategies = ["sincere", "hard", "soft"]
designs = ["osce-2021", "csce-1975", "path1-upgraded", "path2-conference"]
scenarios = ["osce-2021"]
[population]
"#;
    let cfg = plenary_tournament::Config::parse("speed", text, NAMES).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let r = run_into(&cfg, dir.path(), 2, false, None);
    println!(
        "{} matches in {:?}: {:.1} matches/s on {} threads",
        r.written,
        r.elapsed,
        r.per_second(),
        r.threads
    );
}

#[test]
fn unknown_designs_and_scenarios_name_their_config_key() {
    let mut cfg = config();
    cfg.designs.push("no-such-design".into());
    cfg.scenarios.insert(0, "atlantis".into());
    let e = plenary_tournament::Catalog::load("small.toml", &cfg).unwrap_err();
    let keys: Vec<&str> = e.0.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["scenarios[0]", "designs[2]"], "{e}");
    assert!(
        e.to_string()
            .contains("small.toml: `designs[2]`: unknown design `no-such-design`"),
        "{e}"
    );
}

/// Any recorded match, replayed from its record alone, gives the same record; its
/// match page and run result render.
#[test]
fn replayed_matches_equal_their_records() {
    let cfg = config();
    let dir = tempfile::tempdir().unwrap();
    run_into(&cfg, dir.path(), 2, false, None);
    let lines = sorted_lines(dir.path());
    let mut formats = std::collections::BTreeSet::new();
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let format = v["format"].as_str().unwrap().to_string();
        if !formats.insert(format) {
            continue;
        }
        let id = v["match_id"].as_str().unwrap();
        let r = plenary_tournament::replay::replay(dir.path(), id, maker()).unwrap();
        assert!(r.differences().is_empty(), "{id}: {:?}", r.differences());
        // Byte for byte, the line as recorded.
        assert_eq!(serde_json::to_string(&r.replayed).unwrap(), *line);
        let page = plenary_tournament::match_page::render(&r.run, id);
        let tags = plenary_tournament::charts::balanced(&page).unwrap();
        assert!(tags["svg"] >= 3, "{tags:?}");
        assert!(page.contains("Timeline") && !page.contains("<script"));
        // The run result embeds the same outcome as the record.
        assert_eq!(r.run.outcome, r.recorded.outcome);
    }
    assert_eq!(formats.len(), 5);
    // By index too; unknown matches are named in the error.
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let r = plenary_tournament::replay::find(dir.path(), "0").unwrap();
    assert_eq!(r.outcome.match_id, first["match_id"].as_str().unwrap());
    let e = plenary_tournament::replay::find(dir.path(), "no/such/match").unwrap_err();
    assert!(e.to_string().contains("no/such/match"), "{e}");
    // A changed record is reported, field by field.
    let mut r = plenary_tournament::replay::replay(dir.path(), "0", maker()).unwrap();
    r.recorded.outcome.seed ^= 1;
    assert_eq!(r.differences(), ["seed"]);
}

/// Every seed in the records fits in 53 bits (JSON and Arrow readers keep it), and
/// records carry the schema and tool versions.
#[test]
fn records_carry_versions_and_53_bit_seeds() {
    let cfg = config();
    let dir = tempfile::tempdir().unwrap();
    run_into(&cfg, dir.path(), 2, false, None);
    for line in sorted_lines(dir.path()) {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(v["seed"].as_u64().unwrap() <= plenary_tournament::results::MAX_SEED);
        assert_eq!(
            v["schema_version"],
            plenary_tournament::results::SCHEMA_VERSION
        );
        assert!(v["tool_version"].as_str().unwrap().starts_with("plenary "));
        // Lists indexed by bloc pair are labelled; optional values are written.
        let t = &v["tension"][0];
        assert!(t["max"].is_number(), "{t}");
        let pairs = v["tension_by_pair"].as_object().unwrap();
        assert!(!pairs.is_empty(), "{pairs:?}");
        for values in pairs.values() {
            assert_eq!(
                values.as_array().unwrap().len(),
                v["tension"].as_array().unwrap().len()
            );
        }
        assert!(v["states"][0].as_object().unwrap().contains_key("exited"));
    }
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(
        s["schema_version"],
        plenary_tournament::results::SCHEMA_VERSION
    );
}

/// A stop request (Ctrl-C) lets the matches in hand finish and be written; `--resume`
/// then completes the run with results identical to an uninterrupted one.
#[test]
fn a_stopped_run_resumes_to_the_same_results() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let cfg = config();
    let full = tempfile::tempdir().unwrap();
    run_into(&cfg, full.path(), 2, false, None);
    let part = tempfile::tempdir().unwrap();
    let catalog = std::sync::Arc::new(plenary_tournament::Catalog::load("x", &cfg).unwrap());
    let plan = plenary_tournament::plan::plan(&cfg, &catalog);
    let exec = plenary_tournament::InProcess::new(catalog.clone(), maker()).with_threads(2);
    let stop = AtomicBool::new(false);
    let tick = |p: plenary_tournament::run::Progress| {
        if p.done >= 5 {
            stop.store(true, Ordering::Relaxed);
        }
    };
    let opts = plenary_tournament::RunOptions {
        out: Some(part.path().to_path_buf()),
        resume: false,
        shard: None,
        limit: None,
        progress: Some(&tick),
        stop: Some(&stop),
    };
    let r = plenary_tournament::run::run(&cfg, &catalog, &plan, &exec, &opts).unwrap();
    assert!(r.interrupted);
    assert!(r.written >= 5 && r.written < r.planned, "{r:?}");
    // Every match that ran was written whole.
    assert_eq!(sorted_lines(part.path()).len() as u64, r.written);
    let rr = run_into(&cfg, part.path(), 2, true, None);
    assert!(!rr.interrupted);
    assert_same_lines(&sorted_lines(part.path()), &sorted_lines(full.path()));
    assert_eq!(summary_files(part.path()), summary_files(full.path()));
}
