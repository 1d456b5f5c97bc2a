//! The conventions every subcommand shares: the global flags `-q/--quiet`,
//! `-v/--verbose` and `--color`, logging, progress lines, usage errors (exit 2) and
//! how an error is printed (one line, each cause once).

use clap::{Args, ValueEnum};
use std::fmt;
use std::io::IsTerminal;
use std::sync::OnceLock;

/// Exit code of a usage error: a bad flag value, an unknown preset or strategy name.
pub const EXIT_USAGE: u8 = 2;

/// When to use colour (and other terminal escape codes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    // Only on a terminal, and not when NO_COLOR is set to a non-empty value or TERM is
    // `dumb`.
    #[default]
    Auto,
    // Always, even into files and pipes.
    Always,
    Never,
}

impl ColorChoice {
    /// The choice as clap's own (help and error messages).
    pub fn to_clap(self) -> clap::ColorChoice {
        match self {
            ColorChoice::Auto => clap::ColorChoice::Auto,
            ColorChoice::Always => clap::ColorChoice::Always,
            ColorChoice::Never => clap::ColorChoice::Never,
        }
    }

    /// Whether a stream that is (or is not) a terminal gets colour.
    fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
                terminal && !no_color && !dumb
            }
        }
    }
}

/// Heading of the global flags in every command's help.
const GLOBAL: &str = "Global options";

/// The global flags, accepted by every subcommand (before or after its name).
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Print only results, warnings and errors: no progress or status lines, logs at
    /// warn (RUST_LOG, when set, still chooses the logs).
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = GLOBAL)]
    pub quiet: bool,
    /// More logs: -v info for every crate and debug for plenary, -vv debug and trace,
    /// -vvv trace (RUST_LOG, when set, wins).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,
    /// Colour and terminal escape codes: auto (only on a terminal and without
    /// NO_COLOR), always or never. Files and pipes get none under auto.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, help_heading = GLOBAL)]
    pub color: ColorChoice,
}

static SETTINGS: OnceLock<GlobalArgs> = OnceLock::new();

/// Records the global flags for the rest of the run and starts the logs.
pub fn init(g: &GlobalArgs) {
    let _ = SETTINGS.set(g.clone());
    init_tracing(g);
}

fn settings() -> GlobalArgs {
    SETTINGS.get().cloned().unwrap_or_default()
}

/// Whether `-q` was given: progress and status lines are not printed.
pub fn quiet() -> bool {
    settings().quiet
}

/// Whether what goes to stderr (logs, the progress bar) may carry escape codes.
pub fn color_stderr() -> bool {
    settings().color.enabled(std::io::stderr().is_terminal())
}

/// Whether a live progress bar (cursor movement, no colour) may be drawn on stderr: a
/// terminal, not `dumb`, not under CI, not `--color never`, not `-q`.
pub fn progress_bar() -> bool {
    let s = settings();
    !s.quiet
        && s.color != ColorChoice::Never
        && std::io::stderr().is_terminal()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        && std::env::var_os("CI").is_none()
}

/// The log filter of a verbosity: `-q` warnings only, default warnings (info for
/// plenary), `-v` info (debug for plenary), `-vv` debug (trace for plenary), `-vvv`
/// everything.
pub fn log_filter(quiet: bool, verbose: u8) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "warn,plenary=info",
        (false, 1) => "info,plenary=debug",
        (false, 2) => "debug,plenary=trace",
        (false, _) => "trace",
    }
}

/// Logs go to stderr; a non-empty `RUST_LOG` overrides the level the flags choose.
fn init_tracing(g: &GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|_| EnvFilter::try_from_default_env().ok());
    let filter = from_env.unwrap_or_else(|| EnvFilter::new(log_filter(g.quiet, g.verbose)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(color_stderr())
        .with_writer(std::io::stderr)
        .try_init();
}

/// The `--color` value on a command line before clap parses it (so that clap's own
/// help and errors follow it too); the last one wins, nothing after `--` counts.
pub fn color_from_args(args: &[std::ffi::OsString]) -> ColorChoice {
    let mut choice = ColorChoice::Auto;
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        let value = match a.as_ref() {
            "--" => break,
            "--color" => it.next().map(|v| v.into_owned()),
            a => a.strip_prefix("--color=").map(str::to_owned),
        };
        if let Some(v) = value
            && let Ok(c) = ColorChoice::from_str(&v, false)
        {
            choice = c;
        }
    }
    choice
}

/// Prints a progress or status line on stderr, as `eprintln!`, unless `-q` was given.
/// Warnings, errors and what a user must act on use `eprintln!`.
macro_rules! progress {
    ($($arg:tt)*) => {
        if !$crate::output::quiet() {
            eprintln!($($arg)*);
        }
    };
}

/// A usage error: a flag value the command cannot use (an unknown preset, strategy or
/// bloc, a malformed assignment). `main` prints it as one `error:` line and exits 2.
#[derive(Debug)]
pub struct UsageError(String);

impl UsageError {
    /// A usage error about `flag` (`--design`), for the reason `why`.
    pub fn new(flag: &str, why: impl fmt::Display) -> UsageError {
        UsageError(format!("{flag}: {why}"))
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// `.usage("--flag")?`: turns any error about a flag's value into a [`UsageError`].
pub trait UsageExt<T> {
    /// The error, as a usage error about `flag`.
    fn usage(self, flag: &str) -> anyhow::Result<T>;
}

impl<T, E: fmt::Display> UsageExt<T> for Result<T, E> {
    fn usage(self, flag: &str) -> anyhow::Result<T> {
        self.map_err(|e| UsageError::new(flag, e).into())
    }
}

/// Whether an error (or one of its causes) is a usage error.
pub fn is_usage(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<UsageError>())
}

/// An error and its causes on one line, `a: b: c`, leaving out a cause whose text
/// the message before it already shows (errors that print their source and also
/// chain it would otherwise say the same thing twice).
pub fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    let mut previous = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || (!previous.is_empty() && previous.contains(&text)) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
        previous = text;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_the_message_already_shows_is_printed_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        #[derive(Debug)]
        struct Repeats(std::io::Error);
        impl fmt::Display for Repeats {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "x.toml: cannot read: {}", self.0)
            }
        }
        impl std::error::Error for Repeats {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = anyhow::Error::new(Repeats(io)).context("loading scenario");
        assert_eq!(
            one_line(&e),
            "loading scenario: x.toml: cannot read: no such file"
        );
    }

    #[test]
    fn usage_errors_are_found_under_context() {
        let e: anyhow::Error = UsageError::new("--design", "unknown design `x`").into();
        assert!(is_usage(&e.context("preparing")));
        assert!(!is_usage(&anyhow::anyhow!("disk full")));
    }

    #[test]
    fn the_last_color_flag_wins_and_nothing_after_double_dash() {
        let args = |a: &[&str]| a.iter().map(Into::into).collect::<Vec<_>>();
        assert_eq!(
            color_from_args(&args(&["plenary", "run"])),
            ColorChoice::Auto
        );
        assert_eq!(
            color_from_args(&args(&["plenary", "--color", "never", "run"])),
            ColorChoice::Never
        );
        assert_eq!(
            color_from_args(&args(&[
                "plenary",
                "run",
                "--color=always",
                "--color=never"
            ])),
            ColorChoice::Never
        );
        assert_eq!(
            color_from_args(&args(&["plenary", "run", "--", "--color=never"])),
            ColorChoice::Auto
        );
    }

    #[test]
    fn verbosity_chooses_the_log_filter() {
        assert_eq!(log_filter(false, 0), "warn,plenary=info");
        assert_eq!(log_filter(true, 0), "warn");
        assert_eq!(log_filter(false, 1), "info,plenary=debug");
        assert_eq!(log_filter(false, 5), "trace");
    }
}
