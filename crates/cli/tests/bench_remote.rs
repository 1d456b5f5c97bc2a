//! `plenary bench remote` with the real binary: it spawns delegation and echo processes,
//! measures, and prints the table. Only the shape of the output is checked: no timing
//! assertions.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");

/// The table's row for `size` States and `endpoint`, split into columns.
fn row<'a>(out: &'a str, size: &str, endpoint: &str) -> Vec<&'a str> {
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|c| c.first() == Some(&size) && c[1..].join(" ").starts_with(endpoint))
        .unwrap_or_else(|| panic!("no `{endpoint}` row for {size} States in:\n{out}"))
}

#[test]
fn bench_remote_prints_delegation_and_echo_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["bench", "remote", "--sizes", "3", "--rounds", "20"])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("exchanges/s") && stdout.contains("p99 ms"));
    assert!(stdout.contains("RSS max MiB"));
    let delegation = row(&stdout, "3", "delegation");
    let echo = row(&stdout, "3", "echo baseline");
    // size, endpoint, exchanges/s, mean, p50, p99, vs echo, CPU, RSS max, RSS mean.
    assert_eq!(delegation.len(), 10, "{delegation:?}");
    assert_eq!(echo.len(), 11, "{echo:?}");
    for v in [delegation[2], echo[3]] {
        assert!(v.parse::<f64>().unwrap() > 0.0, "exchanges/s `{v}`");
    }
    assert!(delegation[6].ends_with('%'));
    let full = row(&stdout, "3", "full match");
    assert!(
        full.join(" ").contains("results identical"),
        "the remote match differs from the in-process one: {full:?}"
    );
}

#[test]
fn bench_without_mode_still_runs_in_process_and_rejects_mixed_flags() {
    let out = Command::new(BIN)
        .args(["bench", "--sizes", "10", "--millis", "1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("decisions/s"));
    let mixed = Command::new(BIN)
        .args(["bench", "--millis", "1", "remote"])
        .output()
        .unwrap();
    assert_eq!(mixed.status.code(), Some(2));
}
