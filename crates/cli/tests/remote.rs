//! Multi-process tests of `plenary lab`, `chair`, `delegate` and `watch`: the real
//! binary, each test in its own temp dir, every server on 127.0.0.1 port 0, readiness
//! by polling health.

use plenary_core::MatchResult;
use plenary_core::strategy::Fault;
use plenary_proto::v1;
use plenary_proto::v1::secretariat_client::SecretariatClient;
use plenary_proto::v1::session_event::Event;
use plenary_test_support::{Spawned, trace_init, wait_healthy};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");
const START: Duration = Duration::from_secs(60);

fn plenary(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env("RUST_LOG", "warn,plenary=info")
        .kill_on_drop(true);
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn lab_results_are_byte_identical_to_run() {
    trace_init();
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--scenario",
        "osce-2021",
        "--design",
        "osce-2021",
        "--seed",
        "5",
    ];
    let run = plenary(dir.path())
        .arg("run")
        .args(flags)
        .args(["--json", "run.json"])
        .output()
        .await
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let lab = plenary(dir.path())
        .arg("lab")
        .args(flags)
        .args(["--json", "lab.json", "--timeout-ms", "20000"])
        .output()
        .await
        .unwrap();
    assert!(
        lab.status.success(),
        "{}",
        String::from_utf8_lossy(&lab.stderr)
    );
    let a = std::fs::read(dir.path().join("run.json")).unwrap();
    let b = std::fs::read(dir.path().join("lab.json")).unwrap();
    assert!(a == b, "lab JSON differs from run JSON");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&lab.stdout)
    );
    let r: MatchResult = serde_json::from_slice(&b).unwrap();
    assert_eq!(r.states.len(), 57);
    assert!(r.complete && r.violations.is_empty());
}

/// Processes whose environment carries `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(env) = std::fs::read(e.path().join("environ"))
            && env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes())
        {
            found.push(name);
        }
    }
    found
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn lab_leaves_no_process_behind_on_sigterm() {
    trace_init();
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("PLENARY_TEST_MARKER={}-{}", std::process::id(), line!());
    let (k, v) = marker.split_once('=').unwrap();
    let mut lab = plenary(dir.path())
        .args(["lab", "--scenario", "csce-1975", "--seed", "2"])
        .env(k, v)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = tokio::io::BufReader::new(lab.stderr.take().unwrap()).lines();
    tokio::time::timeout(START, async {
        while let Some(line) = err.next_line().await.unwrap() {
            if line.contains("lab ready") {
                return;
            }
        }
        panic!("the lab exited before it was ready");
    })
    .await
    .unwrap();
    assert!(
        processes_with(&marker).len() >= 37,
        "chair, 35 delegations and the lab run"
    );
    let pid = lab.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(30), lab.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        processes_with(&marker),
        Vec::<String>::new(),
        "no process outlives the lab"
    );
}

struct Room {
    _dir: tempfile::TempDir,
    chair: Spawned,
    delegates: Vec<(String, Spawned)>,
}

/// The chair with a tokens file and one registered `plenary delegate` per State.
async fn room(scenario: &str, strategy: &str) -> Room {
    let dir = tempfile::tempdir().unwrap();
    let sc = plenary_scenarios::scenario(scenario).unwrap();
    let mut toml = String::from("[tokens]\n");
    for s in &sc.states {
        toml.push_str(&format!("{} = \"secret-{}\"\n", s.id, s.id));
    }
    std::fs::write(dir.path().join("tokens.toml"), toml).unwrap();
    let mut cmd = plenary(dir.path());
    cmd.args([
        "chair",
        "--listen",
        "127.0.0.1:0",
        "--tokens",
        "tokens.toml",
        "--timeout-ms",
        "20000",
        "--exit-with-stdin",
    ]);
    let chair = Spawned::start(cmd, START).await.unwrap();
    wait_healthy(chair.addr, "plenary.v1.Secretariat", START)
        .await
        .unwrap();
    let starts = sc.states.iter().map(|s| {
        let mut cmd = plenary(dir.path());
        cmd.args([
            "delegate",
            "--state",
            &s.id,
            "--strategy",
            strategy,
            "--listen",
            "127.0.0.1:0",
        ])
        .args([
            "--register",
            &chair.url(),
            "--token",
            &format!("secret-{}", s.id),
            "--exit-with-stdin",
        ]);
        let id = s.id.clone();
        async move {
            let mut d = Spawned::start(cmd, START).await.unwrap();
            d.wait_line("registered ", START).await.unwrap();
            (id, d)
        }
    });
    let delegates = futures::future::join_all(starts).await;
    Room {
        _dir: dir,
        chair,
        delegates,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn both_services_report_serving() {
    trace_init();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = plenary(dir.path());
    cmd.args(["chair", "--listen", "127.0.0.1:0", "--exit-with-stdin"]);
    let chair = Spawned::start(cmd, START).await.unwrap();
    let mut cmd = plenary(dir.path());
    cmd.args([
        "delegate",
        "--state",
        "RUS",
        "--strategy",
        "hardliner",
        "--listen",
        "127.0.0.1:0",
        "--exit-with-stdin",
    ]);
    let delegate = Spawned::start(cmd, START).await.unwrap();
    for (addr, service) in [
        (chair.addr, ""),
        (chair.addr, "plenary.v1.Secretariat"),
        (delegate.addr, ""),
        (delegate.addr, "plenary.v1.Delegation"),
    ] {
        wait_healthy(addr, service, START).await.unwrap();
        assert_eq!(
            plenary_test_support::health(addr, service).await.unwrap(),
            tonic_health::ServingStatus::Serving
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_tokens_are_refused_and_a_killed_delegation_does_not_stop_the_session() {
    trace_init();
    let mut room = room("csce-1975", "dissociator").await;
    let victim = room.delegates[3].0.clone();

    // An impostor process cannot register for the victim's State.
    let impostor = plenary(room._dir.path())
        .args([
            "delegate",
            "--state",
            &victim,
            "--strategy",
            "hardliner",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--register", &room.chair.url(), "--token", "not-the-token"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!impostor.status.success());
    let stderr = String::from_utf8_lossy(&impostor.stderr);
    assert!(stderr.contains("PermissionDenied"), "{stderr}");
    let mut chair = SecretariatClient::connect(room.chair.url()).await.unwrap();
    let err = chair
        .register(v1::RegisterRequest {
            state: victim.clone(),
            endpoint: "http://127.0.0.1:9".into(),
            token: "secret-XXX".into(),
            strategy: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);

    let started = chair
        .start_session(v1::StartSessionRequest {
            scenario: "csce-1975".into(),
            seed: 4,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // `plenary watch` prints the same session live.
    let watcher = plenary(room._dir.path())
        .args(["watch", &room.chair.url(), "--session", &started.session_id])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut events = chair
        .watch(v1::WatchRequest {
            session_id: started.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut killed_at = None;
    let mut seen = 0;
    while let Some(e) = events.message().await.unwrap() {
        seen += 1;
        if killed_at.is_none()
            && let Some(Event::Decision(d)) = &e.event
        {
            // Mid-session: after the first item of the first session is decided.
            assert_eq!(d.outcome.as_ref().unwrap().session, 0);
            let d = room
                .delegates
                .iter_mut()
                .find(|(s, _)| *s == victim)
                .unwrap();
            d.1.child.kill().await.unwrap();
            killed_at = Some(e.seq);
        }
    }
    assert!(killed_at.is_some() && seen > 10);
    let r = chair
        .get_results(v1::GetResultsRequest {
            session_id: started.session_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.done);
    let r: MatchResult = serde_json::from_str(&r.results_json).unwrap();
    assert!(r.complete, "the match ran to its end");
    assert_eq!(r.sessions.len(), 3);
    assert!(!r.violations.is_empty());
    assert!(
        r.violations.iter().all(|v| v.state == victim),
        "only {victim} is missing: {:?}",
        r.violations
    );
    assert!(
        r.violations
            .iter()
            .all(|v| matches!(v.fault, Fault::Unavailable(_)))
    );
    assert!(
        r.violations.iter().any(|v| v.suspended),
        "struck and suspended"
    );
    let vs = r.states.iter().find(|s| s.id == victim).unwrap();
    assert_eq!(vs.violations as usize, r.violations.len());
    // Its absence is not an objection: it never counts as a `no`, and items are still
    // decided without it.
    let after: Vec<_> = r
        .sessions
        .iter()
        .skip(1)
        .flat_map(|s| s.items.iter())
        .collect();
    assert!(
        after.iter().any(|i| i.decided),
        "decisions are taken in the State's absence"
    );

    let out = tokio::time::timeout(Duration::from_secs(30), watcher.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("violation: {victim}")), "{text}");
    assert!(text.trim_end().ends_with("violation(s)"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_delegation_registers_again_and_plays_on() {
    trace_init();
    let mut room = room("csce-1975", "dissociator").await;
    let victim = room.delegates[5].0.clone();
    let mut chair = SecretariatClient::connect(room.chair.url()).await.unwrap();
    let started = chair
        .start_session(v1::StartSessionRequest {
            scenario: "csce-1975".into(),
            seed: 6,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = chair
        .watch(v1::WatchRequest {
            session_id: started.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut killed = false;
    let mut restarted = None;
    while let Some(e) = events.message().await.unwrap() {
        match &e.event {
            Some(Event::Decision(_)) if !killed => {
                let d = room
                    .delegates
                    .iter_mut()
                    .find(|(s, _)| *s == victim)
                    .unwrap();
                d.1.child.kill().await.unwrap();
                killed = true;
            }
            Some(Event::Violation(v)) if restarted.is_none() => {
                assert_eq!(v.state, victim);
                // The same State restarts with its token: the chair replays its seat.
                let mut cmd = plenary(room._dir.path());
                cmd.args([
                    "delegate",
                    "--state",
                    &victim,
                    "--strategy",
                    "dissociator",
                    "--listen",
                    "127.0.0.1:0",
                ])
                .args([
                    "--register",
                    &room.chair.url(),
                    "--token",
                    &format!("secret-{victim}"),
                    "--exit-with-stdin",
                ]);
                let mut d = Spawned::start(cmd, START).await.unwrap();
                let line = d.wait_line("registered ", START).await.unwrap();
                assert!(line.contains("generation 2"), "{line}");
                restarted = Some((v.session, d));
            }
            _ => {}
        }
    }
    let (session, _restarted) = restarted.expect("the victim was struck");
    let r = chair
        .get_results(v1::GetResultsRequest {
            session_id: started.session_id,
        })
        .await
        .unwrap()
        .into_inner();
    let r: MatchResult = serde_json::from_str(&r.results_json).unwrap();
    assert!(r.complete);
    assert!(!r.violations.is_empty());
    assert!(r.violations.iter().all(|v| v.state == victim));
    let last = r.violations.iter().map(|v| v.session).max().unwrap();
    assert!(
        last <= session + 1,
        "no violations once the seat was replayed: {:?}",
        r.violations
    );
    assert!(
        r.violations.iter().all(|v| v.session < 2),
        "{:?}",
        r.violations
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delegate_answers_only_its_state_and_only_with_its_token() {
    trace_init();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = plenary(dir.path());
    cmd.args([
        "delegate",
        "--state",
        "AUT",
        "--strategy",
        "hardliner",
        "--listen",
        "127.0.0.1:0",
        "--token",
        "T",
        "--exit-with-stdin",
    ]);
    let d = Spawned::start(cmd, START).await.unwrap();
    wait_healthy(d.addr, "plenary.v1.Delegation", START)
        .await
        .unwrap();
    let mut c = v1::delegation_client::DelegationClient::connect(d.url())
        .await
        .unwrap();
    let brief = |state: &str| v1::SeatBrief {
        match_id: "m".into(),
        state: state.into(),
        ..Default::default()
    };
    let with_token = |token: &str, msg: v1::SeatBrief| {
        let mut r = tonic::Request::new(msg);
        r.metadata_mut()
            .insert("x-plenary-token", token.parse().unwrap());
        r
    };
    // A rival without the token cannot open (or replace) the seat.
    let e = c.open_seat(brief("AUT")).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated, "{e:?}");
    // With the token, another State's seat is refused, naming both.
    let e = c
        .open_seat(with_token("T", brief("BEL")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::PermissionDenied, "{e:?}");
    assert!(
        e.message().contains("AUT") && e.message().contains("BEL"),
        "{e:?}"
    );
    let mut q = tonic::Request::new(v1::PositionRequest {
        match_id: "m".into(),
        state: "AUT".into(),
        ..Default::default()
    });
    q.metadata_mut()
        .insert("x-plenary-token", "wrong".parse().unwrap());
    let e = c.position(q).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated, "{e:?}");
}

#[test]
fn timeouts_out_of_range_are_refused_by_every_command() {
    for (cmd, value) in [
        ("lab", "0"),
        ("lab", "3600001"),
        ("session", "0"),
        ("chair", "18446744073709551615"),
        ("deploy", "0"),
    ] {
        let mut c = std::process::Command::new(BIN);
        c.arg(cmd).args(["--timeout-ms", value]);
        if cmd == "session" {
            c.args(["--chair", "http://127.0.0.1:9"]);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd} --timeout-ms {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--timeout-ms"), "{cmd}: {err}");
    }
}
