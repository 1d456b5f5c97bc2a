//! `plenary deploy`: parses the flags and prints what [`plenary_lab::deploy`] wrote (a
//! containerized lab as a Compose project or Kubernetes manifests, or a tournament as
//! Kubernetes Jobs). The image is built locally by `deploy/image/build.sh`.

use crate::common::{self, MatchArgs};
use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use plenary_lab::deploy::{self, DeployOptions, Session, Tournament, Workload};
use std::path::PathBuf;
use std::process::ExitCode;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// A Compose project (`compose.json`, secrets as files, `docker-compose up -d`).
    Compose,
    /// Kubernetes manifests (`lab.yaml`, `secrets/secret.yaml`, `kustomization.yaml`).
    Kubernetes,
}

/// Where and how a deployment is written.
#[derive(Debug, Clone, Args)]
pub struct Place {
    /// Directory to write (created; it must not exist or be empty).
    #[arg(long, default_value = "plenary-deploy")]
    pub out: PathBuf,
    /// Container image to run.
    #[arg(long, default_value = "plenary:local")]
    pub image: String,
    /// Lab name: prefix of every Kubernetes name and the `app.kubernetes.io/instance`
    /// label, so several labs share a namespace (lowercase letters, digits, `-`).
    #[arg(long, default_value = deploy::DEFAULT_NAME)]
    pub name: String,
}

/// Flags of `plenary deploy`.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DeployArgs {
    /// Deploy something else than a lab playing one match.
    #[command(subcommand)]
    pub what: Option<DeployCmd>,
    /// Compose or Kubernetes.
    #[arg(long, value_enum, default_value = "compose")]
    pub target: Target,
    /// Where to write, image and lab name.
    #[command(flatten)]
    pub place: Place,
    /// Compose only: `UID:GID` the containers run as (default: 65532:65532 when deploying
    /// as root, which hands the secrets to that user; else your own ids).
    #[arg(long, value_name = "UID:GID", value_parser = parse_user)]
    pub user: Option<(u32, u32)>,
    /// Deadline of every question to a delegation, in milliseconds (1 to 3600000).
    #[arg(long, default_value_t = 10_000, value_parser = crate::remote::timeout_ms())]
    pub timeout_ms: u64,
    /// The runner exits 0 when the match completed with violations (default: 3).
    #[arg(long)]
    pub accept_violations: bool,
    /// What to run (scenario, design, seed, strategies as in `plenary run`; scenario
    /// and design files are shipped with the manifests and mounted at /config).
    #[command(flatten)]
    pub run: MatchArgs,
}

/// `plenary deploy` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum DeployCmd {
    /// A tournament as Kubernetes Jobs: an Indexed Job of shards writing to a volume,
    /// then a merge Job.
    Tournament(TournamentDeployArgs),
}

/// Flags of `plenary deploy tournament`.
#[derive(Debug, Clone, Args)]
pub struct TournamentDeployArgs {
    /// Where to write, image and lab name.
    #[command(flatten)]
    pub place: Place,
    /// Tournament configuration (TOML, presets and built-in strategies only). Default:
    /// the embedded default tournament.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Number of shards (pods of the Indexed Job).
    #[arg(long, default_value_t = 4)]
    pub shards: u32,
    /// Shards running at once (default: all).
    #[arg(long)]
    pub parallelism: Option<u32>,
    /// Worker threads (and CPUs) per shard.
    #[arg(long, default_value_t = 1)]
    pub threads: u32,
    /// Deadline of the shards' Job (and of the merge Job), in seconds.
    #[arg(long, default_value_t = 6 * 3600)]
    pub deadline_secs: u64,
    /// Size of the results volume.
    #[arg(long, default_value = "1Gi")]
    pub results_size: String,
}

/// Parses `UID:GID`.
fn parse_user(s: &str) -> Result<(u32, u32), String> {
    let (u, g) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}` is not UID:GID (e.g. 1000:1000)"))?;
    let num = |x: &str| {
        x.trim()
            .parse::<u32>()
            .map_err(|e| format!("`{x}` in `{s}`: {e}"))
    };
    Ok((num(u)?, num(g)?))
}

fn print(w: &deploy::Written) {
    println!("{}", w.summary);
    let (secret, public): (Vec<_>, Vec<_>) = w
        .files
        .iter()
        .partition(|f| f.parent().is_some_and(|p| p.ends_with("secrets")));
    for f in public {
        println!("  {}", f.display());
    }
    if !secret.is_empty() {
        println!(
            "  {} secret file(s) in {} (mode 0600; never commit or share them)",
            secret.len(),
            secret[0]
                .parent()
                .map_or(String::new(), |p| p.display().to_string())
        );
    }
    for n in &w.notes {
        progress!("note: {n}");
    }
    println!("run it with:\n{}", w.how);
}

/// `plenary deploy`.
pub fn run(args: &DeployArgs) -> Result<ExitCode> {
    if let Some(DeployCmd::Tournament(t)) = &args.what {
        return tournament(t);
    }
    if args.run.json.is_some() {
        return Err(crate::output::UsageError::new(
            "--json",
            "a deployed runner writes its results itself (Compose: out/results.json; Kubernetes: results.json on the results volume)",
        )
        .into());
    }
    if args.user.is_some() && args.target == Target::Kubernetes {
        return Err(crate::output::UsageError::new(
            "--user",
            "it is for Compose; Kubernetes pods run as 65532 (runAsUser)",
        )
        .into());
    }
    let plan = common::prepare(&args.run)?;
    let opts = DeployOptions {
        target: match args.target {
            Target::Compose => deploy::Target::Compose,
            Target::Kubernetes => deploy::Target::Kubernetes,
        },
        out: args.place.out.clone(),
        image: args.place.image.clone(),
        name: args.place.name.clone(),
        user: args.user,
        workload: Workload::Session(Box::new(Session {
            plan,
            scenario: args.run.scenario.clone(),
            design: args.run.design.clone(),
            strategies: args.run.strategies.clone(),
            brief: args.run.brief,
            timeout_ms: args.timeout_ms,
            accept_violations: args.accept_violations,
        })),
    };
    print(&deploy::deploy(&opts)?);
    Ok(ExitCode::SUCCESS)
}

fn tournament(t: &TournamentDeployArgs) -> Result<ExitCode> {
    let (origin, config_text) = match &t.config {
        Some(p) => (
            p.display().to_string(),
            plenary_scenarios::bounded::read_toml(p)?,
        ),
        None => (
            "embedded:default-tournament".to_string(),
            plenary_tournament::config::DEFAULT_CONFIG.to_string(),
        ),
    };
    let opts = DeployOptions {
        target: deploy::Target::Kubernetes,
        out: t.place.out.clone(),
        image: t.place.image.clone(),
        name: t.place.name.clone(),
        user: None,
        workload: Workload::Tournament(Tournament {
            config_text,
            origin,
            shards: t.shards,
            parallelism: t.parallelism.unwrap_or(t.shards),
            threads: t.threads,
            deadline_secs: t.deadline_secs,
            results_size: t.results_size.clone(),
        }),
    };
    print(&deploy::deploy(&opts)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_parse_as_uid_gid() {
        assert_eq!(parse_user("1000:100").unwrap(), (1000, 100));
        for bad in ["1000", "a:b", ":1", "1:-2"] {
            assert!(parse_user(bad).is_err(), "{bad}");
        }
    }
}
