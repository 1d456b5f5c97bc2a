//! JSON Schemas of plenary's outputs and inputs, generated from the types that write
//! and read them (`schemars`), so they cannot disagree with the files. The repository
//! keeps a copy in `schemas/NAME.schema.json`; a test fails when the copy drifts from
//! the types (regenerate with `PLENARY_UPDATE_SCHEMAS=1 cargo test -p
//! plenary-tournament schema`). `plenary schema NAME` prints one.

use crate::config::Config;
use crate::results::{MatchRecord, RunResult};
use crate::summary::Summary;

/// The schemas: name, what it describes, and the generator.
pub const SCHEMAS: [(&str, &str); 4] = [
    (
        "run-result",
        "results of one match: `plenary run --json`, `lab`, `session`, `replay`",
    ),
    ("match-record", "one line of a tournament's matches.jsonl"),
    ("summary", "a tournament's summary.json"),
    (
        "tournament-config",
        "a tournament configuration (TOML, shown as its JSON data model)",
    ),
];

/// The schema `name` as pretty JSON (with a trailing newline), or None for an unknown
/// name.
pub fn schema(name: &str) -> Option<String> {
    let s = match name {
        "run-result" => schemars::schema_for!(RunResult),
        "match-record" => schemars::schema_for!(MatchRecord),
        "summary" => schemars::schema_for!(Summary),
        "tournament-config" => schemars::schema_for!(Config),
        _ => return None,
    };
    let mut v = serde_json::to_value(&s).expect("schemas serialize");
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "$id".into(),
            format!("https://plenary.invalid/schemas/{name}.schema.json").into(),
        );
    }
    Some(serde_json::to_string_pretty(&v).expect("schemas serialize") + "\n")
}

/// Names of the schemas, in order.
pub fn names() -> Vec<&'static str> {
    SCHEMAS.iter().map(|s| s.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
    }

    /// The schema files in the repository are the ones the types generate.
    #[test]
    fn schema_files_match_the_types() {
        let update = std::env::var_os("PLENARY_UPDATE_SCHEMAS").is_some();
        let mut stale = Vec::new();
        for name in names() {
            let want = schema(name).unwrap();
            let path = dir().join(format!("{name}.schema.json"));
            if update {
                std::fs::create_dir_all(dir()).unwrap();
                std::fs::write(&path, &want).unwrap();
                continue;
            }
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            if have != want {
                stale.push(path.display().to_string());
            }
        }
        assert!(
            stale.is_empty(),
            "schema files differ from the types: {stale:?}; regenerate them with \
             `PLENARY_UPDATE_SCHEMAS=1 cargo test -p plenary-tournament schema` and commit"
        );
        assert!(schema("nope").is_none());
    }

    /// Top-level properties of the run result and match record schemas list the fields
    /// a written document has (flattened outcome included).
    #[test]
    fn schemas_list_the_written_fields() {
        let v: serde_json::Value = serde_json::from_str(&schema("match-record").unwrap()).unwrap();
        let props = v["properties"].as_object().unwrap();
        for k in [
            "schema_version",
            "tool_version",
            "seed",
            "states",
            "tension",
            "summary",
            "role",
            "executor",
        ] {
            assert!(props.contains_key(k), "match-record lacks {k}");
        }
        let v: serde_json::Value = serde_json::from_str(&schema("run-result").unwrap()).unwrap();
        let props = v["properties"].as_object().unwrap();
        for k in [
            "schema_version",
            "seed",
            "states",
            "tension",
            "sessions",
            "blocs",
        ] {
            assert!(props.contains_key(k), "run-result lacks {k}");
        }
        // Seeds are declared as integers.
        assert_eq!(props["seed"]["type"], "integer");
    }
}
