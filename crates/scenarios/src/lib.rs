//! plenary-scenarios: the preset scenarios and institutional designs of plenary, embedded
//! as TOML text, and the loaders that turn a preset id or a user's file into a validated
//! [`Scenario`] or [`Design`].
//!
//! The presets live in `crates/scenarios/data/` and double as templates: copy one, change
//! it, and load it by path. Every problem found while loading names the file (the path as
//! given, or `embedded:<id>` for a preset), the key path (`agenda[0].status_quo`) and what
//! is wrong, because the checks themselves are those of [`plenary_core`].
//!
//! Files are read with [`bounded`]: regular files only, at most
//! [`MAX_TOML_BYTES`](bounded::MAX_TOML_BYTES) of UTF-8. A scenario's `default_design`
//! names a design *preset* only: a file never makes the program open another path.
//!
//! Scenarios: `csce-1975` (35 signatories of the Helsinki Final Act), `osce-2021`
//! (57 participating States in 2021) and `osce-2024` (the OSCE after February 2022).
//! Designs: `csce-1975`, `osce-2021`, `path1-upgraded` and `path2-conference`, after Dembinski & Spanger, OSCE Insights 9/2021.

pub mod bounded;
pub mod plan;

pub use plan::{MatchPlan, PlanError, PlanRequest, Source, Strategies};

use bounded::ReadError;
use plenary_core::validate::{self, quote};
use plenary_core::{Design, FileError, FileErrors, Scenario};
use std::path::{Path, PathBuf};

/// Design of a scenario that names none.
pub const FALLBACK_DESIGN: &str = "osce-2021";

/// Embedded scenario presets as `(id, TOML text)`, sorted by id.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "csce-1975",
        include_str!("../data/scenarios/csce-1975.toml"),
    ),
    (
        "osce-2021",
        include_str!("../data/scenarios/osce-2021.toml"),
    ),
    (
        "osce-2024",
        include_str!("../data/scenarios/osce-2024.toml"),
    ),
];

/// Embedded design presets as `(id, TOML text)`, sorted by id.
pub const DESIGNS: &[(&str, &str)] = &[
    ("csce-1975", include_str!("../data/designs/csce-1975.toml")),
    ("osce-2021", include_str!("../data/designs/osce-2021.toml")),
    (
        "path1-upgraded",
        include_str!("../data/designs/path1-upgraded.toml"),
    ),
    (
        "path2-conference",
        include_str!("../data/designs/path2-conference.toml"),
    ),
];

/// Embedded history tables as `(scenario id, TOML text)`, sorted by id: what the real
/// organisation did on each agenda item in the period the scenario stands for, with a
/// source per line (scored by `plenary experiment history`).
pub const HISTORY: &[(&str, &str)] = &[
    ("csce-1975", include_str!("../data/history/csce-1975.toml")),
    ("osce-2021", include_str!("../data/history/osce-2021.toml")),
    ("osce-2024", include_str!("../data/history/osce-2024.toml")),
];

/// The embedded history table of scenario `id`, if there is one.
pub fn history(id: &str) -> Option<&'static str> {
    find(HISTORY, id)
}

/// Why a scenario or design could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The spec is neither a path nor the id of an embedded preset.
    #[error(
        "unknown {kind} {} (presets: {}); give a path to a .toml file to load your own",
        quote(name),
        known.join(", ")
    )]
    UnknownPreset {
        /// `"scenario"` or `"design"`.
        kind: &'static str,
        /// The id asked for.
        name: String,
        /// Ids of the embedded presets of that kind.
        known: Vec<String>,
    },
    /// The file could not be read (missing, not a regular file, too large, not UTF-8).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The spec itself is unusable (empty, too long, control characters).
    #[error("{kind} spec {quoted}: {problem}")]
    BadSpec {
        /// `"scenario"` or `"design"`.
        kind: &'static str,
        /// The spec, quoted.
        quoted: String,
        /// What is wrong.
        problem: validate::TextError,
    },
    /// The file was read but has problems; each names the file, key path and problem.
    #[error(transparent)]
    Invalid(#[from] FileErrors),
    /// The file has neither a top-level `[scenario]` nor a `[design]` table.
    #[error(
        "{}: not a scenario or design file (expected a top-level [scenario] or [design] table)",
        path.display()
    )]
    NotAScenarioOrDesign {
        /// The path as given.
        path: PathBuf,
    },
}

/// A file checked by [`check_file`]: a valid scenario or a valid design.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    /// The file is a valid scenario.
    Scenario(Scenario),
    /// The file is a valid design (structurally; State ids are checked against a
    /// scenario only when both are known, with [`Design::validate_for`]).
    Design(Design),
}

/// The embedded scenario preset `id`, parsed and validated.
pub fn scenario(id: &str) -> Result<Scenario, LoadError> {
    let text = preset(SCENARIOS, "scenario", id)?;
    parse_scenario(&embedded_origin(id), text)
}

/// Parses and validates scenario text, including that its `default_design` names a
/// design preset (never a file: a scenario must not make the program read another
/// path). `origin` names the text in errors.
pub fn parse_scenario(origin: &str, text: &str) -> Result<Scenario, LoadError> {
    let s = Scenario::from_toml(origin, text)?;
    if let Some(d) = &s.default_design
        && find(DESIGNS, d).is_none()
    {
        return Err(FileErrors::from(FileError::at(
            origin,
            "scenario.default_design",
            format!(
                "{} is not a design preset (presets: {}); a scenario names a preset only, pass your own design file with --design",
                quote(d),
                ids(DESIGNS)
            ),
        ))
        .into());
    }
    Ok(s)
}

/// The design a scenario is run under when none is given: its `default_design`
/// preset, else [`FALLBACK_DESIGN`]. Only embedded presets, never a file.
pub fn default_design(s: &Scenario) -> Result<Design, LoadError> {
    design(s.default_design.as_deref().unwrap_or(FALLBACK_DESIGN))
}

/// The embedded design preset `id`, parsed and validated.
pub fn design(id: &str) -> Result<Design, LoadError> {
    let text = preset(DESIGNS, "design", id)?;
    Ok(Design::from_toml(&embedded_origin(id), text)?)
}

/// Loads a scenario from `spec`: a path when it contains a path separator or ends with
/// `.toml`, else the embedded preset of that id, else a file of that name if one exists.
pub fn load_scenario(spec: &str) -> Result<Scenario, LoadError> {
    check_spec("scenario", spec)?;
    match resolve(spec, SCENARIOS) {
        Spec::Preset => scenario(spec),
        Spec::File => read_scenario(Path::new(spec)),
        Spec::Unknown => Err(unknown("scenario", spec, SCENARIOS)),
    }
}

/// Loads a design from `spec`, resolved like [`load_scenario`].
pub fn load_design(spec: &str) -> Result<Design, LoadError> {
    check_spec("design", spec)?;
    match resolve(spec, DESIGNS) {
        Spec::Preset => design(spec),
        Spec::File => read_design(Path::new(spec)),
        Spec::Unknown => Err(unknown("design", spec, DESIGNS)),
    }
}

/// Reads and validates the scenario file at `path` (errors name the path as given).
pub fn read_scenario(path: &Path) -> Result<Scenario, LoadError> {
    let text = read(path)?;
    parse_scenario(&file_origin(path), &text)
}

/// Reads and validates the design file at `path` (errors name the path as given).
pub fn read_design(path: &Path) -> Result<Design, LoadError> {
    let text = read(path)?;
    Ok(Design::from_toml(&file_origin(path), &text)?)
}

/// Reads the file at `path`, tells a scenario from a design by its top-level
/// `[scenario]` or `[design]` table, and validates it as such. A design is validated
/// structurally only, since it is not tied to one scenario.
pub fn check_file(path: &Path) -> Result<Checked, LoadError> {
    let text = read(path)?;
    let origin = file_origin(path);
    match top_level_kind(&text) {
        Some(Kind::Scenario) => Ok(Checked::Scenario(parse_scenario(&origin, &text)?)),
        Some(Kind::Design) => Ok(Checked::Design(Design::from_toml(&origin, &text)?)),
        None => Err(LoadError::NotAScenarioOrDesign {
            path: path.to_path_buf(),
        }),
    }
}

fn embedded_origin(id: &str) -> String {
    format!("embedded:{id}")
}

fn file_origin(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path) -> Result<String, LoadError> {
    Ok(bounded::read_toml(path)?)
}

fn check_spec(kind: &'static str, spec: &str) -> Result<(), LoadError> {
    validate::check_spec(spec).map_err(|problem| LoadError::BadSpec {
        kind,
        quoted: quote(spec),
        problem,
    })
}

fn ids(table: &[(&str, &str)]) -> String {
    table.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
}

fn find<'a>(table: &[(&str, &'a str)], id: &str) -> Option<&'a str> {
    table.iter().find(|(k, _)| *k == id).map(|(_, text)| *text)
}

fn preset<'a>(
    table: &[(&str, &'a str)],
    kind: &'static str,
    id: &str,
) -> Result<&'a str, LoadError> {
    find(table, id).ok_or_else(|| unknown(kind, id, table))
}

fn unknown(kind: &'static str, name: &str, table: &[(&str, &str)]) -> LoadError {
    LoadError::UnknownPreset {
        kind,
        name: name.to_string(),
        known: table.iter().map(|(k, _)| k.to_string()).collect(),
    }
}

/// How a load spec is resolved.
enum Spec {
    Preset,
    File,
    Unknown,
}

fn resolve(spec: &str, table: &[(&str, &str)]) -> Spec {
    let looks_like_path =
        spec.contains('/') || spec.contains(std::path::MAIN_SEPARATOR) || spec.ends_with(".toml");
    if looks_like_path {
        Spec::File
    } else if find(table, spec).is_some() {
        Spec::Preset
    } else if Path::new(spec).is_file() {
        Spec::File
    } else {
        Spec::Unknown
    }
}

/// The two kinds of files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scenario,
    Design,
}

/// Finds the first top-level `scenario` or `design` table of a TOML text: a table header
/// (`[scenario]`, `[design.x]`) or a key before the first header (`scenario = {..}`,
/// `design.id = ".."`). Lines inside multi-line strings are skipped. The full parse that
/// follows reports anything this light scan lets through.
fn top_level_kind(text: &str) -> Option<Kind> {
    let mut open_string: Option<&str> = None;
    let mut before_first_header = true;
    for line in text.lines() {
        if let Some(delim) = open_string {
            if line.contains(delim) {
                open_string = None;
            }
            continue;
        }
        let t = line.trim();
        let name = if t.starts_with('[') {
            before_first_header = false;
            let inner = t.trim_start_matches('[');
            inner.split(']').next().map(first_key_segment)
        } else if before_first_header && !t.starts_with('#') {
            t.split('=').next().map(first_key_segment)
        } else {
            None
        };
        match name {
            Some("scenario") => return Some(Kind::Scenario),
            Some("design") => return Some(Kind::Design),
            _ => {}
        }
        open_string = ["\"\"\"", "'''"]
            .into_iter()
            .find(|d| line.matches(d).count() % 2 == 1);
    }
    None
}

/// `scenario` from ` scenario.id `, `"scenario"` or `'scenario'`.
fn first_key_segment(key: &str) -> &str {
    key.split('.')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_top_level_table() {
        assert_eq!(
            top_level_kind("[scenario]\nid = \"x\""),
            Some(Kind::Scenario)
        );
        assert_eq!(
            top_level_kind("# c\n[ design ] # note\n"),
            Some(Kind::Design)
        );
        assert_eq!(top_level_kind("[design.sub]\n"), Some(Kind::Design));
        assert_eq!(
            top_level_kind("scenario.id = \"x\"\n[[blocs]]\n"),
            Some(Kind::Scenario)
        );
        assert_eq!(
            top_level_kind("\"design\" = { id = \"x\" }\n"),
            Some(Kind::Design)
        );
        assert_eq!(top_level_kind("[[blocs]]\nid = \"a\"\n"), None);
        // A key named `design` inside another table does not count.
        assert_eq!(top_level_kind("[procedure]\ndesign = 1\n"), None);
        // Nor does a header-looking line inside a multi-line string.
        let text = "[procedure]\nx = \"\"\"\n[design]\n\"\"\"\n";
        assert_eq!(top_level_kind(text), None);
        let text = "[[agenda]]\nx = '''\n[scenario]\n'''\n[design]\n";
        assert_eq!(top_level_kind(text), Some(Kind::Design));
    }

    #[test]
    fn resolves_specs() {
        assert!(matches!(resolve("osce-2021", SCENARIOS), Spec::Preset));
        assert!(matches!(resolve("my.toml", SCENARIOS), Spec::File));
        assert!(matches!(resolve("./osce-2021", SCENARIOS), Spec::File));
        assert!(matches!(
            resolve("no-such-preset", SCENARIOS),
            Spec::Unknown
        ));
    }
}
