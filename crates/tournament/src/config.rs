//! Tournament configuration: a TOML file (`#[serde(deny_unknown_fields)]` everywhere) or
//! the embedded default ([`DEFAULT_CONFIG`]). Parsing and validation are pure functions:
//! the caller reads the bytes, and every error names the file and the key path.
//!
//! ```toml
//! seed = 2021                     # master seed: every match seed derives from it
//! replications = 3                # default replications of every format
//! strategies = ["hardliner", "conceder"]
//! designs = ["osce-2021", "path1-upgraded"]
//! scenarios = ["osce-2021"]
//! neutral_blocs = ["non-aligned", "nn"]   # seat class `neutral`
//!
//! [rotation]                      # each strategy in each seat class against a background
//! background = "mixed"            # or a strategy name
//!
//! [bloc-vs-bloc]                  # West plays A, East plays B, neutrals play C
//! strategies = ["hardliner", "conceder"]   # optional subset for the pairs
//! neutrals = "mediator"
//!
//! [evolutionary]                  # replicator dynamics over generations
//! generations = 10
//! matches = 2                     # matches per generation per (scenario, design)
//! selection = 0.5                 # beta of the exponential replicator, per sd of payoff
//! standardize = true              # payoffs divided by their sd across strategies
//!
//! [invasion]                      # one State plays A among residents playing B
//! invaders = ["hardliner"]
//! residents = ["dissociator"]
//!
//! [population]                    # every seat drawn from the strategies (design comparison)
//!
//! [endpoints]                     # external delegations (any language), played remotely
//! py-reciprocator = "http://127.0.0.1:50061"   # then list "py-reciprocator" in strategies
//!
//! [commands]                      # entrants started by a command, played remotely
//! py-strategy = ["python3", "my_strategy.py", "--listen", "{addr}"]
//! ```
//!
//! A format runs when its table is present. Each format table accepts its own
//! `replications`, overriding the top-level value.
//!
//! Limits: a tournament plans at most [`MAX_PLANNED_MATCHES`] matches (checked from the
//! configuration alone, before anything is loaded or planned) and at most
//! [`MAX_PLANNED_SEATS`] seats, matches times States (checked when the scenarios are
//! loaded, see [`Catalog::load`](crate::plan::Catalog::load)). Names are ids
//! ([`plenary_core::validate::check_id`]), lists hold no repeats, endpoint URLs are
//! checked with [`plenary_core::validate::parse_endpoint_url`].

use plenary_core::files::{FileError, FileErrors, Problems, parse_toml};
use plenary_core::validate::{self, quote};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most matches a tournament may plan: a million (the plan of fixed formats is held in
/// memory, a few KiB per match of 57 States). Split bigger studies into several
/// tournaments with their own seeds.
pub const MAX_PLANNED_MATCHES: u64 = 1_000_000;

/// Most seats (matches x States of their scenario) a tournament may plan: 50 million,
/// about 2 GiB of planned strategy names.
pub const MAX_PLANNED_SEATS: u64 = 50_000_000;

/// The embedded default tournament (`plenary tournament` without `--config`).
pub const DEFAULT_CONFIG: &str = include_str!("../default.toml");

/// A tournament configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Master seed.
    pub seed: u64,
    /// Replications of every format (formats may override).
    pub replications: u32,
    /// Strategy names taking part.
    pub strategies: Vec<String>,
    /// Design presets or files.
    pub designs: Vec<String>,
    /// Scenario presets or files.
    pub scenarios: Vec<String>,
    /// Blocs whose non-leader seats form the `neutral` seat class.
    #[serde(default = "default_neutral_blocs")]
    pub neutral_blocs: Vec<String>,
    /// Seat rotation format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<Rotation>,
    /// Bloc-vs-bloc format.
    #[serde(
        default,
        rename = "bloc-vs-bloc",
        skip_serializing_if = "Option::is_none"
    )]
    pub bloc_vs_bloc: Option<BlocVsBloc>,
    /// Evolutionary (ecological) format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evolutionary: Option<Evolutionary>,
    /// Invasion format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invasion: Option<Invasion>,
    /// Mixed-population format (every seat drawn from the strategies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<Population>,
    /// External delegations (strategies written by others, in any language): strategy
    /// name = URL of a `plenary.v1.Delegation` endpoint that plays every seat given that
    /// name. A tournament naming any runs remotely.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoints: BTreeMap<String, String>,
    /// Entrants started by a command (any language): strategy name = the command and its
    /// arguments, `{addr}` standing for the address to listen on. The process must print
    /// `listening on ADDR` and read its token from `PLENARY_TOKEN`; relative paths are
    /// relative to the config file. A tournament naming any runs remotely.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commands: BTreeMap<String, Vec<String>>,
}

fn default_neutral_blocs() -> Vec<String> {
    crate::plan::NEUTRAL_BLOCS.map(String::from).to_vec()
}

fn mixed() -> String {
    "mixed".into()
}

/// `[rotation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Replications (default: the top-level value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replications: Option<u32>,
    /// Strategy of the background seats: a name, or `mixed` (each background seat
    /// drawn uniformly from the strategies).
    #[serde(default = "mixed")]
    pub background: String,
}

/// `[bloc-vs-bloc]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlocVsBloc {
    /// Replications (default: the top-level value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replications: Option<u32>,
    /// Strategies paired (every ordered pair, including a strategy against itself).
    /// Default: all strategies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategies: Option<Vec<String>>,
    /// Strategy of every seat outside the first two blocs (C).
    pub neutrals: String,
}

/// `[evolutionary]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evolutionary {
    /// Generations.
    pub generations: u32,
    /// Matches per generation per (scenario, design).
    pub matches: u32,
    /// Selection strength beta of the exponential replicator: per standard deviation
    /// of the generation's payoffs when `standardize` (the default), else per unit of
    /// gain.
    pub selection: f64,
    /// Divide each generation's payoffs by their standard deviation across strategies
    /// before the replicator step (gains differ in scale between designs).
    #[serde(default = "yes")]
    pub standardize: bool,
}

fn yes() -> bool {
    true
}

/// `[invasion]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invasion {
    /// Replications (default: the top-level value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replications: Option<u32>,
    /// Invading strategies (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invaders: Option<Vec<String>>,
    /// Resident strategies (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residents: Option<Vec<String>>,
}

/// `[population]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Replications (default: the top-level value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replications: Option<u32>,
}

impl Config {
    /// Parses and checks a configuration. `origin` names the file in errors;
    /// `known_strategies` are the names the strategy registry accepts.
    pub fn parse(
        origin: &str,
        text: &str,
        known_strategies: &[&str],
    ) -> Result<Config, FileErrors> {
        let c: Config = parse_toml(origin, text).map_err(FileErrors::from)?;
        c.validate(origin, known_strategies)?;
        Ok(c)
    }

    /// The embedded default configuration.
    pub fn default_config(known_strategies: &[&str]) -> Result<Config, FileErrors> {
        Config::parse(
            "embedded:default-tournament",
            DEFAULT_CONFIG,
            known_strategies,
        )
    }

    /// Semantic checks (strategy names, empty lists, repeats, ranges, endpoint URLs,
    /// the plan size limit).
    pub fn validate(&self, origin: &str, known: &[&str]) -> Result<(), FileErrors> {
        let mut p = Problems::new(origin);
        for (name, url) in &self.endpoints {
            p.id(format!("endpoints.{name}"), name);
            if known.contains(&name.as_str()) {
                p.push(
                    format!("endpoints.{name}"),
                    "is the name of a built-in strategy; give the external delegation its own name",
                );
            }
            if let Err(e) = validate::parse_endpoint_url(url) {
                p.push(format!("endpoints.{name}"), e.to_string());
            }
        }
        for (name, cmd) in &self.commands {
            if known.contains(&name.as_str()) {
                p.push(
                    format!("commands.{name}"),
                    "is the name of a built-in strategy; give the entrant its own name",
                );
            }
            if self.endpoints.contains_key(name) {
                p.push(
                    format!("commands.{name}"),
                    "is also in [endpoints]; an entrant has one or the other",
                );
            }
            if cmd.is_empty() || cmd[0].trim().is_empty() {
                p.push(
                    format!("commands.{name}"),
                    "must name a program, e.g. [\"python3\", \"my_strategy.py\", \"--listen\", \"{addr}\"]",
                );
            }
            if !cmd.iter().any(|a| a.contains("{addr}")) {
                p.push(
                    format!("commands.{name}"),
                    "must pass `{addr}` (the address to listen on) to the program",
                );
            }
        }
        p.count("strategies", self.strategies.len(), validate::MAX_LIST);
        for (key, list) in [
            ("designs", &self.designs),
            ("scenarios", &self.scenarios),
            ("neutral_blocs", &self.neutral_blocs),
        ] {
            p.count(key, list.len(), validate::MAX_LIST);
            no_repeats(&mut p, key, list);
        }
        for (i, d) in self.designs.iter().enumerate() {
            p.spec(format!("designs[{i}]"), d);
        }
        for (i, s) in self.scenarios.iter().enumerate() {
            p.spec(format!("scenarios[{i}]"), s);
        }
        for (i, b) in self.neutral_blocs.iter().enumerate() {
            p.id(format!("neutral_blocs[{i}]"), b);
        }
        // External delegations and command entrants are strategies too.
        let with_external: Vec<&str> = known
            .iter()
            .copied()
            .chain(self.endpoints.keys().map(String::as_str))
            .chain(self.commands.keys().map(String::as_str))
            .collect();
        let known: &[&str] = if known.is_empty() {
            known
        } else {
            &with_external
        };
        let check_names = |p: &mut Problems, key: &str, names: &[String]| {
            if names.is_empty() {
                p.push(key.to_string(), "must not be empty");
            }
            for (i, n) in names.iter().enumerate() {
                if let Err(e) = validate::check_id(n) {
                    p.push(format!("{key}[{i}]"), e.to_string());
                } else if !known.is_empty() && !known.contains(&n.as_str()) {
                    p.push(
                        format!("{key}[{i}]"),
                        format!("unknown strategy `{n}` (known: {})", known.join(", ")),
                    );
                }
            }
            no_repeats(p, key, names);
        };
        if self.strategies.len() <= validate::MAX_LIST {
            check_names(&mut p, "strategies", &self.strategies);
        }
        if self.designs.is_empty() {
            p.push("designs", "must not be empty");
        }
        if self.scenarios.is_empty() {
            p.push("scenarios", "must not be empty");
        }
        if self.replications == 0 {
            p.push("replications", "must be at least 1");
        }
        let one = |p: &mut Problems, key: &str, name: &str| {
            if let Err(e) = validate::check_id(name) {
                p.push(key.to_string(), e.to_string());
            } else if !known.is_empty() && !known.contains(&name) {
                p.push(
                    key.to_string(),
                    format!("unknown strategy `{name}` (known: {})", known.join(", ")),
                );
            }
        };
        let reps = |p: &mut Problems, key: &str, r: Option<u32>| {
            if r == Some(0) {
                p.push(key.to_string(), "must be at least 1");
            }
        };
        if let Some(r) = &self.rotation {
            reps(&mut p, "rotation.replications", r.replications);
            if r.background != "mixed" {
                one(&mut p, "rotation.background", &r.background);
            }
        }
        if let Some(b) = &self.bloc_vs_bloc {
            reps(&mut p, "bloc-vs-bloc.replications", b.replications);
            if let Some(s) = &b.strategies {
                check_names(&mut p, "bloc-vs-bloc.strategies", s);
            }
            one(&mut p, "bloc-vs-bloc.neutrals", &b.neutrals);
        }
        if let Some(e) = &self.evolutionary {
            if e.generations == 0 {
                p.push("evolutionary.generations", "must be at least 1");
            }
            if e.matches == 0 {
                p.push("evolutionary.matches", "must be at least 1");
            }
            p.range("evolutionary.selection", e.selection, 0.0, 1e6);
        }
        if let Some(i) = &self.invasion {
            reps(&mut p, "invasion.replications", i.replications);
            if let Some(s) = &i.invaders {
                check_names(&mut p, "invasion.invaders", s);
            }
            if let Some(s) = &i.residents {
                check_names(&mut p, "invasion.residents", s);
            }
        }
        if let Some(x) = &self.population {
            reps(&mut p, "population.replications", x.replications);
        }
        if self.rotation.is_none()
            && self.bloc_vs_bloc.is_none()
            && self.evolutionary.is_none()
            && self.invasion.is_none()
            && self.population.is_none()
        {
            p.push("", "no format table: add at least one of [rotation], [bloc-vs-bloc], [evolutionary], [invasion], [population]");
        }
        // Only when the lists are sane: the count is of their lengths.
        if p.is_empty() {
            let counts = self.planned_matches();
            let total: u128 = counts.iter().map(|c| c.1).sum();
            if total > u128::from(MAX_PLANNED_MATCHES) {
                let (biggest, _) = counts
                    .iter()
                    .max_by_key(|c| c.1)
                    .copied()
                    .unwrap_or_default();
                let parts: Vec<String> = counts
                    .iter()
                    .filter(|c| c.1 > 0)
                    .map(|(f, n)| format!("{f} {n}"))
                    .collect();
                p.push(
                    biggest,
                    format!(
                        "this configuration plans {total} matches ({}), more than the limit of {MAX_PLANNED_MATCHES} per tournament: lower replications, generations or matches, or split the study into several tournaments",
                        parts.join(", ")
                    ),
                );
            }
        }
        p.finish()
    }

    /// Matches each format plans, `(format table, count)`, computed from the lists
    /// alone (no scenario is loaded and nothing is allocated): exact except for
    /// rotation, counted as if every scenario had all three seat classes.
    pub fn planned_matches(&self) -> Vec<(&'static str, u128)> {
        let n = |x: usize| x as u128;
        let cells = n(self.scenarios.len()) * n(self.designs.len());
        let reps = |r: Option<u32>| u128::from(r.unwrap_or(self.replications));
        let k = n(self.strategies.len());
        let mut out = Vec::new();
        if let Some(r) = &self.rotation {
            out.push(("rotation", cells * reps(r.replications) * 3 * k));
        }
        if let Some(b) = &self.bloc_vs_bloc {
            let l = b.strategies.as_ref().map_or(k, |s| n(s.len()));
            out.push(("bloc-vs-bloc", cells * reps(b.replications) * l * l));
        }
        if let Some(e) = &self.evolutionary {
            out.push((
                "evolutionary",
                cells * u128::from(e.generations) * u128::from(e.matches),
            ));
        }
        if let Some(i) = &self.invasion {
            let invaders = i.invaders.as_ref().unwrap_or(&self.strategies);
            let residents = i.residents.as_ref().unwrap_or(&self.strategies);
            let pairs = residents
                .iter()
                .map(|r| invaders.iter().filter(|x| *x != r).count() as u128)
                .sum::<u128>();
            out.push(("invasion", cells * reps(i.replications) * pairs));
        }
        if let Some(x) = &self.population {
            out.push(("population", cells * reps(x.replications)));
        }
        out
    }

    /// Canonical TOML of the configuration (written to `DIR/config.toml`).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("config serializes to TOML")
    }

    /// A fingerprint of the configuration (FNV-1a of its canonical JSON), stored in
    /// every match record so that `--resume` and `merge` refuse mixed tournaments.
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_string(self).expect("config serializes");
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in json.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// Reports every entry of `list` equal to an earlier one, naming the earlier index (a
/// repeated design or scenario would be run and counted twice).
fn no_repeats(p: &mut Problems, key: &str, list: &[String]) {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, x) in list.iter().enumerate() {
        if let Some(j) = first.insert(x.as_str(), i) {
            p.push(
                format!("{key}[{i}]"),
                format!("{} is already listed as {key}[{j}]", quote(x)),
            );
            first.insert(x.as_str(), j);
        }
    }
}

/// Checks that every `neutral_blocs` entry names a bloc of at least one scenario (a
/// typo would silently put every neutral seat in the `member` class). The default list
/// names the neutral blocs of both presets and is exempt.
pub fn check_neutral_blocs<'a>(
    origin: &str,
    cfg: &Config,
    blocs: impl Iterator<Item = &'a str>,
) -> Result<(), FileErrors> {
    if cfg.neutral_blocs == default_neutral_blocs() {
        return Ok(());
    }
    let known: BTreeSet<&str> = blocs.collect();
    let mut p = Problems::new(origin);
    for (i, b) in cfg.neutral_blocs.iter().enumerate() {
        if !known.contains(b.as_str()) {
            p.push(
                format!("neutral_blocs[{i}]"),
                format!(
                    "{} is a bloc of none of the scenarios (blocs: {})",
                    quote(b),
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    p.finish()
}

/// One configuration key: its dotted path, default and meaning. [`KEYS`] is the single
/// source of the reference in the crate's README and of the comments of
/// `plenary tournament --print-config`; a test fails when a key of [`Config`] is
/// missing from it or the README's table differs from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDoc {
    /// Dotted key (`rotation.background`; a table alone: `rotation`).
    pub key: &'static str,
    /// Default, or `required`.
    pub default: &'static str,
    /// What it means.
    pub meaning: &'static str,
}

/// Every key of a tournament configuration, in file order.
pub const KEYS: &[KeyDoc] = &[
    KeyDoc {
        key: "seed",
        default: "required",
        meaning: "Master seed (0 to 2^53 - 1): every match seed derives from it and the match's key, so the same configuration gives the same matches everywhere.",
    },
    KeyDoc {
        key: "replications",
        default: "required",
        meaning: "Replications of every format (a format table may override it). Each replication redraws seats, preferences and backgrounds.",
    },
    KeyDoc {
        key: "strategies",
        default: "required",
        meaning: "Strategies taking part: built-in names (`plenary strategies`) and names given in [endpoints].",
    },
    KeyDoc {
        key: "designs",
        default: "required",
        meaning: "Institutional designs: preset ids (`plenary designs`) or paths of design files.",
    },
    KeyDoc {
        key: "scenarios",
        default: "required",
        meaning: "Scenarios (membership, blocs, agenda): preset ids (`plenary scenarios`) or paths of scenario files.",
    },
    KeyDoc {
        key: "neutral_blocs",
        default: "[\"non-aligned\", \"nn\"]",
        meaning: "Blocs whose non-leader States form the `neutral` seat class (other non-leaders are `member`s; each bloc's largest capability is its `leader`).",
    },
    KeyDoc {
        key: "rotation",
        default: "absent (format off)",
        meaning: "Seat rotation: for every scenario, design, replication, seat class and strategy, one focal seat of that class plays the strategy against a background; all strategies of a replication and class share the seat, preferences and background.",
    },
    KeyDoc {
        key: "rotation.replications",
        default: "the top-level replications",
        meaning: "Replications of this format.",
    },
    KeyDoc {
        key: "rotation.background",
        default: "\"mixed\"",
        meaning: "Strategy of the background seats: a strategy name, or `mixed` (each background seat drawn uniformly from the strategies).",
    },
    KeyDoc {
        key: "bloc-vs-bloc",
        default: "absent (format off)",
        meaning: "Bloc against bloc: the first bloc plays A, the second plays B, every other seat plays `neutrals`, for every ordered pair (A, B).",
    },
    KeyDoc {
        key: "bloc-vs-bloc.replications",
        default: "the top-level replications",
        meaning: "Replications of this format.",
    },
    KeyDoc {
        key: "bloc-vs-bloc.strategies",
        default: "all strategies",
        meaning: "The strategies paired (every ordered pair, a strategy against itself included).",
    },
    KeyDoc {
        key: "bloc-vs-bloc.neutrals",
        default: "required",
        meaning: "Strategy of every seat outside the first two blocs.",
    },
    KeyDoc {
        key: "evolutionary",
        default: "absent (format off)",
        meaning: "Ecological tournament: one population per scenario and design, seats apportioned to strategies by their shares, shares updated by the exponential replicator dynamics each generation.",
    },
    KeyDoc {
        key: "evolutionary.generations",
        default: "required",
        meaning: "Generations (at least 1).",
    },
    KeyDoc {
        key: "evolutionary.matches",
        default: "required",
        meaning: "Matches per generation per (scenario, design) population.",
    },
    KeyDoc {
        key: "evolutionary.selection",
        default: "required",
        meaning: "Selection strength beta of x'_s = x_s exp(beta f_s) / sum_t x_t exp(beta f_t): per standard deviation of the generation's payoffs when `standardize`, else per unit of gain (0 = no selection).",
    },
    KeyDoc {
        key: "evolutionary.standardize",
        default: "true",
        meaning: "Divide each generation's payoffs by their standard deviation across strategies first (gains differ in scale between designs).",
    },
    KeyDoc {
        key: "invasion",
        default: "absent (format off)",
        meaning: "Invasion: one State (drawn with the match seed) plays an invader among residents all playing another strategy.",
    },
    KeyDoc {
        key: "invasion.replications",
        default: "the top-level replications",
        meaning: "Replications of this format.",
    },
    KeyDoc {
        key: "invasion.invaders",
        default: "all strategies",
        meaning: "Invading strategies.",
    },
    KeyDoc {
        key: "invasion.residents",
        default: "all strategies",
        meaning: "Resident strategies (an invader never invades its own kind).",
    },
    KeyDoc {
        key: "population",
        default: "absent (format off)",
        meaning: "Mixed population: every seat drawn uniformly from the strategies (used to compare designs).",
    },
    KeyDoc {
        key: "population.replications",
        default: "the top-level replications",
        meaning: "Replications of this format.",
    },
    KeyDoc {
        key: "endpoints",
        default: "empty",
        meaning: "External delegations (any language): NAME = \"http://HOST:PORT\" of a delegation endpoint that plays every seat given strategy NAME; list NAME in `strategies`. A tournament naming any runs remotely.",
    },
    KeyDoc {
        key: "commands",
        default: "empty",
        meaning: "Entrants started by a command (any language): NAME = [\"python3\", \"my_strategy.py\", \"--listen\", \"{addr}\"]; the program must print `listening on ADDR` and read its token from PLENARY_TOKEN; relative paths are relative to the config file; list NAME in `strategies`. A tournament naming any runs remotely.",
    },
];

/// The documentation of `key` (dotted), if it is a configuration key.
pub fn key_doc(key: &str) -> Option<&'static KeyDoc> {
    KEYS.iter().find(|k| k.key == key)
}

/// The configuration reference as a Markdown table (kept in the crate's README).
pub fn reference_markdown() -> String {
    let mut o = String::from("| key | default | meaning |\n| --- | --- | --- |\n");
    for k in KEYS {
        let key = if k.key.contains('.') || !is_table(k.key) {
            format!("`{}`", k.key)
        } else {
            format!("`[{}]`", k.key)
        };
        o.push_str(&format!(
            "| {key} | {} | {} |\n",
            k.default.replace('|', "\\|"),
            k.meaning.replace('|', "\\|")
        ));
    }
    o
}

fn is_table(key: &str) -> bool {
    KEYS.iter()
        .any(|k| k.key.strip_prefix(key).is_some_and(|r| r.starts_with('.')))
        || key == "endpoints"
}

/// Wraps `text` into `# `-comment lines of at most `width` characters.
fn comment(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > width && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    if line.len() > 1 {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

impl Config {
    /// The configuration as TOML with every key explained (`plenary tournament
    /// --print-config`): the keys set are written with their meaning and default above
    /// them; the optional keys and format tables left out are shown commented out.
    /// Parses back to the same configuration.
    pub fn to_commented_toml(&self) -> String {
        let value = toml::Value::try_from(self).expect("config serializes to TOML");
        let table = value.as_table().cloned().unwrap_or_default();
        let mut o = String::from(
            "# plenary tournament configuration. Every key is explained above it; keys and\n# tables shown commented out take their defaults. Reference: crates/tournament/README.md.\n\n",
        );
        let doc = |k: &KeyDoc| comment(&format!("{} (default: {})", k.meaning, k.default), 88);
        // Top-level keys.
        for k in KEYS
            .iter()
            .filter(|k| !k.key.contains('.') && !is_table(k.key))
        {
            o.push_str(&doc(k));
            match table.get(k.key) {
                Some(v) => o.push_str(&format!("{} = {v}\n\n", k.key)),
                None => o.push_str(&format!("# {} =\n\n", k.key)),
            }
        }
        // Tables.
        for t in KEYS
            .iter()
            .filter(|k| !k.key.contains('.') && is_table(k.key))
        {
            let present = table.get(t.key).and_then(|v| v.as_table());
            o.push_str(&doc(t));
            let off = if present.is_some() { "" } else { "# " };
            o.push_str(&format!("{off}[{}]\n", t.key));
            if t.key == "endpoints" {
                match present {
                    Some(e) => {
                        for (name, url) in e {
                            o.push_str(&format!("{} = {url}\n", toml_key(name)));
                        }
                    }
                    None => o.push_str("# my-delegation = \"http://127.0.0.1:50061\"\n"),
                }
                o.push('\n');
                continue;
            }
            let prefix = format!("{}.", t.key);
            for k in KEYS.iter().filter(|k| k.key.starts_with(&prefix)) {
                let name = &k.key[prefix.len()..];
                o.push_str(&doc(k));
                match present.and_then(|p| p.get(name)) {
                    Some(v) => o.push_str(&format!("{off}{name} = {v}\n")),
                    None => o.push_str(&format!("# {name} =\n")),
                }
            }
            o.push('\n');
        }
        o.trim_end().to_string() + "\n"
    }
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        k.to_string()
    } else {
        toml::Value::String(k.to_string()).to_string()
    }
}

/// Builds a [`FileError`]-style message for a problem found later (e.g. a design that
/// does not fit a scenario), naming the config key.
pub fn key_error(origin: &str, key: impl Into<String>, message: impl Into<String>) -> FileErrors {
    FileErrors::from(FileError::at(origin, key, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["a", "b", "c"];

    fn base() -> String {
        "seed = 1\nreplications = 2\nstrategies = [\"a\", \"b\"]\ndesigns = [\"osce-2021\"]\nscenarios = [\"osce-2021\"]\n".into()
    }

    #[test]
    fn external_endpoints_are_strategies_with_checked_urls() {
        let known = ["dissociator", "hardliner"];
        let ok = "seed = 1\nreplications = 1\nstrategies = [\"dissociator\", \"mine\"]\ndesigns = [\"osce-2021\"]\nscenarios = [\"osce-2021\"]\n[rotation]\n[endpoints]\nmine = \"http://127.0.0.1:5\"\n";
        let c = Config::parse("t.toml", ok, &known).unwrap();
        assert_eq!(c.endpoints["mine"], "http://127.0.0.1:5");
        let bad = ok
            .replace("http://127.0.0.1:5", "127.0.0.1:5")
            .replace("mine = ", "hardliner = \"http://x\"\nmine = ");
        let e = Config::parse("t.toml", &bad, &known)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`endpoints.mine`") && e.contains("the scheme must be http:// or https://"),
            "{e}"
        );
        assert!(
            e.contains("`endpoints.hardliner`") && e.contains("built-in"),
            "{e}"
        );
    }

    #[test]
    fn parses_formats_and_round_trips() {
        let text = base()
            + "[rotation]\n[bloc-vs-bloc]\nneutrals = \"c\"\n[evolutionary]\ngenerations = 3\nmatches = 1\nselection = 0.5\n[invasion]\ninvaders = [\"a\"]\n[population]\nreplications = 4\n";
        let c = Config::parse("t.toml", &text, KNOWN).unwrap();
        assert_eq!(c.rotation.as_ref().unwrap().background, "mixed");
        assert_eq!(c.bloc_vs_bloc.as_ref().unwrap().neutrals, "c");
        assert_eq!(c.population.as_ref().unwrap().replications, Some(4));
        let again = Config::parse("again", &c.to_toml(), KNOWN).unwrap();
        assert_eq!(again, c);
        assert_eq!(again.fingerprint(), c.fingerprint());
    }

    #[test]
    fn errors_name_file_and_key_path() {
        let e = Config::parse(
            "t.toml",
            &(base() + "[rotation]\nbackround = \"a\"\n"),
            KNOWN,
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("t.toml:"), "{s}");
        assert!(
            s.contains("rotation.backround") || s.contains("backround"),
            "{s}"
        );
        assert_eq!(e.0[0].key, "rotation.backround");

        let e = Config::parse(
            "t.toml",
            &(base() + "[evolutionary]\ngenerations = \"x\"\nmatches = 1\nselection = 1.0\n"),
            KNOWN,
        )
        .unwrap_err();
        assert_eq!(e.0[0].key, "evolutionary.generations", "{e}");

        let text = base().replace("\"b\"]", "\"zz\"]") + "[bloc-vs-bloc]\nneutrals = \"qq\"\n";
        let e = Config::parse("t.toml", &text, KNOWN).unwrap_err();
        let keys: Vec<&str> = e.0.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["strategies[1]", "bloc-vs-bloc.neutrals"], "{e}");
        assert!(
            e.to_string()
                .contains("t.toml: `strategies[1]`: unknown strategy `zz`"),
            "{e}"
        );

        let e = Config::parse("t.toml", &base(), KNOWN).unwrap_err();
        assert!(e.to_string().contains("no format table"), "{e}");
        let e = Config::parse(
            "t.toml",
            &(base() + "[rotation]\nreplications = 0\n"),
            KNOWN,
        )
        .unwrap_err();
        assert_eq!(e.0[0].key, "rotation.replications");
    }

    #[test]
    fn default_config_parses() {
        let c = Config::default_config(&[]).unwrap();
        assert!(c.rotation.is_some() && c.evolutionary.is_some());
    }
    /// Every key of the configuration types is documented in [`KEYS`], and nothing
    /// else is.
    #[test]
    fn every_key_is_documented() {
        let full = Config {
            seed: 1,
            replications: 1,
            strategies: vec!["a".into()],
            designs: vec!["d".into()],
            scenarios: vec!["s".into()],
            neutral_blocs: vec!["nn".into()],
            rotation: Some(Rotation {
                replications: Some(1),
                background: "mixed".into(),
            }),
            bloc_vs_bloc: Some(BlocVsBloc {
                replications: Some(1),
                strategies: Some(vec!["a".into()]),
                neutrals: "a".into(),
            }),
            evolutionary: Some(Evolutionary {
                generations: 1,
                matches: 1,
                selection: 0.5,
                standardize: true,
            }),
            invasion: Some(Invasion {
                replications: Some(1),
                invaders: Some(vec!["a".into()]),
                residents: Some(vec!["a".into()]),
            }),
            population: Some(Population {
                replications: Some(1),
            }),
            endpoints: [("x".to_string(), "http://h:1".to_string())].into(),
            commands: [("y".to_string(), vec!["p".to_string(), "{addr}".to_string()])].into(),
        };
        let v = toml::Value::try_from(&full).unwrap();
        let mut keys = Vec::new();
        for (k, v) in v.as_table().unwrap() {
            keys.push(k.clone());
            if let Some(t) = v.as_table().filter(|_| k != "endpoints" && k != "commands") {
                keys.extend(t.keys().map(|s| format!("{k}.{s}")));
            }
        }
        keys.sort();
        let mut documented: Vec<String> = KEYS.iter().map(|k| k.key.to_string()).collect();
        documented.sort();
        assert_eq!(keys, documented);
    }

    /// The README's reference table is the one [`KEYS`] generates (regenerate with
    /// `PLENARY_UPDATE_DOCS=1 cargo test -p plenary-tournament config`).
    #[test]
    fn readme_reference_matches_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let (start, end) = (
            "<!-- config-reference:start -->\n",
            "<!-- config-reference:end -->",
        );
        let a = text.find(start).expect("README has the reference markers") + start.len();
        let b = text.find(end).expect("README has the end marker");
        let want = reference_markdown();
        if std::env::var_os("PLENARY_UPDATE_DOCS").is_some() {
            std::fs::write(&path, format!("{}{want}{}", &text[..a], &text[b..])).unwrap();
            return;
        }
        assert_eq!(
            &text[a..b],
            want,
            "crates/tournament/README.md's configuration reference is stale: run PLENARY_UPDATE_DOCS=1 cargo test -p plenary-tournament config"
        );
    }

    #[test]
    fn commented_toml_explains_every_key_and_parses_back() {
        let c = Config::default_config(&[]).unwrap();
        let text = c.to_commented_toml();
        assert_eq!(Config::parse("printed", &text, &[]).unwrap(), c);
        for k in KEYS {
            let first = k
                .meaning
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(text.contains(&first), "no comment for {}: {text}", k.key);
        }
        // Formats left out are shown, commented out.
        assert!(text.contains("# [population]"), "{text}");
        assert!(text.contains("# my-delegation = "), "{text}");
        let mut with = c.clone();
        with.endpoints
            .insert("py".into(), "http://127.0.0.1:5".into());
        with.strategies.push("py".into());
        assert_eq!(
            Config::parse("printed", &with.to_commented_toml(), &[]).unwrap(),
            with
        );
    }
}
