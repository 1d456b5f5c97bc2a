//! The Python SDK's and the Python example's own test suites, run by `cargo test` in the
//! venv that [`plenary_test_support::python::venv_python`] provisions (so a machine with
//! only the Rust toolchain and python3 runs them too; they never skip).

use std::path::Path;
use std::process::Command;

/// Runs `python -m unittest ARGS` in `dir` with the venv's interpreter and asserts success.
fn unittest(dir: &Path, args: &[&str]) {
    let python = plenary_test_support::python::venv_python();
    let out = Command::new(&python)
        .args(["-m", "unittest"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python -m unittest {args:?} in {} failed:\n{}\n{stderr}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout)
    );
    // unittest's summary: "Ran N tests" then "OK"; zero tests would be a broken discovery.
    assert!(
        stderr.contains("\nOK") && !stderr.contains("Ran 0 tests"),
        "{stderr}"
    );
}

#[test]
fn python_sdk_unit_tests_pass() {
    unittest(
        &plenary_test_support::python::sdk_dir(),
        &["discover", "-s", "tests"],
    );
}

#[test]
fn python_example_tests_pass() {
    unittest(
        &plenary_test_support::python::example_dir(),
        &["-v", "test_reciprocator"],
    );
}
