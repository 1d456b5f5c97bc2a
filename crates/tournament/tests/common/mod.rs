//! Small deterministic strategies for the tournament tests (the built-in strategies
//! live in `plenary-strategies`, which this crate does not depend on).

#![allow(dead_code)]

use plenary_core::Strategy;
use plenary_core::strategy::{PositionAnswer, RoundContext, SeatBrief, SeatView, Vote};
use plenary_tournament::config::Config;
use plenary_tournament::exec::{InProcess, StrategyMaker};
use plenary_tournament::plan::{self, Catalog};
use plenary_tournament::run::{self, RunOptions, RunReport, Shard};
use std::path::Path;
use std::sync::Arc;

pub const NAMES: &[&str] = &["sincere", "hard", "soft", "soft-twin", "nan"];

struct Simple {
    name: &'static str,
    brief: SeatBrief,
}

impl Strategy for Simple {
    fn name(&self) -> &str {
        self.name
    }
    fn position(&mut self, ctx: &RoundContext, _me: &SeatView) -> PositionAnswer {
        // A broken entrant: every position it states is invalid.
        if self.name == "nan" {
            return PositionAnswer {
                position: f64::NAN,
                salience: 0.5,
                ..Default::default()
            };
        }
        match self.brief.preferences.get(ctx.item as usize) {
            Some(p) => PositionAnswer {
                position: p.ideal,
                salience: p.salience,
                link: None,
                ..Default::default()
            },
            None => PositionAnswer {
                position: ctx.proposal.unwrap_or(50.0),
                salience: 0.5,
                link: None,
                ..Default::default()
            },
        }
    }
    fn vote(&mut self, ctx: &RoundContext, _me: &SeatView) -> Vote {
        let i = ctx.item as usize;
        let Some(p) = self.brief.preferences.get(i) else {
            return Vote::Yes;
        };
        let sq = self.brief.items[i].status_quo.unwrap_or(p.ideal);
        let x = ctx.proposal.unwrap_or(sq);
        let ok = match self.name {
            "sincere" => p.utility(x) >= p.utility(sq),
            "hard" => (x - p.ideal).abs() <= p.red_line * 0.5,
            _ => true,
        };
        if ok { Vote::Yes } else { Vote::No }
    }
}

pub fn maker() -> Arc<StrategyMaker> {
    Arc::new(
        |name: &str, brief: &SeatBrief| -> Result<Box<dyn Strategy>, String> {
            let name = NAMES
                .iter()
                .find(|n| **n == name)
                .ok_or_else(|| format!("unknown strategy `{name}`"))?;
            Ok(Box::new(Simple {
                name,
                brief: brief.clone(),
            }))
        },
    )
}

pub const SMALL: &str = r#"
seed = 7
replications = 2
strategies = ["sincere", "hard", "soft"]
designs = ["csce-1975", "osce-2021"]
scenarios = ["csce-1975"]

[rotation]

[bloc-vs-bloc]
replications = 1
neutrals = "sincere"

[evolutionary]
generations = 3
matches = 2
selection = 0.5

[invasion]
replications = 1
invaders = ["hard"]

[population]
replications = 2
"#;

pub fn config() -> Config {
    Config::parse("small.toml", SMALL, NAMES).expect("test config parses")
}

/// Runs `cfg` into `dir` with `threads` workers and writes the summary files.
pub fn run_into(
    cfg: &Config,
    dir: &Path,
    threads: usize,
    resume: bool,
    shard: Option<Shard>,
) -> RunReport {
    let catalog = Arc::new(Catalog::load("small.toml", cfg).expect("catalog"));
    let plan = plan::plan(cfg, &catalog);
    let exec = InProcess::new(Arc::clone(&catalog), maker()).with_threads(threads);
    let opts = RunOptions {
        out: Some(dir.to_path_buf()),
        resume,
        shard,
        limit: None,
        progress: None,
        stop: None,
    };
    let report = run::run(cfg, &catalog, &plan, &exec, &opts).expect("run");
    plenary_tournament::summary::summarize_into(dir).expect("summary");
    report
}

pub fn sorted_lines(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("matches.jsonl")).unwrap();
    let mut v: Vec<(u64, String)> = text
        .lines()
        .map(|l| {
            (
                serde_json::from_str::<serde_json::Value>(l).unwrap()["index"]
                    .as_u64()
                    .unwrap(),
                l.to_string(),
            )
        })
        .collect();
    v.sort();
    v.into_iter().map(|x| x.1).collect()
}

pub fn summary_files(dir: &Path) -> Vec<(String, String)> {
    plenary_tournament::summary::SUMMARY_FILES
        .iter()
        .map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).unwrap()))
        .collect()
}
