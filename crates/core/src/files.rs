//! Parsing of TOML files into typed structures with errors that name the file, the key
//! path and what is wrong. Pure: callers read the bytes, this module never touches disk.

use serde::de::DeserializeOwned;
use std::fmt;

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
            key: key.into(),
            line: None,
            message: message.into(),
        }
    }
}

/// Collects every semantic problem of a file, so a user sees them all at once.
#[derive(Debug, Default)]
pub struct Problems {
    origin: String,
    found: Vec<FileError>,
}

impl Problems {
    /// Starts a collection for the file `origin`.
    pub fn new(origin: &str) -> Self {
        Problems {
            origin: origin.to_string(),
            found: Vec::new(),
        }
    }

    /// Records a problem at `key`.
    pub fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.found.push(FileError::at(&self.origin, key, message));
    }

    /// Checks that `value` is finite and within `lo..=hi`.
    pub fn range(&mut self, key: impl Into<String>, value: f64, lo: f64, hi: f64) {
        if !value.is_finite() || value < lo || value > hi {
            self.push(key, format!("{value} is outside {lo}..={hi}"));
        }
    }

    /// Ends the collection.
    pub fn finish(self) -> Result<(), FileErrors> {
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
        key: key.to_string(),
        line,
        message: e.message().trim().to_string(),
    }
}
