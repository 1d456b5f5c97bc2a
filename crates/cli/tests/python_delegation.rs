//! A full multi-process match in which the Python delegation (examples/python-delegation)
//! plays two seats among Rust delegations: the real `plenary chair`, two real
//! `plenary delegate` processes and `delegation.py`, each registering with the chair
//! over the Secretariat service, then a session started, run to its end and read back.
//!
//! The first test assembles the room from `plenary chair` and `plenary delegate` (each
//! registering itself); the second lets `plenary lab --external` seat the Python
//! delegation among the lab's own processes.
//!
//! Needs the Python example's dependencies and fails (never skips) without them:
//! `python3 -m pip install -r examples/python-delegation/requirements.txt`.

use plenary_proto::v1;
use plenary_proto::v1::secretariat_client::SecretariatClient;
use plenary_test_support::Spawned;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::process::Command;
use tonic::transport::Channel;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");
const START_LIMIT: Duration = Duration::from_secs(30);
/// Upper bound of the whole test (two matches).
const TEST_LIMIT: Duration = Duration::from_secs(300);
/// Upper bound of one match.
const MATCH_LIMIT: Duration = Duration::from_secs(120);

/// States the Python delegation plays (a Warsaw Pact member and a neutral).
const PYTHON_STATES: [&str; 2] = ["SUN", "FIN"];
/// The State the hardliner `plenary delegate` registers for itself.
const HARDLINER_STATE: &str = "USA";
/// Name the Python delegation reports.
const PYTHON_STRATEGY: &str = "py-reciprocator";

async fn spawn(what: &str, mut cmd: Command) -> Spawned {
    cmd.kill_on_drop(true);
    if std::env::var_os("RUST_LOG").is_none() {
        // The children's info logs would drown the test's output.
        cmd.env("RUST_LOG", "warn");
    }
    Spawned::start(cmd, START_LIMIT)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// State ids of a built-in scenario, in id order (from `plenary run --json`).
async fn scenario_states(scenario: &str, dir: &std::path::Path) -> Vec<String> {
    let json = dir.join("states.json");
    let out = Command::new(BIN)
        .args(["run", "--scenario", scenario, "--brief", "--json"])
        .arg(&json)
        .output()
        .await
        .expect("plenary run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    v["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// Starts a match on the chair and waits for its results JSON.
async fn play(chair: &mut SecretariatClient<Channel>, match_id: &str) -> Value {
    let started = chair
        .start_session(v1::StartSessionRequest {
            scenario: "csce-1975".into(),
            design: String::new(),
            seed: 7,
            strategies: Vec::new(),
            match_id: match_id.into(),
            timeout_ms: 5_000,
        })
        .await
        .expect("StartSession")
        .into_inner();
    assert_eq!(started.match_id, match_id);
    let t0 = Instant::now();
    loop {
        let r = chair
            .get_results(v1::GetResultsRequest {
                session_id: started.session_id.clone(),
            })
            .await
            .expect("GetResults")
            .into_inner();
        if r.done {
            return serde_json::from_str(&r.results_json).expect("results JSON");
        }
        assert!(
            t0.elapsed() < MATCH_LIMIT,
            "match {match_id} not done after {MATCH_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_delegation_plays_a_full_match_among_rust_delegations() {
    plenary_test_support::trace_init();
    plenary_test_support::require_python_example();
    tokio::time::timeout(TEST_LIMIT, scenario())
        .await
        .expect("the test did not finish in time");
}

async fn scenario() {
    let dir = tempfile::tempdir().unwrap();
    let states = scenario_states("csce-1975", dir.path()).await;
    for s in PYTHON_STATES.iter().chain([&HARDLINER_STATE]) {
        assert!(states.iter().any(|x| x == s), "{s} is not in csce-1975");
    }

    // The chair (open registration: no tokens file).
    let mut cmd = Command::new(BIN);
    cmd.args(["chair", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path());
    let chair_proc = spawn("plenary chair", cmd).await;
    let chair_url = chair_proc.url();
    plenary_test_support::wait_healthy(chair_proc.addr, "", START_LIMIT)
        .await
        .unwrap();

    // The Python delegation registers itself for its States.
    let mut cmd = Command::new("python3");
    cmd.arg(plenary_test_support::python_example_dir().join("delegation.py"))
        .args(["--listen", "127.0.0.1:0", "--register", &chair_url]);
    for s in PYTHON_STATES {
        cmd.args(["--state", s]);
    }
    cmd.args(["--token", "any"]);
    let mut python = spawn("python delegation", cmd).await;
    for s in PYTHON_STATES {
        python
            .wait_line(&format!("registered {s} "), START_LIMIT)
            .await
            .unwrap();
    }

    // A Rust hardliner registers itself for one State ...
    let mut cmd = Command::new(BIN);
    cmd.args([
        "delegate",
        "--state",
        HARDLINER_STATE,
        "--strategy",
        "hardliner",
        "--listen",
        "127.0.0.1:0",
    ])
    .args(["--register", &chair_url, "--token", "any"]);
    let mut hardliner = spawn("plenary delegate (hardliner)", cmd).await;
    hardliner
        .wait_line(&format!("registered {HARDLINER_STATE} "), START_LIMIT)
        .await
        .unwrap();

    // ... and one Rust tit-for-tat endpoint plays every other State (one endpoint may
    // play many seats); the test registers it for them.
    let mut cmd = Command::new(BIN);
    cmd.args([
        "delegate",
        "--state",
        "AUT",
        "--any-seat",
        "--strategy",
        "tit-for-tat",
        "--listen",
        "127.0.0.1:0",
    ]);
    let tft = spawn("plenary delegate (tit-for-tat)", cmd).await;
    let mut chair = SecretariatClient::connect(chair_url.clone())
        .await
        .expect("connect to the chair");
    for s in states
        .iter()
        .filter(|s| !PYTHON_STATES.contains(&s.as_str()) && s.as_str() != HARDLINER_STATE)
    {
        chair
            .register(v1::RegisterRequest {
                state: s.clone(),
                endpoint: tft.url(),
                token: "any".into(),
                strategy: "tit-for-tat".into(),
            })
            .await
            .unwrap_or_else(|e| panic!("register {s}: {e}"));
    }

    let first = play(&mut chair, "python-among-rust-1").await;
    assert_eq!(
        first["complete"],
        Value::Bool(true),
        "match cut short: {}",
        first["violations"]
    );
    assert_eq!(
        first["violations"].as_array().map(Vec::len),
        Some(0),
        "violations: {}",
        first["violations"]
    );
    let by_id = |v: &Value, id: &str| -> Value {
        v["states"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    for s in PYTHON_STATES {
        let st = by_id(&first, s);
        assert_eq!(st["strategy"], PYTHON_STRATEGY, "{st}");
        assert_eq!(st["violations"], 0, "{st}");
    }
    assert_eq!(by_id(&first, HARDLINER_STATE)["strategy"], "hardliner");
    assert_eq!(by_id(&first, "AUT")["strategy"], "tit-for-tat");
    let sessions = first["sessions"].as_array().expect("sessions");
    assert!(!sessions.is_empty());

    // The same match again (fresh match id): every delegation, the Python one included,
    // keeps memory per match and answers deterministically, so the results agree.
    let mut second = play(&mut chair, "python-among-rust-2").await;
    let mut first = first;
    for v in [&mut first, &mut second] {
        v.as_object_mut().unwrap().remove("match_id");
    }
    assert!(
        first == second,
        "the two matches differ:\n{first}\n---\n{second}"
    );

    // All processes still up at the end.
    for (name, p) in [
        ("chair", &chair_proc),
        ("python", &python),
        ("hardliner", &hardliner),
        ("tit-for-tat", &tft),
    ] {
        plenary_test_support::wait_healthy(p.addr, "", Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("{name} no longer healthy: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_seats_the_python_delegation_with_external() {
    plenary_test_support::require_python_example();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(plenary_test_support::python_example_dir().join("delegation.py"))
        .args(["--listen", "127.0.0.1:0"]);
    let py = spawn("python delegation", cmd).await;
    let json = dir.path().join("lab.json");
    let out = tokio::time::timeout(
        MATCH_LIMIT,
        Command::new(BIN)
            .args([
                "lab",
                "--scenario",
                "csce-1975",
                "--brief",
                "--timeout-ms",
                "5000",
            ])
            .arg("--external")
            .arg(format!("SUN={}", py.url()))
            .arg("--json")
            .arg(&json)
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("plenary lab --external finished in time")
    .expect("plenary lab runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
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
    assert_eq!(sun["strategy"], "external");
    assert!(String::from_utf8_lossy(&out.stdout).contains("external"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tournament_plays_the_python_delegation_as_an_external_entrant() {
    plenary_test_support::require_python_example();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(plenary_test_support::python_example_dir().join("delegation.py"))
        .args(["--listen", "127.0.0.1:0"]);
    let py = spawn("python delegation", cmd).await;
    let config = format!(
        "seed = 5\nreplications = 1\nstrategies = [\"dissociator\", \"py\"]\n\
         designs = [\"csce-1975\"]\nscenarios = [\"csce-1975\"]\n\n\
         [invasion]\ninvaders = [\"py\"]\nresidents = [\"dissociator\"]\n\n\
         [endpoints]\npy = \"{}\"\n",
        py.url()
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = std::fs::read_to_string(dir.path().join("out/matches.jsonl")).unwrap();
    assert!(!lines.trim().is_empty());
    assert!(
        lines.contains("\"py\""),
        "the external strategy played: {lines:.400}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("py"));
}

#[tokio::test]
async fn python_strategy_unit_tests_pass() {
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "unittest", "-v", "test_strategy"])
        .current_dir(plenary_test_support::python_example_dir())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("python3 -m unittest hung")
        .expect("run python3 (is it installed?)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "examples/python-delegation/test_strategy.py failed:\n{stderr}"
    );
    assert!(stderr.contains("OK"), "{stderr}");
}
