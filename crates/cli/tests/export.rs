//! `plenary export`: the Parquet tables load in pandas and polars with every type kept
//! and every value equal to matches.jsonl. Provisions its own Python environment
//! (`python3 -m venv` under target/, then `pip install pandas polars pyarrow`), so it
//! is heavy: it runs with `cargo test -- --include-ignored` (the README's test command
//! and CI). It never skips: a missing python3 or venv module is a failure that says
//! what to install.

use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIG: &str = r#"
seed = 13
replications = 1
strategies = ["hardliner", "conceder", "mediator"]
designs = ["csce-1975"]
scenarios = ["csce-1975"]

[rotation]

[bloc-vs-bloc]
neutrals = "mediator"

[invasion]

[evolutionary]
generations = 2
matches = 1
selection = 0.5
"#;

fn plenary(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args(args)
        .current_dir(dir)
        .env("CI", "1")
        .env_remove("PLENARY_SEED")
        .env_remove("PLENARY_TOURNAMENT_CONFIG")
        .output()
        .expect("run plenary");
    assert!(
        out.status.success(),
        "plenary {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A Python with pandas, polars and pyarrow: a venv under target/, created and filled
/// on first use.
fn python() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("parquet-venv");
    let py = venv.join("bin").join("python");
    let ready = |py: &Path| {
        Command::new(py)
            .args(["-c", "import pandas, polars, pyarrow"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&py) {
        return py;
    }
    let run = |cmd: &mut Command, what: &str| {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("{what}: cannot run ({e}); this test needs python3"));
        assert!(
            out.status.success(),
            "{what} failed (Debian: apt-get install python3-venv):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    );
    run(
        Command::new(&py).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "pandas",
            "polars",
            "pyarrow",
        ]),
        "pip install pandas polars pyarrow",
    );
    assert!(
        ready(&py),
        "pandas, polars and pyarrow do not import after installing them"
    );
    py
}

const CHECK: &str = r#"
import json, sys
import pandas as pd, polars as pl, pyarrow.parquet as pq

d = sys.argv[1]
records = [json.loads(l) for l in open(f"{d}/matches.jsonl")]
records.sort(key=lambda r: r["index"])
n = len(records)
seats = sum(len(r["states"]) for r in records)

# pandas (default numpy types) on the non-null columns.
m = pd.read_parquet(f"{d}/matches.parquet")
s = pd.read_parquet(f"{d}/states.parquet")
print("pandas matches:", m.shape, "states:", s.shape)
print(m[["index", "match_id", "seed", "format", "capacity_to_act"]].head(3).to_string())
print(s.dtypes.to_string())
assert m.shape[0] == n and s.shape[0] == seats, (m.shape, s.shape, n, seats)
assert str(m["index"].dtype) == "int64" and str(m["seed"].dtype) == "int64"
assert str(m["replication"].dtype) == "int32" and str(m["exits"].dtype) == "int32"
assert str(m["capacity_to_act"].dtype) == "float64" and str(m["complete"].dtype) == "bool"
assert str(s["gain"].dtype) == "float64" and str(s["focal"].dtype) == "bool"
assert list(m["index"]) == [r["index"] for r in records]
assert list(m["seed"]) == [r["seed"] for r in records], "seeds changed"
assert list(m["match_id"]) == [r["match_id"] for r in records]
gains = [st["gain"] for r in records for st in r["states"]]
assert list(s["gain"]) == gains, "gains changed"
# Nullable integers keep their type with pandas' nullable dtypes.
sn = pd.read_parquet(f"{d}/states.parquet", dtype_backend="numpy_nullable")
assert str(sn["exited"].dtype) == "Int32", sn["exited"].dtype
mn = pd.read_parquet(f"{d}/matches.parquet", dtype_backend="numpy_nullable")
assert str(mn["generation"].dtype) == "Int32"
assert int(mn["generation"].notna().sum()) == sum(1 for r in records if r["format"] == "evolutionary")

# polars.
pm = pl.read_parquet(f"{d}/matches.parquet")
ps = pl.read_parquet(f"{d}/states.parquet")
print("polars matches:", pm.shape, "states:", ps.shape)
print(pm.select(["index", "seed", "format", "focal_strategy", "generation"]).head(3))
assert pm.schema["index"] == pl.Int64 and pm.schema["seed"] == pl.Int64
assert pm.schema["generation"] == pl.Int32 and ps.schema["exited"] == pl.Int32
assert pm.schema["match_id"] == pl.String and pm.schema["complete"] == pl.Boolean
assert pm["seed"].to_list() == [r["seed"] for r in records]
assert ps["gain"].to_list() == gains
assert ps["exited"].to_list() == [st["exited"] for r in records for st in r["states"]]

meta = pq.read_metadata(f"{d}/matches.parquet").metadata
assert meta[b"schema_version"] == str(records[0]["schema_version"]).encode()
assert meta[b"tool_version"].startswith(b"plenary ")
print("ok")
"#;

#[test]
#[ignore = "heavy: provisions a Python venv with pandas, polars and pyarrow (run with --include-ignored)"]
fn parquet_loads_in_pandas_and_polars_without_type_loss() {
    let py = python();
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("t.toml"), CONFIG).unwrap();
    plenary(d, &["tournament", "--config", "t.toml", "--out", "out"]);
    let printed = plenary(d, &["export", "out"]);
    assert!(printed.contains("matches.parquet") && printed.contains("states.parquet"));
    let out = Command::new(&py)
        .args(["-c", CHECK])
        .arg(d.join("out"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(
        out.status.success() && text.trim_end().ends_with("ok"),
        "the Parquet check failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The export is a pure function of the records, in index order: exporting again
    // gives the same bytes.
    let first = std::fs::read(d.join("out/states.parquet")).unwrap();
    plenary(d, &["export", "out"]);
    assert_eq!(std::fs::read(d.join("out/states.parquet")).unwrap(), first);
}
