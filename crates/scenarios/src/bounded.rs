//! Bounded reading of every file the program reads: scenario, design and tournament
//! TOML files, tokens files, `matches.jsonl` on resume, data files.
//!
//! * Only regular files are read. The metadata is checked before opening (a FIFO or
//!   `/dev/stdin` would block the open or the read forever, `/dev/zero` never ends), and
//!   again on the opened handle, so what is read is what was checked.
//! * Whole files are read with a size limit ([`MAX_TOML_BYTES`] for TOML), through
//!   `take(limit + 1)`, so a file that grows while it is read is still cut off.
//! * Line files are streamed line by line with a per-line limit
//!   ([`MAX_RECORD_LINE_BYTES`] for match records), so memory stays bounded whatever
//!   the file's total size.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Largest TOML file read (scenario, design, tournament config, tokens): 4 MiB, about
/// a hundred times the largest preset.
pub const MAX_TOML_BYTES: u64 = 4 * 1024 * 1024;

/// Longest line of a `matches.jsonl` file: 8 MiB (a record of a match of a thousand
/// States is about 200 KiB).
pub const MAX_RECORD_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not a regular file (a directory, FIFO, device or socket).
    #[error("{}: cannot read: is {kind}, not a regular file", path.display())]
    NotRegular {
        /// The path as given.
        path: PathBuf,
        /// `a directory`, `a FIFO`, `a character device`, ...
        kind: &'static str,
    },
    /// Larger than the limit.
    #[error("{}: cannot read: larger than the limit of {limit} bytes", path.display())]
    TooLarge {
        /// The path as given.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// Not UTF-8 text.
    #[error("{}: cannot read: not UTF-8 text (invalid byte at offset {offset})", path.display())]
    NotUtf8 {
        /// The path as given.
        path: PathBuf,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A line longer than the limit.
    #[error("{}:{line}: line longer than the limit of {limit} bytes", path.display())]
    LineTooLong {
        /// The path as given.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// An I/O error. Its text is part of the message, so it is not also chained as
    /// the source (`{:#}` would print it twice).
    #[error("{}: cannot read: {error}", path.display())]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },
}

impl ReadError {
    /// Whether the file does not exist (callers that treat a missing file as empty).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { error, .. } if error.kind() == io::ErrorKind::NotFound)
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ReadError + '_ {
    move |error| ReadError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// What a non-regular file is, for the error message.
fn kind_of(ft: &std::fs::FileType) -> Option<&'static str> {
    if ft.is_file() {
        return None;
    }
    if ft.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if ft.is_char_device() {
            return Some("a character device");
        }
        if ft.is_block_device() {
            return Some("a block device");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Opens `path` for reading if, and only if, it is a regular file (symbolic links are
/// followed: a link to a regular file is fine, a link to `/dev/zero` is not). Returns
/// the file and its length.
pub fn open_regular(path: &Path) -> Result<(File, u64), ReadError> {
    let not_regular = |kind| ReadError::NotRegular {
        path: path.to_path_buf(),
        kind,
    };
    // Before opening: opening a FIFO blocks until a writer appears.
    let meta = std::fs::metadata(path).map_err(io_error(path))?;
    if let Some(kind) = kind_of(&meta.file_type()) {
        return Err(not_regular(kind));
    }
    let file = File::open(path).map_err(io_error(path))?;
    // After opening: the path may have been swapped in between.
    let meta = file.metadata().map_err(io_error(path))?;
    if let Some(kind) = kind_of(&meta.file_type()) {
        return Err(not_regular(kind));
    }
    Ok((file, meta.len()))
}

/// Reads the regular file at `path` as UTF-8 text of at most `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let too_large = || ReadError::TooLarge {
        path: path.to_path_buf(),
        limit,
    };
    let (file, len) = open_regular(path)?;
    if len > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Reads a TOML file (at most [`MAX_TOML_BYTES`]).
pub fn read_toml(path: &Path) -> Result<String, ReadError> {
    read_text(path, MAX_TOML_BYTES)
}

/// A line-by-line reader of a regular file with a per-line limit.
pub struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    limit: usize,
    line: usize,
    len: u64,
}

impl Lines {
    /// Opens the regular file at `path`; every line must fit in `limit` bytes.
    pub fn open(path: &Path, limit: usize) -> Result<Lines, ReadError> {
        let (file, len) = open_regular(path)?;
        Ok(Lines {
            path: path.to_path_buf(),
            reader: BufReader::new(file),
            limit,
            line: 0,
            len,
        })
    }

    /// Length of the file when it was opened.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// Number of the last line read (1-based; 0 before the first).
    pub fn line_number(&self) -> usize {
        self.line
    }

    /// Reads the next line (with its `\n`, if any) into `buf`, replacing its contents.
    /// Returns the number of bytes read, 0 at the end of the file.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> Result<usize, ReadError> {
        buf.clear();
        let n = (&mut self.reader)
            .take(self.limit as u64 + 1)
            .read_until(b'\n', buf)
            .map_err(io_error(&self.path))?;
        if n == 0 {
            return Ok(0);
        }
        self.line += 1;
        if n > self.limit {
            return Err(ReadError::LineTooLong {
                path: self.path.clone(),
                line: self.line,
                limit: self.limit,
            });
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.toml");
        std::fs::write(&p, "x = 1\n").unwrap();
        assert_eq!(read_text(&p, 6).unwrap(), "x = 1\n");
        let e = read_text(&p, 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: cannot read: larger than the limit of 5 bytes",
                p.display()
            )
        );
        std::fs::write(&p, b"ok \xff").unwrap();
        let e = read_text(&p, 100).unwrap_err().to_string();
        assert!(
            e.ends_with("not UTF-8 text (invalid byte at offset 3)"),
            "{e}"
        );
        assert!(
            read_text(&dir.path().join("missing"), 10)
                .unwrap_err()
                .is_not_found()
        );
    }

    #[test]
    fn lines_are_limited_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.jsonl");
        std::fs::write(&p, "ab\nabcdef\nx").unwrap();
        let mut l = Lines::open(&p, 4).unwrap();
        let mut buf = Vec::new();
        assert_eq!(l.next_line(&mut buf).unwrap(), 3);
        assert_eq!(buf, b"ab\n");
        let e = l.next_line(&mut buf).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("m.jsonl:2: line longer than the limit of 4 bytes"),
            "{e}"
        );
    }
}
