//! The Python delegation (examples/python-delegation, on the SDK in python/) among Rust
//! delegations: registering itself with a real `plenary chair`, seated by
//! `plenary lab --external`, and entering a tournament with one `[commands]` entry.
//!
//! The Python SDK and its dependencies are provisioned in a venv under the target
//! directory by `plenary_test_support::python::venv_python` (never skipped).

use plenary_proto::v2;
use plenary_proto::v2::secretariat_client::SecretariatClient;
use plenary_test_support::{Child, START, python, spawn, wait_healthy};
use serde_json::Value;
use std::time::Duration;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");
/// Upper bound of one match (generous: the machine is shared with builds).
const MATCH_LIMIT: Duration = Duration::from_secs(300);
/// The strategy name the Python example announces.
const PYTHON_STRATEGY: &str = "py-reciprocator";

async fn python_delegation(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> Child {
    let script = python::example_dir().join("delegation.py");
    let script = script.to_string_lossy().to_string();
    let mut all = vec![script.as_str(), "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let d = spawn(python::venv_python(), &all, env, dir)
        .await
        .expect("the Python delegation starts");
    wait_healthy(d.addr, "plenary.v2.Delegation", START)
        .await
        .unwrap();
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_delegation_registers_itself_and_plays_a_full_match() {
    plenary_test_support::trace_init();
    let dir = tempfile::tempdir().unwrap();
    let chair = spawn(
        BIN,
        &["chair", "--listen", "127.0.0.1:0", "--exit-with-stdin"],
        &[],
        dir.path(),
    )
    .await
    .unwrap();
    wait_healthy(chair.addr, "plenary.v2.Secretariat", START)
        .await
        .unwrap();
    // The Python delegation plays two States and registers for both by itself.
    let mut py = python_delegation(
        &[
            "--state",
            "SUN",
            "--state",
            "FIN",
            "--register",
            &chair.url(),
        ],
        &[("PLENARY_TOKEN", "any")],
        dir.path(),
    )
    .await;
    py.wait_line("registered", START).await.unwrap();
    // One Rust endpoint plays every other seat; the test registers it for them.
    let rust = spawn(
        BIN,
        &[
            "delegate",
            "--any-seat",
            "--strategy",
            "dissociator",
            "--listen",
            "127.0.0.1:0",
            "--exit-with-stdin",
        ],
        &[],
        dir.path(),
    )
    .await
    .unwrap();
    let mut c = SecretariatClient::connect(chair.url()).await.unwrap();
    let sc = plenary_scenarios::scenario("csce-1975").unwrap();
    let mut keep = Vec::new();
    for s in sc.states.iter().filter(|s| s.id != "SUN" && s.id != "FIN") {
        let mut stream = c
            .register(v2::RegisterRequest {
                state: s.id.clone(),
                endpoint: rust.url(),
                token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(stream.message().await.unwrap().is_some());
        keep.push(stream);
    }
    let out = tokio::time::timeout(
        MATCH_LIMIT,
        Command::new(BIN)
            .current_dir(dir.path())
            .args([
                "session",
                "--chair",
                &chair.url(),
                "--scenario",
                "csce-1975",
                "--seed",
                "7",
                "--brief",
                "--timeout-ms",
                "60000",
                "--json",
                "r.json",
            ])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the match finished in time")
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let r: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(r["complete"], true);
    assert_eq!(
        r["violations"].as_array().unwrap().len(),
        0,
        "{}",
        r["violations"]
    );
    for state in r["states"].as_array().unwrap() {
        let want = if state["id"] == "SUN" || state["id"] == "FIN" {
            PYTHON_STRATEGY
        } else {
            "dissociator"
        };
        assert_eq!(
            state["strategy"], want,
            "reports name what each delegation announced"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_seats_the_python_delegation_with_external() {
    plenary_test_support::trace_init();
    let dir = tempfile::tempdir().unwrap();
    let py = python_delegation(&[], &[], dir.path()).await;
    let out = tokio::time::timeout(
        MATCH_LIMIT,
        Command::new(BIN)
            .current_dir(dir.path())
            .args([
                "lab",
                "--scenario",
                "csce-1975",
                "--brief",
                "--timeout-ms",
                "60000",
                "--json",
                "lab.json",
            ])
            .arg("--external")
            .arg(format!("SUN={}", py.url()))
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("plenary lab --external finished in time")
    .expect("plenary lab runs");
    assert!(out.status.success(), "{out:?}");
    let r: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("lab.json")).unwrap()).unwrap();
    assert_eq!(r["complete"], true);
    assert_eq!(
        r["violations"].as_array().unwrap().len(),
        0,
        "{}",
        r["violations"]
    );
    let sun = r["states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "SUN")
        .unwrap();
    assert_eq!(sun["strategy"], PYTHON_STRATEGY);
    assert!(String::from_utf8_lossy(&out.stdout).contains(PYTHON_STRATEGY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tournament_enters_a_python_strategy_with_one_command_entry() {
    plenary_test_support::trace_init();
    let dir = tempfile::tempdir().unwrap();
    let python = python::venv_python();
    let script = python::example_dir().join("delegation.py");
    let config = format!(
        "seed = 5\nreplications = 1\nstrategies = [\"dissociator\", \"py\"]\n\
         designs = [\"csce-1975\"]\nscenarios = [\"csce-1975\"]\n\n\
         [invasion]\ninvaders = [\"py\"]\nresidents = [\"dissociator\"]\n\n\
         [commands]\npy = [{:?}, {:?}, \"--listen\", \"{{addr}}\"]\n",
        python.display().to_string(),
        script.display().to_string(),
    );
    std::fs::write(dir.path().join("t.toml"), config).unwrap();
    let out = tokio::time::timeout(
        MATCH_LIMIT,
        Command::new(BIN)
            .args(["tournament", "--config", "t.toml", "--out", "out"])
            .current_dir(dir.path())
            .env("CI", "1")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the tournament finished in time")
    .expect("plenary tournament runs");
    assert!(out.status.success(), "{out:?}");
    let lines = std::fs::read_to_string(dir.path().join("out/matches.jsonl")).unwrap();
    assert!(!lines.trim().is_empty());
    assert!(
        lines.contains("\"py\""),
        "the Python strategy played: {lines:.400}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("py"));
}
