//! Running a whole tournament into an output directory: plan, skip what `--resume`
//! finds done, keep this shard's matches, run them in parallel, append each record as
//! it completes; then the evolutionary generations one after another.

use crate::config::Config;
use crate::exec::{ExecError, Executor, run_parallel};
use crate::output::{self, OutputError, Record, Writer};
use crate::plan::{Catalog, MatchSpec, Plan, evo_generation, seat_classes};
use crate::stats::{Acc, next_shares};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `--shard I/N`: run only matches with `index % N == I`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard (0-based).
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` (0 <= I < N).
    pub fn parse(s: &str) -> Result<Shard, String> {
        use plenary_core::validate::quote;
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("{} is not of the form I/N (e.g. 0/2)", quote(s)))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("{} in {} is not a shard number", quote(i), quote(s)))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("{} in {} is not a shard count", quote(n), quote(s)))?;
        if count == 0 || index >= count {
            return Err(format!("shard {}: need 0 <= I < N", quote(s)));
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard owns match `index`.
    pub fn owns(&self, index: u64) -> bool {
        index % self.count == self.index
    }
}

/// Progress of a run (matches simulated so far out of those this run simulates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Simulated so far.
    pub done: u64,
    /// To simulate in this run.
    pub total: u64,
}

/// How to run.
pub struct RunOptions<'a> {
    /// Output directory (None: write nothing, e.g. for `--bench`).
    pub out: Option<PathBuf>,
    /// Skip matches already in `DIR/matches.jsonl`.
    pub resume: bool,
    /// Run one shard.
    pub shard: Option<Shard>,
    /// Stop after this many fixed-format matches (bench); None = all.
    pub limit: Option<usize>,
    /// Called after every simulated match.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    /// Set (e.g. on Ctrl-C) to stop: the matches in hand finish and are written, no
    /// new match starts, and the run returns with `interrupted` set.
    pub stop: Option<&'a AtomicBool>,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// Matches in the whole tournament.
    pub planned: u64,
    /// Matches simulated and written by this run.
    pub written: u64,
    /// Matches found done (`--resume`).
    pub skipped: u64,
    /// Matches simulated but not written (other shards' evolutionary matches, needed
    /// for the next generation's shares).
    pub resimulated: u64,
    /// Bytes of a truncated last line cut off by `--resume`.
    pub repaired: u64,
    /// Wall time of the simulations.
    pub elapsed: Duration,
    /// Worker threads.
    pub threads: usize,
    /// Stopped by [`RunOptions::stop`] before every match ran (resume with `--resume`).
    pub interrupted: bool,
}

impl RunReport {
    /// Simulated matches per second.
    pub fn per_second(&self) -> f64 {
        (self.written + self.resimulated) as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A match failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The output directory.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Why a record found by `--resume` is not one of this plan's matches, if it is not:
/// an index beyond the plan, or a fixed-format match whose id or seed differ from the
/// plan's (a record edited or copied from elsewhere would change the summary).
fn unplanned(plan: &Plan, r: &Record) -> Option<String> {
    if r.index >= plan.total {
        return Some(format!(
            "match {} is beyond the {} matches of this tournament",
            r.index, plan.total
        ));
    }
    let spec = plan.fixed.get(usize::try_from(r.index).ok()?)?;
    if spec.match_id != r.outcome.match_id || spec.seed != r.outcome.seed {
        return Some(format!(
            "match {} is recorded as {} with seed {}, but this tournament plans it as {} with seed {}",
            r.index,
            plenary_core::validate::quote(&r.outcome.match_id),
            r.outcome.seed,
            plenary_core::validate::quote(&spec.match_id),
            spec.seed
        ));
    }
    None
}

/// Runs the tournament `cfg` (already planned as `plan`) with `exec`.
pub fn run(
    cfg: &Config,
    catalog: &Catalog,
    plan: &Plan,
    exec: &dyn Executor,
    opts: &RunOptions<'_>,
) -> Result<RunReport, RunError> {
    let fp = cfg.fingerprint();
    let evo_base = plan.evo.as_ref().map_or(u64::MAX, |e| e.base_index);
    let mut scan = output::Scan::default();
    let mut writer = None;
    if let Some(dir) = &opts.out {
        std::fs::create_dir_all(dir).map_err(output::io(dir))?;
        let cfg_path = dir.join(output::CONFIG);
        let matches = dir.join(output::MATCHES);
        let meta = std::fs::metadata(&matches).ok();
        if meta.as_ref().is_some_and(|m| !m.is_file()) {
            return Err(
                OutputError::Other(format!("{} is not a regular file", matches.display())).into(),
            );
        }
        let has_matches = meta.is_some_and(|m| m.len() > 0);
        if has_matches && !opts.resume {
            return Err(OutputError::Other(format!(
                "{} already holds results: pass --resume to continue that run, --force to start over, or choose another --out",
                dir.display()
            ))
            .into());
        }
        if opts.resume && cfg_path.exists() {
            let old = output::read_config(dir)?;
            if old.fingerprint() != fp {
                return Err(OutputError::Other(format!(
                    "{} holds another tournament configuration; --resume needs the same configuration",
                    cfg_path.display()
                ))
                .into());
            }
        }
        std::fs::write(&cfg_path, cfg.to_toml()).map_err(output::io(&cfg_path))?;
        if opts.resume {
            scan = output::scan(dir, &fp, |i| i >= evo_base, |r| unplanned(plan, r))?;
        }
        writer = Some(Writer::open(dir)?);
    }
    let owns = |i: u64| opts.shard.is_none_or(|s| s.owns(i));
    let classes: BTreeMap<&str, Vec<&'static str>> = catalog
        .scenarios
        .iter()
        .map(|(k, sc)| (k.as_str(), seat_classes(sc, &cfg.neutral_blocs)))
        .collect();

    let mut fixed: Vec<MatchSpec> = plan
        .fixed
        .iter()
        .filter(|s| owns(s.index) && !scan.done.contains(&s.index))
        .cloned()
        .collect();
    if let Some(limit) = opts.limit {
        fixed.truncate(limit);
    }
    let evo_total: u64 = match (&plan.evo, opts.limit) {
        (Some(e), None) => (0..e.generations)
            .map(|g| {
                (0..e.per_generation())
                    .filter(|k| {
                        !scan
                            .done
                            .contains(&(e.base_index + u64::from(g) * e.per_generation() + k))
                    })
                    .count() as u64
            })
            .sum(),
        _ => 0,
    };
    let total = fixed.len() as u64 + evo_total;
    let mut report = RunReport {
        planned: plan.total,
        written: 0,
        skipped: scan.done.len() as u64,
        resimulated: 0,
        repaired: scan.repaired,
        elapsed: Duration::ZERO,
        threads: exec.parallelism(),
        interrupted: false,
    };
    let never = AtomicBool::new(false);
    let stop = opts.stop.unwrap_or(&never);
    let start = Instant::now();
    let mut done = 0u64;
    let tick = |done: u64| {
        if let Some(p) = opts.progress {
            p(Progress { done, total });
        }
    };
    tick(0);
    run_parallel::<RunError>(&fixed, exec, exec.parallelism(), stop, |spec, result| {
        if let Some(w) = writer.as_mut() {
            w.append(&Record::new(
                spec,
                &result,
                cfg,
                &fp,
                &classes[spec.scenario.as_str()],
                exec.name(),
            ))?;
        }
        report.written += 1;
        done += 1;
        tick(done);
        Ok(())
    })?;

    if let (Some(evo), None) = (&plan.evo, opts.limit) {
        let k = cfg.strategies.len();
        let mut shares: Vec<Vec<f64>> = vec![vec![1.0 / k as f64; k]; evo.populations.len()];
        for g in 0..evo.generations {
            let specs = evo_generation(cfg, catalog, evo, g, &shares);
            // Payoff of a strategy in a population: the mean over the generation's
            // matches of its per-match mean gain (order-independent sums).
            let mut fit: Vec<Vec<Acc>> = vec![vec![Acc::default(); k]; evo.populations.len()];
            let pop_of = |spec: &MatchSpec| {
                ((spec.index - evo.base_index) % evo.per_generation() / u64::from(evo.matches))
                    as usize
            };
            let mut add = |pop: usize, r: &Record| {
                for (name, (mean, _)) in r.gains_by_strategy() {
                    if let Some(j) = cfg.strategies.iter().position(|s| s == name) {
                        fit[pop][j].add(mean);
                    }
                }
            };
            let mut todo = Vec::new();
            for spec in specs {
                match scan.kept.get(&spec.index) {
                    Some(r) => add(pop_of(&spec), r),
                    None => todo.push(spec),
                }
            }
            if stop.load(Ordering::Relaxed) {
                break;
            }
            run_parallel::<RunError>(&todo, exec, exec.parallelism(), stop, |spec, result| {
                let r = Record::new(
                    spec,
                    &result,
                    cfg,
                    &fp,
                    &classes[spec.scenario.as_str()],
                    exec.name(),
                );
                if owns(spec.index) {
                    if let Some(w) = writer.as_mut() {
                        w.append(&r)?;
                    }
                    report.written += 1;
                } else {
                    report.resimulated += 1;
                }
                add(pop_of(spec), &r);
                done += 1;
                tick(done);
                Ok(())
            })?;
            for (p, s) in shares.iter_mut().enumerate() {
                let f: Vec<Option<f64>> = fit[p].iter().map(Acc::mean).collect();
                *s = next_shares(s, &f, evo.selection, evo.standardize);
            }
        }
    }
    report.elapsed = start.elapsed();
    report.interrupted = stop.load(Ordering::Relaxed) && done < total;
    Ok(report)
}
