//! plenary-tournament: tournaments of delegation strategies across institutional
//! designs. See `README.md` in this crate for the formats, the sampling design and how
//! to read the numbers.
//!
//! The pieces: a [`config::Config`] (TOML, or the embedded default) is planned into
//! match specs ([`plan`]); an [`exec::Executor`] runs each spec (in-process on all
//! cores now; a remote executor over delegation processes implements the same trait);
//! [`run::run`] appends one JSON record per finished match to `DIR/matches.jsonl`,
//! resumable and shardable, one [`results::MatchRecord`] per line; [`summary`] streams
//! that file into rankings (shared ranks for ties), paired comparisons over common
//! random numbers (Holm-corrected), distributions, the focal/background view, design
//! metrics, head-to-head and evolution tables with 95% t intervals; [`report`] renders
//! one offline HTML file with inline SVG charts ([`charts`]); [`replay`] re-runs one
//! match from its record and [`match_page`] draws it; [`schema`] gives the JSON Schemas
//! of every output, generated from the types in [`results`] and [`summary`]; `export`
//! (feature `parquet`) writes the per-match and per-State tables as Parquet.
//! [`history`] scores a scenario's baseline against a sourced table of what the real
//! organisation did (`plenary experiment history`); [`robustness`] checks the design
//! experiment's claims under variants.
//!
//! Every match seed is `plenary_core::rng::derive(master, key)` cut to 53 bits, where the key names the
//! format, design, scenario and replication (plus the seat class in `rotation`, the
//! resident in `invasion`, the generation in `evolutionary`), so serial, parallel,
//! sharded and remote runs play the same matches, and every summary is computed with
//! order-independent exact sums, so they also report the same numbers byte for byte.
#![doc = include_str!("../README.md")]

pub mod charts;
pub mod config;
pub mod exec;
#[cfg(feature = "parquet")]
pub mod export;
pub mod history;
pub mod match_page;
pub mod output;
pub mod plan;
pub mod replay;
pub mod report;
pub mod results;
pub mod robustness;
pub mod run;
pub mod schema;
pub mod stats;
pub mod summary;

pub use config::Config;
pub use exec::{Executor, InProcess, StrategyMaker};
pub use plan::{Catalog, MatchSpec, Plan};
pub use run::{RunOptions, RunReport, Shard};
pub use summary::Summary;
