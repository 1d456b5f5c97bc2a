//! A Python virtualenv for integration tests, provisioned by the tests themselves.
//!
//! [`venv_python`] returns the interpreter of `TARGET/python-venv`, where `TARGET` is the
//! Cargo target directory of the running test (so `CARGO_TARGET_DIR` is respected). The
//! venv holds the plenary Python SDK (`python/`, with its `dev` extra) and the Python
//! example's requirements (`examples/python-delegation/requirements.txt`), at the exact
//! versions of `python/constraints.txt`; a machine needs only `python3` (with its `venv`
//! module) and access to PyPI (pip's cache makes later builds fast).
//!
//! The venv is built once per change of its inputs: a stamp inside it records a hash of
//! the Python version and of every input file (the SDK's sources included, since the SDK
//! is installed as a copy), and a mismatch rebuilds it from scratch. An exclusive lock
//! on `TARGET/python-venv.lock` (`flock`) serialises concurrent test processes; within
//! one process the result is computed once. Any failure panics with the failing
//! command and its whole output: a test that needs Python never skips.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Directory name of the venv inside the target directory.
const VENV: &str = "python-venv";
/// File inside the venv recording what it was built from.
const STAMP: &str = "plenary-stamp";

/// The repository root (this crate lives in `crates/test-support`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// The Python delegation example (`examples/python-delegation`).
pub fn example_dir() -> PathBuf {
    repo_root().join("examples/python-delegation")
}

/// The Python SDK package (`python/`).
pub fn sdk_dir() -> PathBuf {
    repo_root().join("python")
}

/// The Cargo target directory of the running test binary.
///
/// Cargo writes `CACHEDIR.TAG` at the root of every target directory, and test binaries
/// live below it (`TARGET/debug/deps/...`), so the nearest ancestor of the binary holding
/// that file is the target directory; `CARGO_TARGET_DIR` and `./target` are fallbacks.
pub fn target_dir() -> PathBuf {
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe
            .ancestors()
            .skip(1)
            .find(|d| d.join("CACHEDIR.TAG").is_file())
        {
            return dir.to_path_buf();
        }
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => repo_root().join(d),
        None => repo_root().join("target"),
    }
}

/// The venv's directory (`TARGET/python-venv`).
pub fn venv_dir() -> PathBuf {
    target_dir().join(VENV)
}

/// The Python interpreter of the provisioned venv, building the venv first if needed.
///
/// # Panics
/// When the venv cannot be built: the message has the failing command and its output.
pub fn venv_python() -> PathBuf {
    static VENV_PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    VENV_PYTHON
        .get_or_init(|| provision(&venv_dir()))
        .clone()
        .unwrap_or_else(|e| panic!("cannot provision the Python test venv: {e}"))
}

fn interpreter(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Runs `cmd`, returning its stdout, or an error with the command and all its output.
fn run(cmd: &mut Command) -> Result<String, String> {
    let line = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(OsStr::to_string_lossy)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run `{line}`: {e} (is python3 installed and on PATH?)"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "`{line}` failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// FNV-1a, 64 bits: a stable hash of the venv's inputs (not a security measure).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Length-delimited, so ("ab", "c") and ("a", "bc") differ.
        for b in (bytes.len() as u64).to_le_bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Files under `dir` (recursively), sorted, without caches and build leftovers.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        let name = path.file_name().and_then(OsStr::to_str).unwrap_or("");
        if name == "__pycache__" || name.ends_with(".pyc") || name.ends_with(".egg-info") {
            continue;
        }
        if path.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// What the venv is built from: the Python version and the input files' contents.
fn stamp(root: &Path, python_version: &str) -> Result<String, String> {
    let mut files = vec![
        root.join("python/pyproject.toml"),
        root.join("python/constraints.txt"),
        root.join("python/README.md"),
        root.join("examples/python-delegation/requirements.txt"),
    ];
    files_under(&root.join("python/plenary_delegation"), &mut files)?;
    files.sort();
    let mut h = Fnv::new();
    h.write(python_version.as_bytes());
    for f in &files {
        let rel = f.strip_prefix(root).unwrap_or(f);
        h.write(rel.to_string_lossy().as_bytes());
        h.write(&fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?);
    }
    Ok(format!("{:016x}\n", h.0))
}

/// Takes an exclusive lock on `path` (created if missing) until the file is dropped.
#[cfg(unix)]
fn lock(path: &Path) -> Result<File, String> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(file)
}

/// Without `flock`, only the in-process guard of [`venv_python`] serialises builds.
#[cfg(not(unix))]
fn lock(path: &Path) -> Result<File, String> {
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))
}

/// Builds `venv` unless its stamp matches the inputs; returns its interpreter.
fn provision(venv: &Path) -> Result<PathBuf, String> {
    let root = repo_root();
    let parent = venv.parent().ok_or("the venv has no parent directory")?;
    fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let _guard = lock(&parent.join(format!("{VENV}.lock")))?;

    let version = run(Command::new("python3").args(["-c", "import sys; print(sys.version)"]))?;
    let want = stamp(&root, &version)?;
    let python = interpreter(venv);
    let stamp_file = venv.join(STAMP);
    if python.is_file() && fs::read_to_string(&stamp_file).ok().as_deref() == Some(&want) {
        return Ok(python);
    }

    if venv.exists() {
        fs::remove_dir_all(venv).map_err(|e| format!("cannot remove {}: {e}", venv.display()))?;
    }
    run(Command::new("python3").arg("-m").arg("venv").arg(venv))?;
    let sdk = root.join("python");
    // setuptools builds in `python/build` and never empties it: a module deleted from the
    // SDK would still be installed from a stale copy there.
    let stale = sdk.join("build");
    if stale.exists() {
        fs::remove_dir_all(&stale)
            .map_err(|e| format!("cannot remove {}: {e}", stale.display()))?;
    }
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--no-input",
            "--disable-pip-version-check",
        ])
        .arg("-c")
        .arg(sdk.join("constraints.txt"))
        .arg(format!("{}[dev]", sdk.display()))
        .arg("-r")
        .arg(root.join("examples/python-delegation/requirements.txt"))
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"))?;
    run(Command::new(&python).args([
        "-c",
        "import plenary_delegation, grpc_tools, grpc_health, grpc_reflection",
    ]))?;
    // Written last: an interrupted build has no stamp and is rebuilt next time.
    let tmp = venv.join(format!("{STAMP}.tmp"));
    fs::write(&tmp, &want).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    fs::rename(&tmp, &stamp_file)
        .map_err(|e| format!("cannot write {}: {e}", stamp_file.display()))?;
    Ok(python)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_changes_with_the_inputs() {
        let a = stamp(&repo_root(), "3.11.7").unwrap();
        assert_eq!(a, stamp(&repo_root(), "3.11.7").unwrap());
        assert_ne!(a, stamp(&repo_root(), "3.12.0").unwrap());
        let mut h = Fnv::new();
        h.write(b"ab");
        h.write(b"c");
        let mut g = Fnv::new();
        g.write(b"a");
        g.write(b"bc");
        assert_ne!(h.0, g.0);
    }

    #[test]
    fn the_target_dir_is_found_from_the_test_binary() {
        let t = target_dir();
        assert!(t.join("CACHEDIR.TAG").is_file(), "{}", t.display());
        assert!(std::env::current_exe().unwrap().starts_with(&t));
    }
}
