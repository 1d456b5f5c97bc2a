//! The output directory: `matches.jsonl` (one JSON record per finished match, appended
//! and flushed as each match completes), `config.toml` (the canonical configuration),
//! and the scan that `--resume` and `merge` use (a truncated last line left by a kill is
//! cut off; a bad line elsewhere is an error).
//!
//! Reading is bounded: only regular files, TOML of at most
//! [`MAX_TOML_BYTES`](plenary_scenarios::bounded::MAX_TOML_BYTES), and `matches.jsonl`
//! streamed line by line, each line at most
//! [`MAX_RECORD_LINE_BYTES`](plenary_scenarios::bounded::MAX_RECORD_LINE_BYTES).

use crate::config::Config;
use crate::plan::MatchSpec;
use crate::results::{MatchRecord, Outcome, SCHEMA_VERSION, tool_version};
use plenary_core::MatchResult;
use plenary_scenarios::bounded::{self, Lines, ReadError};

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// File of match records.
pub const MATCHES: &str = "matches.jsonl";
/// File of the canonical configuration.
pub const CONFIG: &str = "config.toml";

/// One line of `matches.jsonl` (see [`crate::results::MatchRecord`]).
pub type Record = MatchRecord;

impl MatchRecord {
    /// The record of `spec`'s result, run by `executor` (its [`crate::Executor::name`]).
    pub fn new(
        spec: &MatchSpec,
        result: &MatchResult,
        cfg: &Config,
        fingerprint: &str,
        classes: &[&str],
        executor: &str,
    ) -> MatchRecord {
        let mut outcome = Outcome::new(&spec.scenario, &spec.design, result, classes);
        // The plan's names, whatever the executor reported.
        outcome.match_id.clone_from(&spec.match_id);
        outcome.seed = spec.seed;
        for (s, name) in outcome.states.iter_mut().zip(&spec.strategies) {
            s.strategy.clone_from(name);
        }
        MatchRecord {
            schema_version: SCHEMA_VERSION,
            tool_version: tool_version(),
            index: spec.index,
            tournament: fingerprint.to_string(),
            master_seed: cfg.seed,
            format: spec.format.clone(),
            replication: spec.replication,
            key: spec.key.clone(),
            role: spec.role.clone(),
            executor: executor.to_string(),
            outcome,
        }
    }

    /// Mean gain per strategy over the seats it played: `(strategy, mean, seats)`.
    pub fn gains_by_strategy(&self) -> BTreeMap<&str, (f64, u32)> {
        self.outcome.gains_by_strategy()
    }
}

/// Errors of the output directory.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// An I/O error on a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A line that is not a record (not the truncated last line).
    #[error("{}:{line}: not a match record: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Line number (1-based).
        line: usize,
        /// The parse error.
        message: String,
    },
    /// Records of another tournament configuration.
    #[error("{}:{line}: record of another tournament configuration ({found}, expected {expected}); use a fresh --out directory", path.display())]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Line number.
        line: usize,
        /// Fingerprint found.
        found: String,
        /// Fingerprint expected.
        expected: String,
    },
    /// A file that could not be read (not a regular file, too large, a line too long).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The same match recorded twice (a copied line would be counted twice).
    #[error("{}:{line}: match {index} is already recorded on line {first}; remove one of the two lines (a copy would be counted twice)", path.display())]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// Line of the second record.
        line: usize,
        /// Line of the first record.
        first: usize,
        /// Match index.
        index: u64,
    },
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// Maps an I/O error to [`OutputError::Io`] naming `path`.
pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a scan of `matches.jsonl` found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Indices of finished matches.
    pub done: HashSet<u64>,
    /// Records (kept only when asked for by the `keep` predicate).
    pub kept: BTreeMap<u64, Record>,
    /// Bytes cut off a truncated last line.
    pub repaired: u64,
}

/// Reads `path` line by line, calling `each` on every record. A last line without a
/// newline or that does not parse is a leftover of a kill: with `repair` it is cut off
/// the file, otherwise skipped. Returns the byte length of the valid part.
pub fn stream_records(
    path: &Path,
    repair: bool,
    mut each: impl FnMut(Record) -> Result<(), OutputError>,
) -> Result<u64, OutputError> {
    stream_lines(path, repair, |r, _| each(r))
}

/// Like [`stream_records`], also handing over each record's line as written.
pub fn stream_lines(
    path: &Path,
    repair: bool,
    mut each: impl FnMut(Record, &str) -> Result<(), OutputError>,
) -> Result<u64, OutputError> {
    let mut reader = match Lines::open(path, bounded::MAX_RECORD_LINE_BYTES) {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let total = reader.file_len();
    let mut buf = Vec::new();
    let mut good: u64 = 0;
    loop {
        let n = reader.next_line(&mut buf)?;
        if n == 0 {
            break;
        }
        let line = reader.line_number();
        let complete = buf.ends_with(b"\n");
        let text = std::str::from_utf8(&buf).map_err(|e| e.to_string());
        let parsed = text
            .clone()
            .and_then(|s| serde_json::from_str::<Record>(s.trim_end()).map_err(|e| e.to_string()));
        let at_end = good + n as u64 == total;
        match parsed {
            Ok(r) if complete => {
                good += n as u64;
                each(r, text.unwrap_or_default())?;
            }
            Err(_) | Ok(_) if at_end => break,
            Err(message) => {
                return Err(OutputError::Corrupt {
                    path: path.to_path_buf(),
                    line,
                    message,
                });
            }
            Ok(_) => unreachable!("an incomplete line is the last line"),
        }
    }
    if repair && good < total {
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io(path))?;
        f.set_len(good).map_err(io(path))?;
    }
    Ok(good)
}

/// Scans `DIR/matches.jsonl` for `--resume`: checks the fingerprint, refuses a match
/// recorded twice and any record `expect` finds wrong (it returns the problem), repairs
/// a truncated last line, and keeps the records `keep` asks for.
pub fn scan(
    dir: &Path,
    fingerprint: &str,
    keep: impl Fn(u64) -> bool,
    expect: impl Fn(&Record) -> Option<String>,
) -> Result<Scan, OutputError> {
    let path = dir.join(MATCHES);
    let mut s = Scan::default();
    let before = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut line = 0;
    // Line of each index's record, to name both lines of a duplicate.
    let mut first_line: BTreeMap<u64, usize> = BTreeMap::new();
    let good = stream_records(&path, true, |r| {
        line += 1;
        if let Some(&first) = first_line.get(&r.index) {
            return Err(OutputError::Duplicate {
                path: path.clone(),
                line,
                first,
                index: r.index,
            });
        }
        first_line.insert(r.index, line);
        if r.tournament != fingerprint {
            return Err(OutputError::Mismatch {
                path: path.clone(),
                line,
                found: r.tournament.clone(),
                expected: fingerprint.to_string(),
            });
        }
        if let Some(problem) = expect(&r) {
            return Err(OutputError::Corrupt {
                path: path.clone(),
                line,
                message: problem,
            });
        }
        s.done.insert(r.index);
        if keep(r.index) {
            s.kept.insert(r.index, r);
        }
        Ok(())
    })?;
    s.repaired = before - good.min(before);
    Ok(s)
}

/// Appends records to `matches.jsonl`, one line each, flushed per record.
pub struct Writer {
    path: PathBuf,
    file: File,
}

impl Writer {
    /// Opens `DIR/matches.jsonl` for appending (creating it).
    pub fn open(dir: &Path) -> Result<Writer, OutputError> {
        let path = dir.join(MATCHES);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(io(&path))?;
        // A file not ending in a newline (should not happen after a scan) gets one.
        let len = file.metadata().map_err(io(&path))?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1)).map_err(io(&path))?;
            file.read_exact(&mut last).map_err(io(&path))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(io(&path))?;
            }
        }
        Ok(Writer { path, file })
    }

    /// Appends one record and flushes it to the OS.
    pub fn append(&mut self, r: &Record) -> Result<(), OutputError> {
        let mut line = serde_json::to_string(r).map_err(|e| OutputError::Other(e.to_string()))?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(io(&self.path))?;
        self.file.flush().map_err(io(&self.path))
    }
}

/// Reads the canonical configuration of a tournament directory.
pub fn read_config(dir: &Path) -> Result<Config, OutputError> {
    let path = dir.join(CONFIG);
    let text = bounded::read_toml(&path)?;
    plenary_core::files::parse_toml::<Config>(&path.display().to_string(), &text)
        .map_err(|e| OutputError::Other(e.to_string()))
}

/// Merges shard directories into `out`: checks they hold the same configuration,
/// writes one `matches.jsonl` without duplicate indices (in input order). Returns the
/// number of records written. Memory: one index per record.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<u64, OutputError> {
    if inputs.is_empty() {
        return Err(OutputError::Other(
            "merge needs at least one input directory".into(),
        ));
    }
    let cfg = read_config(&inputs[0])?;
    let fp = cfg.fingerprint();
    for d in &inputs[1..] {
        let c = read_config(d)?;
        if c.fingerprint() != fp {
            return Err(OutputError::Other(format!(
                "{} holds another tournament configuration than {}",
                d.display(),
                inputs[0].display()
            )));
        }
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    let target = out.join(MATCHES);
    for d in inputs {
        if d.join(MATCHES) == target
            || std::fs::canonicalize(d).ok() == std::fs::canonicalize(out).ok()
        {
            return Err(OutputError::Other(format!(
                "--out {} must differ from the inputs",
                out.display()
            )));
        }
    }
    std::fs::write(out.join(CONFIG), cfg.to_toml()).map_err(io(&out.join(CONFIG)))?;
    let mut w = std::io::BufWriter::new(File::create(&target).map_err(io(&target))?);
    let mut seen = HashSet::new();
    let mut written = 0;
    for d in inputs {
        let path = d.join(MATCHES);
        let mut line = 0;
        stream_lines(&path, false, |r, text| {
            line += 1;
            if r.tournament != fp {
                return Err(OutputError::Mismatch {
                    path: path.clone(),
                    line,
                    found: r.tournament,
                    expected: fp.clone(),
                });
            }
            if seen.insert(r.index) {
                // The line as written (re-serializing could only lose information).
                w.write_all(text.as_bytes()).map_err(io(&target))?;
                written += 1;
            }
            Ok(())
        })?;
    }
    w.flush().map_err(io(&target))?;
    Ok(written)
}
