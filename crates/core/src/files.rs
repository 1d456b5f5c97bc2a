//! Parsing of TOML files into typed structures with errors that name the file, the key
//! path and what is wrong. Pure: callers read the bytes, this module never touches disk.
//!
//! Messages never echo much of the input: values are quoted with
//! [`validate::quote`](crate::validate::quote), parser messages and key paths are clipped
//! (see [`validate::clip_message`](crate::validate::clip_message)).

use crate::validate::{self, TextError};
use serde::de::DeserializeOwned;
use std::fmt;

/// Most problems reported for one file; the rest are counted (a file of a million bad
/// entries must not make a million messages).
pub const MAX_PROBLEMS: usize = 50;

/// Longest key path kept in an error, in bytes (a key path may be made of user keys).
pub const MAX_KEY_BYTES: usize = 160;

/// A problem in a scenario or design file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct FileError {
    /// Where the text came from (a path, or `embedded:NAME`).
    pub origin: String,
    /// Key path of the offending value (`agenda[3].status_quo`), or empty for the file.
    pub key: String,
    /// Line of the problem, when the parser knows it (1-based).
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl FileError {
    /// A semantic error at a key path.
    pub fn at(origin: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        FileError {
            origin: origin.to_string(),
            key: clip_key(key.into()),
            line: None,
            message: cap(message.into(), validate::MAX_MESSAGE_BYTES),
        }
    }
}

/// Collects every semantic problem of a file, so a user sees them all at once.
#[derive(Debug, Default)]
pub struct Problems {
    origin: String,
    found: Vec<FileError>,
    dropped: usize,
}

impl Problems {
    /// Starts a collection for the file `origin`.
    pub fn new(origin: &str) -> Self {
        Problems {
            origin: origin.to_string(),
            found: Vec::new(),
            dropped: 0,
        }
    }

    /// Records a problem at `key`.
    pub fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        if self.found.len() < MAX_PROBLEMS {
            self.found.push(FileError::at(&self.origin, key, message));
        } else {
            self.dropped += 1;
        }
    }

    /// Checks that `value` is finite and within `lo..=hi`.
    pub fn range(&mut self, key: impl Into<String>, value: f64, lo: f64, hi: f64) {
        if !value.is_finite() || value < lo || value > hi {
            let (v, lo, hi) = (
                validate::number(value),
                validate::number(lo),
                validate::number(hi),
            );
            self.push(key, format!("{v} is outside {lo}..={hi}"));
        }
    }

    /// Checks that a capability weight is within
    /// [`MIN_CAPABILITY`](validate::MIN_CAPABILITY)..=[`MAX_CAPABILITY`](validate::MAX_CAPABILITY).
    pub fn capability(&mut self, key: impl Into<String>, value: f64) {
        if !(value.is_finite()
            && (validate::MIN_CAPABILITY..=validate::MAX_CAPABILITY).contains(&value))
        {
            self.push(
                key,
                format!(
                    "{} is outside {:e}..={:e} (capability is a relative weight)",
                    validate::number(value),
                    validate::MIN_CAPABILITY,
                    validate::MAX_CAPABILITY
                ),
            );
        }
    }

    /// Checks an id with [`validate::check_id`].
    pub fn id(&mut self, key: impl Into<String>, value: &str) {
        self.text_check(key, validate::check_id(value));
    }

    /// Checks a name or title with [`validate::check_name`].
    pub fn name(&mut self, key: impl Into<String>, value: &str) {
        self.text_check(key, validate::check_name(value));
    }

    /// Checks free text with [`validate::check_text`].
    pub fn text(&mut self, key: impl Into<String>, value: &str) {
        self.text_check(key, validate::check_text(value));
    }

    /// Checks a scenario or design spec with [`validate::check_spec`].
    pub fn spec(&mut self, key: impl Into<String>, value: &str) {
        self.text_check(key, validate::check_spec(value));
    }

    /// Checks that a list has at most `max` entries; returns whether it does, so a
    /// caller can skip checking the entries of a list that is far too long.
    pub fn count(&mut self, key: impl Into<String>, len: usize, max: usize) -> bool {
        if len > max {
            self.push(key, format!("{len} entries, more than the limit of {max}"));
            false
        } else {
            true
        }
    }

    fn text_check(&mut self, key: impl Into<String>, r: Result<(), TextError>) {
        if let Err(e) = r {
            self.push(key, e.to_string());
        }
    }

    /// Whether any problem was recorded so far.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Ends the collection.
    pub fn finish(mut self) -> Result<(), FileErrors> {
        if self.dropped > 0 {
            let more = FileError::at(
                &self.origin,
                "",
                format!("… and {} more problems", self.dropped),
            );
            self.found.push(more);
        }
        if self.found.is_empty() {
            Ok(())
        } else {
            Err(FileErrors(self.found))
        }
    }
}

/// One or more problems in a file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct FileErrors(pub Vec<FileError>);

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl From<FileError> for FileErrors {
    fn from(e: FileError) -> Self {
        FileErrors(vec![e])
    }
}

/// Deserializes TOML text, reporting the key path of a type error or unknown key.
pub fn parse_toml<T: DeserializeOwned>(origin: &str, text: &str) -> Result<T, FileError> {
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(origin, text, &e, ""))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        toml_error(origin, text, e.inner(), &key)
    })
}

fn toml_error(origin: &str, text: &str, e: &toml::de::Error, key: &str) -> FileError {
    let line = e
        .span()
        .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
    FileError {
        origin: origin.to_string(),
        key: clip_key(key.to_string()),
        line,
        // Parser messages echo the offending value and unknown keys: clip them.
        message: validate::clip_message(e.message().trim()),
    }
}

/// A key path cut to [`MAX_KEY_BYTES`] (user keys make up key paths).
fn clip_key(key: String) -> String {
    if key.len() <= MAX_KEY_BYTES {
        key
    } else {
        format!("{}…", validate::clip_message(&cap(key, MAX_KEY_BYTES)))
    }
}

/// `s` cut to at most `max` bytes on a character boundary.
fn cap(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}
