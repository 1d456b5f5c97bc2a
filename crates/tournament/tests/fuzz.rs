//! Property tests over tournament configuration parsing (issue 9, item 7), a fixed
//! number of cases inside `cargo test`: mutated configurations never make parsing,
//! loading or planning panic; every error names the file and a key path or line and
//! stays short; a configuration that parses round-trips through its canonical TOML and
//! plans no more than it promised.
//!
//! More cases: `PROPTEST_CASES=20000 cargo test -p plenary-tournament --test fuzz`.

mod common;

use common::{NAMES, SMALL};
use plenary_core::files::{FileErrors, MAX_KEY_BYTES};
use plenary_core::validate::MAX_MESSAGE_BYTES;
use plenary_tournament::config::{Config, DEFAULT_CONFIG, MAX_PLANNED_MATCHES};
use plenary_tournament::plan::{self, Catalog};
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "4000000000",
    "4294967296",
    "1e307",
    "nan",
    "inf",
    "0.5",
    "1000000",
];
const STRINGS: &[&str] = &[
    "\"\"",
    "\"osce-2021\"",
    "\"csce-1975\"",
    "\"no-such\"",
    "\"hard\"",
    "\"sincere\"",
    "\"mixed\"",
    "\"notaurl\"",
    "\"http://127.0.0.1:99999\"",
    "\"http://u:p@h:1\"",
    "[\"osce-2021\", \"osce-2021\"]",
    "[]",
    "[\"hard\", \"hard\"]",
    "[\"nn\"]",
    "[\"non-alligned\"]",
];
const LINES: &[&str] = &[
    "[rotation]",
    "[population]",
    "[bloc-vs-bloc]\nneutrals = \"soft\"",
    "[invasion]",
    "[evolutionary]\ngenerations = 2\nmatches = 1\nselection = 0.5",
    "[endpoints]\nmine = \"http://127.0.0.1:1\"",
    "neutral_blocs = [\"nato\"]",
    "replications = 0",
];

fn mutate(text: &str, op: u8, at: u64, pick: u64) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let i = (at % lines.len() as u64) as usize;
    let choose = |list: &[&'static str]| list[(pick % list.len() as u64) as usize];
    match op % 6 {
        k @ (0 | 1) => {
            let v = if k == 0 {
                choose(NUMBERS)
            } else {
                choose(STRINGS)
            };
            if let Some((k, _)) = lines[i].clone().split_once('=') {
                lines[i] = format!("{k}= {v}");
            }
        }
        2 => {
            lines.remove(i);
        }
        3 => lines.insert(i, choose(LINES).to_string()),
        4 => lines.push(choose(LINES).to_string()),
        _ => {
            let j = (pick % lines.len() as u64) as usize;
            let l = lines[j].clone();
            lines.insert(i, l);
        }
    }
    lines.join("\n") + "\n"
}

fn well_formed(e: &FileErrors) {
    for fe in &e.0 {
        assert_eq!(fe.origin, "m.toml");
        assert!(
            !fe.key.is_empty()
                || fe.line.is_some()
                || fe.message.starts_with("no format table")
                || fe.message.contains("seats (matches x States"),
            "an error without key path or line: {fe}"
        );
        assert!(fe.key.len() <= MAX_KEY_BYTES + 4, "{fe:.300}");
        assert!(fe.message.len() <= MAX_MESSAGE_BYTES + 4, "{fe:.300}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn mutated_configs_never_panic_and_plan_what_they_promise(
        which in 0usize..2,
        ops in proptest::collection::vec((any::<u8>(), any::<u64>(), any::<u64>()), 1..5),
    ) {
        let base = [SMALL, DEFAULT_CONFIG][which];
        let mut text = base.to_string();
        for (op, at, pick) in ops {
            text = mutate(&text, op, at, pick);
        }
        // The default config names the built-in strategies; accept every name there.
        let names: &[&str] = if which == 0 { NAMES } else { &[] };
        let cfg = match Config::parse("m.toml", &text, names) {
            Ok(c) => c,
            Err(e) => {
                well_formed(&e);
                return Ok(());
            }
        };
        let again = Config::parse("again", &cfg.to_toml(), names).unwrap();
        prop_assert_eq!(&again, &cfg);
        prop_assert_eq!(again.fingerprint(), cfg.fingerprint());
        let promised: u128 = cfg.planned_matches().iter().map(|c| c.1).sum();
        prop_assert!(promised <= u128::from(MAX_PLANNED_MATCHES));
        let catalog = match Catalog::load("m.toml", &cfg) {
            Ok(c) => c,
            Err(e) => {
                well_formed(&e);
                return Ok(());
            }
        };
        // Planning is cheap below a few thousand matches; bigger plans are covered by
        // the limit above.
        if promised <= 5_000 {
            let p = plan::plan(&cfg, &catalog);
            prop_assert!(u128::from(p.total) <= promised);
        }
    }
}
