//! `plenary`: the one binary of the project. Runs negotiation sessions in-process,
//! validates scenario and design files, benchmarks the engine, and (in other modules)
//! drives multi-process labs and tournaments.

#[macro_use]
mod output;

mod bench;
mod bench_remote;
mod common;
mod conformance_cmd;
mod deploy;
mod remote;
mod report;
mod soak;
mod tournament_cmd;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Multilateral negotiation simulator: an OSCE-like organisation of States, each a
/// delegation, under a chosen institutional design.
#[derive(Debug, Parser)]
#[command(
    name = "plenary",
    version,
    about,
    propagate_version = true,
    after_help = "Every command takes -q/--quiet, -v/--verbose (repeatable) and --color auto|always|never (NO_COLOR is respected). Exit codes: 0 success, 1 a failure, 2 a usage error (a bad flag value, an unknown preset or strategy name), 3 a match with violations (lab, session), 130 interrupted.\n\nExamples:\n  plenary run\n  plenary -q tournament --out results\n  plenary designs --format json\n  plenary completions bash > ~/.local/share/bash-completion/completions/plenary"
)]
struct Cli {
    #[command(flatten)]
    global: output::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one match in-process and print a report.
    #[command(
        after_help = "Examples:\n  plenary run\n  plenary run --design path1-upgraded --seed 7\n  plenary run --scenario csce-1975 --design csce-1975\n  plenary run --strategies default=dissociator,west=linker,RUS=hardliner --json out.json\n  plenary run --scenario my-scenario.toml --design my-design.toml"
    )]
    Run(common::MatchArgs),
    /// List the design presets built in.
    #[command(
        after_help = "With --format json: an array with one object per preset, keys id, name, description, mediation, linkage, naming_shaming (bool), bodies (count), scope (list of dimensions).\n\nExamples:\n  plenary designs\n  plenary designs --format json\n  plenary designs --show osce-2021 > my-design.toml"
    )]
    Designs(common::DesignsArgs),
    /// List the built-in scenarios.
    #[command(
        after_help = "With --format json: an array with one object per scenario, keys id, name, description, states, blocs, items (counts), default_design.\n\nExamples:\n  plenary scenarios\n  plenary scenarios --format json\n  plenary scenarios --show osce-2021 > my-scenario.toml"
    )]
    Scenarios(common::DesignsArgs),
    /// List the built-in delegation strategies.
    #[command(
        after_help = "With --format json: an array with one object per strategy, keys id (the name --strategies takes), name (the same), description (one line), idea (what it models).\n\nExamples:\n  plenary strategies\n  plenary strategies --format json"
    )]
    Strategies(common::StrategiesArgs),
    /// Validate a scenario or design file.
    #[command(
        after_help = "Examples:\n  plenary check my-scenario.toml\n  plenary check my-design.toml --scenario osce-2021"
    )]
    Check(common::CheckArgs),
    /// Measure engine speed: decisions per second and time per session, by membership size.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  plenary bench\n  plenary bench --sizes 57,500,5000 --millis 3000\n  plenary bench remote --sizes 7,57 --rounds 1000"
    )]
    Bench(bench::BenchArgs),
    /// Check a delegation endpoint (any language) against the plenary.v2.Delegation contract.
    #[command(
        after_help = "Exits 0 when every required check passes, 1 otherwise, 2 on usage errors; --help lists the checks.\n\nExamples:\n  plenary conformance --endpoint http://127.0.0.1:50061\n  PLENARY_TOKEN=... plenary conformance --endpoint 127.0.0.1:50061 --states RUS --token"
    )]
    Conformance(conformance_cmd::ConformanceArgs),
    /// Serve one State's delegation (a built-in strategy) over gRPC, optionally registering with a chair.
    #[command(
        after_help = "Prints `listening on ADDR` on stdout once bound, and `registered STATE ...` each time the chair confirms the registration. The State's token comes from PLENARY_TOKEN or --token-file, never the command line.\n\nExamples:\n  plenary delegate --state RUS --strategy hardliner --listen 127.0.0.1:0\n  PLENARY_TOKEN=... plenary delegate --state RUS --strategy hardliner --register http://127.0.0.1:50050\n  plenary delegate --any-seat --strategy conceder --listen 127.0.0.1:50061"
    )]
    Delegate(remote::DelegateArgs),
    /// Serve the bare echo baseline of `plenary bench remote` (prints `listening on ADDR`).
    #[command(hide = true)]
    EchoServer(bench_remote::EchoServerArgs),
    /// Run the chair/secretariat: delegations register with it, sessions run through it.
    #[command(
        after_help = "Tokens file (TOML, mode 0600; `plenary tokens` writes one):\n  [tokens]\n  RUS = \"3f9c...\"\n  USA = \"a71b...\"\n\nBeyond loopback the chair needs --tokens and an operator token (--operator-token-file or PLENARY_OPERATOR_TOKEN).\n\nExamples:\n  plenary tokens --scenario osce-2021 --out tokens.toml\n  plenary chair --listen 127.0.0.1:50050 --tokens tokens.toml\n  plenary chair --listen 127.0.0.1:0"
    )]
    Chair(remote::ChairArgs),
    /// Print a session's events live (items, proposals, decisions, violations).
    #[command(
        after_help = "Exits 1 when the chair stalls or vanishes (no answer for --stall-secs).\n\nExamples:\n  plenary watch http://127.0.0.1:50050\n  plenary watch http://127.0.0.1:50050 --wait\n  plenary watch http://127.0.0.1:50050 --session s-4f2a9c1e07b3"
    )]
    Watch(remote::WatchArgs),
    /// Run one match as a lab of processes: the chair plus one delegation process per State.
    #[command(
        after_help = "Takes the flags of `plenary run`; prints the same report and writes the same JSON.\n\nExit codes: 0 a clean match; 3 a match that completed with violations (--accept-violations: 0); 1 a failure; 2 a usage error; 130 interrupted.\n\nExamples:\n  plenary lab\n  plenary lab --scenario csce-1975 --seed 7 --json lab.json\n  plenary lab --design path1-upgraded --timeout-ms 2000\n  plenary lab --scenario csce-1975 --external SUN=http://127.0.0.1:50061   (your own delegation plays the USSR)\n  plenary lab --keep   (then: plenary watch URL, plenary session --chair URL)"
    )]
    Lab(remote::LabArgs),
    /// Run one match on a chair that is already running (compose, Kubernetes, your own processes).
    #[command(
        after_help = "Waits until every State has registered with the chair, runs the match, prints the report of `plenary run`. Scenario and design files are read here and sent inline. Says so and exits 1 when the chair stalls or vanishes.\n\nExit codes: 0 a clean match; 3 a match that completed with violations (--accept-violations: 0); 1 a failure; 2 a usage error; 130 interrupted.\n\nExamples:\n  plenary session --chair http://127.0.0.1:50050\n  PLENARY_OPERATOR_TOKEN=... plenary session --chair http://chair:50050 --scenario csce-1975 --seed 7 --json /data/results.json"
    )]
    Session(remote::SessionArgs),
    /// Check that a chair or delegation answers grpc.health.v1 with SERVING (exit 0) or not (exit 1).
    #[command(
        after_help = "Examples:\n  plenary health http://127.0.0.1:50050\n  plenary health http://127.0.0.1:50061 --service plenary.v2.Delegation"
    )]
    Health(remote::HealthArgs),
    /// Write a tokens file (one random token per State of a scenario, mode 0600) for `plenary chair --tokens`.
    #[command(
        after_help = "Examples:\n  plenary tokens --out tokens.toml\n  plenary tokens --scenario csce-1975 --out csce-tokens.toml"
    )]
    Tokens(remote::TokensArgs),
    /// Play many sessions in a lab under a seeded plan of faults (delegations killed, stopped, cut off; the chair killed and restarted) and check nothing is lost.
    #[command(
        after_help = "Exits 0 when no session was lost and every session without delegation faults equals its in-process run, 1 otherwise.\n\nExamples:\n  plenary soak\n  plenary soak --sessions 20 --chair-kills 3 --kinds kill,stop --json soak.json\n  plenary soak --scenario osce-2021 --sessions 100 --max-faults 10"
    )]
    Soak(soak::SoakArgs),
    /// Write a containerized lab (Compose project or Kubernetes manifests) for a scenario, or a tournament as Kubernetes Jobs.
    #[command(
        after_help = "Build the image first with deploy/image/build.sh (no registry needed). Secrets go to OUT/secrets (0700, files 0600), never into the manifests; see deploy/README.md.\n\nExamples:\n  plenary deploy --scenario csce-1975 --out lab/\n  cd lab && docker-compose -f compose.json up -d && docker-compose -f compose.json run --rm runner\n  plenary deploy --target kubernetes --name osce --out k8s/ && kubectl apply -k k8s/\n  plenary deploy tournament --shards 8 --name t1 --out k8s-tournament/"
    )]
    Deploy(deploy::DeployArgs),
    /// Run a tournament of strategies across designs (rotation, bloc-vs-bloc, evolutionary, invasion).
    #[command(
        after_help = "Examples:\n  plenary tournament\n  plenary tournament --config my-tournament.toml --out results\n  plenary tournament --out results --resume\n  plenary tournament --shard 0/2 --out shard0   (and --shard 1/2 --out shard1, then plenary merge)\n  plenary tournament --bench\n  plenary tournament --print-config > my-tournament.toml"
    )]
    Tournament(tournament_cmd::TournamentArgs),
    /// Combine shard outputs of a tournament into one result (identical to an unsharded run).
    #[command(after_help = "Example:\n  plenary merge shard0 shard1 --out results")]
    Merge(tournament_cmd::MergeArgs),
    /// Write DIR/report.html: which strategy wins under which design, comparisons, distributions, evolution, head to head (offline, no JavaScript).
    #[command(after_help = "Example:\n  plenary report tournament-out")]
    Report(tournament_cmd::ReportArgs),
    /// Re-run one tournament match from its record: its report, result.json and match page.
    #[command(
        after_help = "Examples:\n  plenary replay tournament-out 0\n  plenary replay tournament-out rotation/osce-2021/osce-2021/r0/leader/hardliner --out replay-1"
    )]
    Replay(tournament_cmd::ReplayArgs),
    /// Write DIR/matches.parquet and DIR/states.parquet (per-match and per-State tables) for pandas, polars, DuckDB.
    #[command(
        after_help = "Example:\n  plenary export tournament-out\n  python3 -c \"import pandas as pd; print(pd.read_parquet('tournament-out/states.parquet').head())\""
    )]
    Export(tournament_cmd::ExportArgs),
    /// Print the JSON Schema of an output or input (run-result, match-record, summary, tournament-config).
    #[command(
        after_help = "Examples:\n  plenary schema\n  plenary schema match-record > match-record.schema.json"
    )]
    Schema(tournament_cmd::SchemaArgs),
    /// Ready-made experiments over the tournament machinery.
    #[command(subcommand)]
    Experiment(tournament_cmd::Experiment),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    #[command(
        after_help = "Examples:\n  plenary completions bash > ~/.local/share/bash-completion/completions/plenary\n  plenary completions zsh > ~/.zfunc/_plenary\n  plenary completions fish > ~/.config/fish/completions/plenary.fish\n  plenary completions powershell >> $PROFILE"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout, or write one page per subcommand with --out.
    #[command(
        after_help = "Examples:\n  plenary man | man -l -\n  plenary man --out man/   (man/plenary.1, man/plenary-run.1, ...)\n  plenary man --markdown > docs/cli.md"
    )]
    Man(ManArgs),
}

/// Flags of `plenary completions`.
#[derive(Debug, Clone, Args)]
struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Flags of `plenary man`.
#[derive(Debug, Clone, Args)]
struct ManArgs {
    /// Write one page per subcommand into this directory (plenary.1, plenary-run.1, ...)
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR", conflicts_with = "markdown")]
    out: Option<PathBuf>,
    /// Print the Markdown table of subcommands that docs/cli.md holds instead.
    #[arg(long)]
    markdown: bool,
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // clap's own help and errors follow --color too.
    let color = output::color_from_args(&args);
    let parsed = Cli::command()
        .color(color.to_clap())
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
        .and_then(|cli| {
            // clap checks conflicts on one level only: `plenary -q run -v` lands here.
            if cli.global.quiet && cli.global.verbose > 0 {
                return Err(Cli::command().color(color.to_clap()).error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "the argument '--quiet' cannot be used with '--verbose'",
                ));
            }
            Ok(cli)
        });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors exit with 2 and clap's one-line reason.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                output::EXIT_USAGE
            } else {
                0
            });
        }
    };
    output::init(&cli.global);
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", output::one_line(&e));
            if output::is_usage(&e) {
                ExitCode::from(output::EXIT_USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn dispatch(command: Command) -> Result<ExitCode> {
    match command {
        Command::Run(args) => common::run(&args),
        Command::Designs(args) => common::designs(&args),
        Command::Scenarios(args) => common::scenarios(&args),
        Command::Strategies(args) => common::strategies(&args),
        Command::Check(args) => common::check(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Conformance(args) => conformance_cmd::run(&args),
        Command::Delegate(args) => remote::delegate(&args),
        Command::EchoServer(args) => bench_remote::echo_server(&args),
        Command::Chair(args) => remote::chair(&args),
        Command::Watch(args) => remote::watch(&args),
        Command::Lab(args) => remote::lab(&args),
        Command::Session(args) => remote::session(&args),
        Command::Health(args) => remote::health(&args),
        Command::Soak(args) => soak::run(&args),
        Command::Tokens(args) => remote::tokens(&args),
        Command::Deploy(args) => deploy::run(&args),
        Command::Tournament(args) => tournament_cmd::tournament(&args),
        Command::Merge(args) => tournament_cmd::merge(&args),
        Command::Report(args) => tournament_cmd::report_cmd(&args),
        Command::Replay(args) => tournament_cmd::replay(&args),
        Command::Schema(args) => tournament_cmd::schema(&args),
        Command::Export(args) => tournament_cmd::export(&args),
        Command::Experiment(which) => tournament_cmd::experiment(&which),
        Command::Completions(args) => completions(&args),
        Command::Man(args) => man(&args),
    }
}

/// `plenary completions SHELL`.
fn completions(args: &CompletionsArgs) -> Result<ExitCode> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "plenary", &mut out);
    to_stdout(&out)
}

/// Writes generated text to stdout; a reader that stops early (`| head`) is no error.
fn to_stdout(bytes: &[u8]) -> Result<ExitCode> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// `plenary man`.
fn man(args: &ManArgs) -> Result<ExitCode> {
    if args.markdown {
        return to_stdout(markdown(&Cli::command()).as_bytes());
    }
    let Some(dir) = &args.out else {
        let mut out = Vec::new();
        clap_mangen::Man::new(Cli::command()).render(&mut out)?;
        return to_stdout(&out);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = 0;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    write_pages(&cmd, dir, &mut written)?;
    progress!("{written} man pages written to {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes the page of `cmd` and of each of its visible subcommands into `dir`.
fn write_pages(cmd: &clap::Command, dir: &std::path::Path, written: &mut usize) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    let page = clap_mangen::Man::new(cmd.clone());
    let path = dir.join(page.get_filename());
    let mut out = Vec::new();
    page.render(&mut out)?;
    std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))?;
    *written += 1;
    Ok(())
}

/// The Markdown of docs/cli.md: every visible subcommand with its one-line about, and
/// the global flags.
fn markdown(cmd: &clap::Command) -> String {
    fn rows(cmd: &clap::Command, prefix: &str, out: &mut String) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = format!("{prefix} {}", sub.get_name());
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            out.push_str(&format!("| `{name}` | {} |\n", about.replace('|', "\\|")));
            rows(sub, &name, out);
        }
    }
    let mut out = String::from(
        "# The plenary command line\n\n<!-- Generated from the binary by `plenary man --markdown`; regenerate with\n     PLENARY_UPDATE_DOCS=1 cargo test -p plenary-cli --test docs -->\n\n`plenary COMMAND --help` gives each command's flags and examples; `plenary man` its manual page.\n\n| command | what it does |\n| --- | --- |\n",
    );
    rows(cmd, cmd.get_name(), &mut out);
    out.push_str(
        "\nGlobal flags, accepted by every command:\n\n| flag | what it does |\n| --- | --- |\n",
    );
    for arg in cmd.get_arguments().filter(|a| a.is_global_set()) {
        let mut flag = format!("--{}", arg.get_long().unwrap_or_default());
        if let Some(s) = arg.get_short() {
            flag = format!("-{s}, {flag}");
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        out.push_str(&format!("| `{flag}` | {} |\n", help.replace('|', "\\|")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_before_or_after_the_command() {
        let cli = Cli::try_parse_from(["plenary", "-q", "designs", "--color", "never"]).unwrap();
        assert!(cli.global.quiet);
        assert_eq!(cli.global.color, output::ColorChoice::Never);
        let cli = Cli::try_parse_from(["plenary", "run", "-vv"]).unwrap();
        assert_eq!(cli.global.verbose, 2);
        assert!(Cli::try_parse_from(["plenary", "run", "-q", "-v"]).is_err());
    }
}
