//! The chair's journal: one file per session under `STATE_DIR/sessions/`, so a chair
//! that is killed and restarted rebuilds every match in flight exactly and carries on.
//!
//! The engine is deterministic: a match is its scenario, design, seed and match id plus
//! everything it was fed, in order. The journal records exactly that, one JSON line per
//! record: a header (the scenario and design TOML, the seed, the match id, the question
//! deadline), then every set of answers handed to the engine, every strategy name a
//! seat announced, every seat that had to be opened again and every seat reinstated
//! after a re-registration. Numbers are written as their bit patterns, so a NaN answer
//! (a faulty delegation's) replays as the same NaN. A finished session gets a `done`
//! record and its results file next to the journal, so results outlive the process too.
//!
//! Each record is written with one `write` call before the engine sees it: a chair killed
//! at any point loses at most the answers of the question in flight, which the restarted
//! chair asks again with the same sequence numbers (delegations answer a repeated
//! question from their cache, so their strategies are not asked twice). With
//! `sync = true` every record is also flushed to disk (fsync), surviving a machine
//! crash as well as a process kill.

use crate::driver::Recorder;
use plenary_core::engine::Answers;
use plenary_core::strategy::{Fault, PositionAnswer, Reply, Stance, Vote};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use tracing::warn;

/// Version of the journal format.
pub const JOURNAL_VERSION: u32 = 1;

/// Largest journal line accepted on reading (a header carries two TOML files).
const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Why a journal could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A file operation failed.
    #[error("journal {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A line is not a valid record.
    #[error("journal {path}, line {line}: {why}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Why.
        why: String,
    },
}

/// The first record: what the match is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Journal format version.
    pub version: u32,
    /// Session id.
    pub session_id: String,
    /// Match id.
    pub match_id: String,
    /// Master seed.
    pub seed: u64,
    /// Deadline of every question, in milliseconds.
    pub timeout_ms: u64,
    /// The scenario's TOML.
    pub scenario_toml: String,
    /// The design's TOML.
    pub design_toml: String,
}

/// A position with its numbers as bit patterns (NaN survives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionBits {
    position: u64,
    salience: u64,
    link: Option<u32>,
}

/// The answers to one question, as the engine was fed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "replies", rename_all = "kebab-case")]
pub enum JournalAnswers {
    /// Acknowledgements (open, outcome).
    Acks(Vec<Reply<()>>),
    /// Positions.
    Positions(Vec<Reply<PositionBits>>),
    /// Votes.
    Votes(Vec<Reply<Vote>>),
    /// Stances.
    Stances(Vec<Reply<Stance>>),
}

impl From<&Answers> for JournalAnswers {
    fn from(a: &Answers) -> Self {
        match a {
            Answers::Acks(v) => JournalAnswers::Acks(v.clone()),
            Answers::Positions(v) => JournalAnswers::Positions(
                v.iter()
                    .map(|r| {
                        r.as_ref()
                            .map(|p| PositionBits {
                                position: p.position.to_bits(),
                                salience: p.salience.to_bits(),
                                link: p.link,
                            })
                            .map_err(Fault::clone)
                    })
                    .collect(),
            ),
            Answers::Votes(v) => JournalAnswers::Votes(v.clone()),
            Answers::Stances(v) => JournalAnswers::Stances(v.clone()),
        }
    }
}

impl From<JournalAnswers> for Answers {
    fn from(a: JournalAnswers) -> Self {
        match a {
            JournalAnswers::Acks(v) => Answers::Acks(v),
            JournalAnswers::Positions(v) => Answers::Positions(
                v.into_iter()
                    .map(|r| {
                        r.map(|p| PositionAnswer {
                            position: f64::from_bits(p.position),
                            salience: f64::from_bits(p.salience),
                            link: p.link,
                        })
                    })
                    .collect(),
            ),
            JournalAnswers::Votes(v) => Answers::Votes(v),
            JournalAnswers::Stances(v) => Answers::Stances(v),
        }
    }
}

/// One line of a journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum Record {
    /// What the match is (first line).
    Header(Header),
    /// A seat announced its strategy.
    Named {
        /// Seat.
        seat: usize,
        /// Strategy name.
        name: String,
    },
    /// A seat's endpoint said the seat is not open: it is opened again before its next
    /// question.
    Unopened {
        /// Seat.
        seat: usize,
    },
    /// A seat was reinstated (its delegation registered again).
    Reinstated {
        /// Seat.
        seat: usize,
    },
    /// The answers to the pending question.
    Answers {
        /// The answers.
        answers: JournalAnswers,
    },
    /// The match is over.
    Done {
        /// Whether it ran to its end.
        complete: bool,
    },
}

/// Where a session's files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFiles {
    /// The journal.
    pub journal: PathBuf,
    /// The results JSON (written when the match is over).
    pub results: PathBuf,
}

impl SessionFiles {
    /// The files of `session_id` under `state_dir`.
    pub fn new(state_dir: &Path, session_id: &str) -> SessionFiles {
        let dir = sessions_dir(state_dir);
        SessionFiles {
            journal: dir.join(format!("{session_id}.journal")),
            results: dir.join(format!("{session_id}.results.json")),
        }
    }
}

/// `STATE_DIR/sessions`.
pub fn sessions_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("sessions")
}

/// Creates `STATE_DIR/sessions` (mode 0700: journals hold private preferences' seeds
/// and every answer).
pub fn prepare_dir(state_dir: &Path) -> Result<PathBuf, JournalError> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = sessions_dir(state_dir);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|error| JournalError::Io {
            path: dir.clone(),
            error,
        })?;
    Ok(dir)
}

/// Writes a session's journal.
pub struct Journal {
    path: PathBuf,
    file: File,
    sync: bool,
    failed: bool,
}

impl Journal {
    /// Creates the journal with its header (mode 0600; refuses to overwrite).
    pub fn create(path: &Path, header: &Header, sync: bool) -> Result<Journal, JournalError> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|error| JournalError::Io {
                path: path.to_path_buf(),
                error,
            })?;
        let mut j = Journal {
            path: path.to_path_buf(),
            file,
            sync,
            failed: false,
        };
        j.write(&Record::Header(header.clone()))?;
        Ok(j)
    }

    /// Reopens an existing journal to append to it (a resumed session).
    pub fn append(path: &Path, sync: bool) -> Result<Journal, JournalError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|error| JournalError::Io {
                path: path.to_path_buf(),
                error,
            })?;
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            sync,
            failed: false,
        })
    }

    /// Appends one record (one `write` call, so a killed process leaves whole lines or
    /// a cut last line, which reading drops).
    pub fn write(&mut self, r: &Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(r).expect("records serialize");
        line.push(b'\n');
        let io = |error| JournalError::Io {
            path: self.path.clone(),
            error,
        };
        self.file.write_all(&line).map_err(io)?;
        if self.sync {
            self.file.sync_data().map_err(io)?;
        }
        Ok(())
    }

    fn record(&mut self, r: Record) {
        if self.failed {
            return;
        }
        if let Err(e) = self.write(&r) {
            // The match goes on; it just cannot be resumed after a crash.
            warn!(%e, "journal write failed; this session will not survive a restart");
            self.failed = true;
        }
    }
}

impl Recorder for Journal {
    fn answers(&mut self, answers: &Answers) {
        self.record(Record::Answers {
            answers: answers.into(),
        });
    }
    fn named(&mut self, seat: usize, name: &str) {
        self.record(Record::Named {
            seat,
            name: name.to_string(),
        });
    }
    fn unopened(&mut self, seat: usize) {
        self.record(Record::Unopened { seat });
    }
    fn reinstated(&mut self, seat: usize) {
        self.record(Record::Reinstated { seat });
    }
    fn done(&mut self, complete: bool) {
        self.record(Record::Done { complete });
    }
}

/// A journal read back: its header and the records after it.
#[derive(Debug, Clone)]
pub struct ReadJournal {
    /// The header.
    pub header: Header,
    /// Every later record, in order.
    pub records: VecDeque<Record>,
    /// Whether the match was over.
    pub done: bool,
}

/// Reads a journal. A cut last line (the chair was killed mid-write) is dropped; any
/// other bad line is an error naming it.
pub fn read(path: &Path) -> Result<ReadJournal, JournalError> {
    let io = |error| JournalError::Io {
        path: path.to_path_buf(),
        error,
    };
    let file = File::open(path).map_err(io)?;
    let mut reader = BufReader::new(file);
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(io)?;
        if n == 0 {
            break;
        }
        if buf.len() > MAX_LINE_BYTES {
            return Err(JournalError::Corrupt {
                path: path.to_path_buf(),
                line: lines.len() + 1,
                why: format!("a line longer than {MAX_LINE_BYTES} bytes"),
            });
        }
        let complete = buf.last() == Some(&b'\n');
        lines.push((buf.clone(), complete));
    }
    let mut records = VecDeque::new();
    let last = lines.len();
    for (i, (line, complete)) in lines.into_iter().enumerate() {
        match serde_json::from_slice::<Record>(&line) {
            Ok(r) => records.push_back(r),
            // The last line cut short by a kill: the write never completed.
            Err(_) if i + 1 == last && !complete => {}
            Err(e) => {
                return Err(JournalError::Corrupt {
                    path: path.to_path_buf(),
                    line: i + 1,
                    why: e.to_string(),
                });
            }
        }
    }
    let header = match records.pop_front() {
        Some(Record::Header(h)) if h.version == JOURNAL_VERSION => h,
        Some(Record::Header(h)) => {
            return Err(JournalError::Corrupt {
                path: path.to_path_buf(),
                line: 1,
                why: format!(
                    "journal version {}; this chair reads version {JOURNAL_VERSION}",
                    h.version
                ),
            });
        }
        _ => {
            return Err(JournalError::Corrupt {
                path: path.to_path_buf(),
                line: 1,
                why: "the first line is not a header".into(),
            });
        }
    };
    let done = records.iter().any(|r| matches!(r, Record::Done { .. }));
    Ok(ReadJournal {
        header,
        records,
        done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            version: JOURNAL_VERSION,
            session_id: "s-1".into(),
            match_id: "m".into(),
            seed: 7,
            timeout_ms: 1000,
            scenario_toml: "x".into(),
            design_toml: "y".into(),
        }
    }

    #[test]
    fn records_round_trip_with_nan_answers_and_a_cut_last_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.journal");
        let mut j = Journal::create(&path, &header(), false).unwrap();
        let answers = Answers::Positions(vec![
            Ok(PositionAnswer {
                position: f64::NAN,
                salience: 0.25,
                link: Some(3),
            }),
            Err(Fault::Timeout),
        ]);
        j.answers(&answers);
        j.named(2, "boulware");
        j.reinstated(1);
        drop(j);
        // A kill in the middle of a write leaves a cut last line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"t\":\"answ").unwrap();
        let r = read(&path).unwrap();
        assert_eq!(r.header, header());
        assert!(!r.done);
        assert_eq!(r.records.len(), 3);
        match &r.records[0] {
            Record::Answers { answers } => match Answers::from(answers.clone()) {
                Answers::Positions(v) => {
                    assert!(v[0].as_ref().unwrap().position.is_nan());
                    assert_eq!(v[0].as_ref().unwrap().link, Some(3));
                    assert_eq!(v[1], Err(Fault::Timeout));
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.journal");
        let mut j = Journal::create(&path, &header(), false).unwrap();
        j.named(0, "x");
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"garbage\n{\"t\":\"reinstated\",\"seat\":1}\n")
            .unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
    }
}
