//! Multi-process tests of `plenary lab`, `chair`, `delegate`, `session`, `watch`,
//! `health` and `tokens`: the real binary, each test in its own temp dir, every server on
//! 127.0.0.1 port 0, readiness by polling health. Deadlines are generous (the machine is
//! shared with builds); faulty parties are unambiguous (killed, stopped, wrong token).

use plenary_core::MatchResult;
use plenary_core::strategy::Fault;
use plenary_proto::v2;
use plenary_proto::v2::secretariat_client::SecretariatClient;
use plenary_proto::v2::session_event::Event;
use plenary_test_support::{Child, START, spawn, trace_init, wait_healthy};
use plenary_tournament::results::RunResult;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");

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
        .args(["--json", "lab.json", "--timeout-ms", "60000"])
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
    let r: RunResult = serde_json::from_slice(&b).unwrap();
    assert_eq!(r.outcome.states.len(), 57);
    assert!(r.outcome.complete && r.violations.is_empty());
    let r = &r.outcome;
    // The match id is opaque: nothing of the seed in it.
    assert!(r.match_id.starts_with('m') && !r.match_id.contains("osce"));
}

/// Processes whose environment carries `marker`, with their command lines.
fn processes_with(marker: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(env) = std::fs::read(e.path().join("environ"))
            && env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes())
        {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push((name, cmdline));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn lab_keeps_secrets_off_command_lines_and_leaves_no_process_behind() {
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
    let procs = processes_with(&marker);
    assert!(procs.len() >= 37, "chair, 35 delegations and the lab run");
    // No token on any command line; the chair's tokens file is private.
    let chair = procs
        .iter()
        .find(|(_, c)| c.contains(" chair "))
        .expect("the chair runs");
    let tokens_path = chair
        .1
        .split_whitespace()
        .skip_while(|a| *a != "--tokens")
        .nth(1)
        .expect("the chair reads a tokens file")
        .to_string();
    let text = std::fs::read_to_string(&tokens_path).unwrap();
    let tokens: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once(" = \"").map(|(_, t)| t.trim_end_matches('"')))
        .collect();
    assert_eq!(tokens.len(), 35);
    for (_, cmdline) in &procs {
        assert!(!cmdline.contains("--token "), "{cmdline}");
        for t in &tokens {
            assert!(!cmdline.contains(t), "a token on a command line: {cmdline}");
        }
    }
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(Path::new(&tokens_path)), 0o600);
    assert_eq!(mode(Path::new(&tokens_path).parent().unwrap()), 0o700);

    let pid = lab.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(60), lab.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        processes_with(&marker),
        Vec::<(String, String)>::new(),
        "no process outlives the lab"
    );
    assert!(
        !Path::new(&tokens_path).exists(),
        "the lab's secrets leave with it"
    );
}

struct Room {
    dir: tempfile::TempDir,
    chair: Child,
    delegates: Vec<(String, Child)>,
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

async fn delegate(dir: &Path, chair: &str, state: &str, strategy: &str, token: &str) -> Child {
    let mut d = spawn(
        BIN,
        &[
            "delegate",
            "--state",
            state,
            "--strategy",
            strategy,
            "--listen",
            "127.0.0.1:0",
            "--register",
            chair,
            "--exit-with-stdin",
        ],
        &[("PLENARY_TOKEN", token)],
        dir,
    )
    .await
    .unwrap();
    d.wait_line("registered ", START).await.unwrap();
    d
}

/// The chair with a tokens file and one registered `plenary delegate` per State.
async fn room(scenario: &str, strategy: &str) -> Room {
    let dir = tempfile::tempdir().unwrap();
    let sc = plenary_scenarios::scenario(scenario).unwrap();
    let mut toml = String::from("[tokens]\n");
    for s in &sc.states {
        toml.push_str(&format!("{} = \"secret-{}\"\n", s.id, s.id));
    }
    write_private(&dir.path().join("tokens.toml"), &toml);
    let chair = spawn(
        BIN,
        &[
            "chair",
            "--listen",
            "127.0.0.1:0",
            "--tokens",
            "tokens.toml",
            "--timeout-ms",
            "60000",
            "--exit-with-stdin",
        ],
        &[],
        dir.path(),
    )
    .await
    .unwrap();
    wait_healthy(chair.addr, "plenary.v2.Secretariat", START)
        .await
        .unwrap();
    let url = chair.url();
    let starts = sc.states.iter().map(|s| {
        let (dir, url, id) = (dir.path().to_path_buf(), url.clone(), s.id.clone());
        async move {
            let d = delegate(&dir, &url, &id, strategy, &format!("secret-{id}")).await;
            (id, d)
        }
    });
    let delegates = futures::future::join_all(starts).await;
    Room {
        dir,
        chair,
        delegates,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn both_services_report_serving_and_health_says_so() {
    trace_init();
    let dir = tempfile::tempdir().unwrap();
    let chair = spawn(
        BIN,
        &["chair", "--listen", "127.0.0.1:0", "--exit-with-stdin"],
        &[],
        dir.path(),
    )
    .await
    .unwrap();
    let delegate = spawn(
        BIN,
        &[
            "delegate",
            "--state",
            "RUS",
            "--strategy",
            "hardliner",
            "--listen",
            "127.0.0.1:0",
            "--exit-with-stdin",
        ],
        &[],
        dir.path(),
    )
    .await
    .unwrap();
    for (addr, service) in [
        (chair.addr, ""),
        (chair.addr, "plenary.v2.Secretariat"),
        (delegate.addr, ""),
        (delegate.addr, "plenary.v2.Delegation"),
    ] {
        wait_healthy(addr, service, START).await.unwrap();
        let out = plenary(dir.path())
            .args([
                "health",
                &format!("http://{addr}"),
                "--service",
                service,
                "--timeout-ms",
                "30000",
            ])
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{service}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "SERVING\n");
    }
    // Nothing listens there: exit 1, saying why.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = plenary(dir.path())
        .args(["health", &url])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stderr.is_empty());
}

async fn start(
    chair: &mut SecretariatClient<tonic::transport::Channel>,
    seed: u64,
) -> v2::StartSessionResponse {
    chair
        .start_session(v2::StartSessionRequest {
            scenario: "csce-1975".into(),
            seed,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_tokens_are_refused_and_a_killed_delegation_does_not_stop_the_session() {
    trace_init();
    let mut room = room("csce-1975", "dissociator").await;
    let victim = room.delegates[3].0.clone();

    // An impostor process cannot register for the victim's State.
    let impostor = plenary(room.dir.path())
        .args([
            "delegate",
            "--state",
            &victim,
            "--strategy",
            "hardliner",
            "--listen",
            "127.0.0.1:0",
            "--register",
            &room.chair.url(),
        ])
        .env("PLENARY_TOKEN", "not-the-token")
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
    let started = start(&mut chair, 4).await;
    // `plenary watch` prints the same session live.
    let watcher = plenary(room.dir.path())
        .args(["watch", &room.chair.url(), "--session", &started.session_id])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut events = chair
        .watch(v2::WatchRequest {
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
            d.1.signal(nix::sys::signal::Signal::SIGKILL);
            killed_at = Some(e.seq);
        }
    }
    assert!(killed_at.is_some() && seen > 10);
    let r = chair
        .get_results(v2::GetResultsRequest {
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
            .all(|v| matches!(v.fault, Fault::Unavailable(_) | Fault::Timeout))
    );
    assert!(
        r.violations.iter().any(|v| v.suspended),
        "struck and suspended"
    );
    let vs = r.states.iter().find(|s| s.id == victim).unwrap();
    assert_eq!(vs.violations as usize, r.violations.len());
    // The others go on negotiating and deciding in the State's absence: some item
    // after the one of the first violation is decided.
    let first = &r.violations[0];
    let at = r.sessions[first.session as usize]
        .items
        .iter()
        .position(|i| Some(&i.id) == first.item.as_ref())
        .map_or(0, |p| p + 1);
    let after: Vec<_> = r
        .sessions
        .iter()
        .skip(first.session as usize)
        .enumerate()
        .flat_map(|(k, s)| s.items.iter().skip(if k == 0 { at } else { 0 }))
        .collect();
    assert!(
        after.iter().any(|i| i.decided),
        "decisions are taken in the State's absence"
    );

    let out = tokio::time::timeout(Duration::from_secs(60), watcher.wait_with_output())
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
    let started = start(&mut chair, 6).await;
    let mut events = chair
        .watch(v2::WatchRequest {
            session_id: started.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut killed = false;
    let mut restarted = None;
    let mut reregistered = false;
    while let Some(e) = events.message().await.unwrap() {
        match &e.event {
            Some(Event::Decision(_)) if !killed => {
                let d = room
                    .delegates
                    .iter_mut()
                    .find(|(s, _)| *s == victim)
                    .unwrap();
                d.1.signal(nix::sys::signal::Signal::SIGKILL);
                killed = true;
            }
            Some(Event::Violation(v)) if restarted.is_none() => {
                assert_eq!(v.state, victim);
                // The same State restarts with its token: the chair opens its seat again.
                let d = delegate(
                    room.dir.path(),
                    &room.chair.url(),
                    &victim,
                    "dissociator",
                    &format!("secret-{victim}"),
                )
                .await;
                restarted = Some((v.session, d));
            }
            Some(Event::Reregistered(r)) => {
                assert_eq!(r.state, victim);
                assert_eq!(r.generation, 2);
                reregistered = true;
            }
            _ => {}
        }
    }
    assert!(
        reregistered,
        "the re-registration is recorded in the events"
    );
    let (session, _restarted) = restarted.expect("the victim was struck");
    let r = chair
        .get_results(v2::GetResultsRequest {
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
        "no violations once the seat was opened again: {:?}",
        r.violations
    );
    // The results say another process played the seat from then on.
    assert_eq!(r.reregistrations.len(), 1, "{:?}", r.reregistrations);
    assert_eq!(r.reregistrations[0].state, victim);
    assert!(r.reregistrations[0].session >= session);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delegate_answers_only_its_state_and_only_with_its_token() {
    trace_init();
    let dir = tempfile::tempdir().unwrap();
    let d = spawn(
        BIN,
        &[
            "delegate",
            "--state",
            "AUT",
            "--strategy",
            "hardliner",
            "--listen",
            "127.0.0.1:0",
            "--exit-with-stdin",
        ],
        &[("PLENARY_TOKEN", "T")],
        dir.path(),
    )
    .await
    .unwrap();
    wait_healthy(d.addr, "plenary.v2.Delegation", START)
        .await
        .unwrap();
    let mut c = v2::delegation_client::DelegationClient::connect(d.url())
        .await
        .unwrap();
    let hello = || v2::ChairFrame {
        frame: Some(v2::chair_frame::Frame::Hello(v2::ChairHello {
            versions: vec![2],
            chair_id: "test".into(),
        })),
    };
    // A rival without the token cannot even open the stream.
    let e = c.play(tokio_stream::iter(vec![hello()])).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated, "{e:?}");
    // With the token, another State's seat is refused, naming both.
    let brief = v2::SeatBrief {
        match_id: "m".into(),
        state: "BEL".into(),
        ..Default::default()
    };
    let open = v2::ChairFrame {
        frame: Some(v2::chair_frame::Frame::Batch(v2::Batch {
            messages: vec![v2::Envelope {
                match_id: "m".into(),
                state: "BEL".into(),
                seq: 1,
                deadline_ms: 1000,
                body: Some(v2::envelope::Body::Open(brief)),
            }],
        })),
    };
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(hello()).await.unwrap();
    tx.send(open).await.unwrap();
    let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    req.metadata_mut()
        .insert("x-plenary-token", "T".parse().unwrap());
    let mut answers = c.play(req).await.unwrap().into_inner();
    let first = answers.message().await.unwrap().unwrap();
    assert!(matches!(
        first.frame,
        Some(v2::delegation_frame::Frame::Hello(_))
    ));
    let second = answers.message().await.unwrap().unwrap();
    let Some(v2::delegation_frame::Frame::Answers(a)) = second.frame else {
        panic!("answers expected: {second:?}");
    };
    match &a.answers[0].body {
        Some(v2::answer::Body::Refusal(r)) => {
            assert_eq!(r.code, tonic::Code::PermissionDenied as i32);
            assert!(
                r.message.contains("AUT") && r.message.contains("BEL"),
                "{r:?}"
            );
        }
        other => panic!("a refusal expected: {other:?}"),
    }
    drop(tx);
}

#[tokio::test(flavor = "multi_thread")]
async fn session_exit_codes_tell_clean_matches_from_violations_and_stalls() {
    trace_init();
    let mut room = room("csce-1975", "dissociator").await;
    let chair = room.chair.url();
    let session = |extra: &[&str]| {
        let mut c = plenary(room.dir.path());
        c.args([
            "session",
            "--chair",
            &chair,
            "--scenario",
            "csce-1975",
            "--brief",
        ])
        .args(extra);
        c
    };
    // A clean match: 0.
    let out = session(&["--seed", "1", "--timeout-ms", "60000"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // A State that is gone: the match completes with violations, exit 3 ...
    let victim = room.delegates.remove(7);
    victim.1.signal(nix::sys::signal::Signal::SIGKILL);
    let out = session(&["--seed", "2", "--timeout-ms", "60000"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--accept-violations"));
    // ... or 0 when violations are accepted.
    let out = session(&[
        "--seed",
        "3",
        "--timeout-ms",
        "60000",
        "--accept-violations",
    ])
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // A chair that stops answering (SIGSTOP) mid-match: said within a bounded time, exit 1.
    let run = session(&["--seed", "4", "--timeout-ms", "60000", "--stall-secs", "5"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    room.chair.signal(nix::sys::signal::Signal::SIGSTOP);
    let out = tokio::time::timeout(Duration::from_secs(120), run.wait_with_output())
        .await
        .expect("the client gives up on a stalled chair")
        .unwrap();
    room.chair.signal(nix::sys::signal::Signal::SIGCONT);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stalled or gone") || err.contains("unreachable"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_files_are_private_and_watch_can_wait_for_a_session() {
    trace_init();
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(dir.path())
        .args(["tokens", "--scenario", "csce-1975", "--out", "t.toml"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let path = dir.path().join("t.toml");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| l.contains(" = \""))
            .count(),
        35
    );
    // It refuses to overwrite.
    let again = plenary(dir.path())
        .args(["tokens", "--scenario", "csce-1975", "--out", "t.toml"])
        .output()
        .await
        .unwrap();
    assert!(!again.status.success());
    // A world-readable tokens file is refused by the chair.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let chair = plenary(dir.path())
        .args(["chair", "--listen", "127.0.0.1:0", "--tokens", "t.toml"])
        .output()
        .await
        .unwrap();
    assert!(!chair.status.success());
    assert!(String::from_utf8_lossy(&chair.stderr).contains("chmod 600"));

    // `watch` without a session fails at once, saying how to wait; with --wait it waits.
    let chair = spawn(
        BIN,
        &["chair", "--listen", "127.0.0.1:0", "--exit-with-stdin"],
        &[],
        dir.path(),
    )
    .await
    .unwrap();
    let out = plenary(dir.path())
        .args(["watch", &chair.url()])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--wait"));
    let mut waiting = plenary(dir.path())
        .args(["watch", &chair.url(), "--wait", "2"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), waiting.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(1), "no session came within the wait");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chair_that_stops_for_longer_than_the_deadline_blames_no_honest_delegation() {
    trace_init();
    let room = room("csce-1975", "dissociator").await;
    let chair = room.chair.url();
    // Deadlines of 4 s (plenty for honest delegations, even on a loaded machine); the
    // chair itself is stopped for 9 s and then 6 s mid-match. Answers that arrived while
    // it was stopped are the delegations' on time.
    let run = plenary(room.dir.path())
        .args([
            "session",
            "--chair",
            &chair,
            "--scenario",
            "csce-1975",
            "--seed",
            "9",
            "--brief",
            "--timeout-ms",
            "2000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        room.chair.signal(nix::sys::signal::Signal::SIGSTOP);
        tokio::time::sleep(Duration::from_secs(5)).await;
        room.chair.signal(nix::sys::signal::Signal::SIGCONT);
    }
    let out = tokio::time::timeout(Duration::from_secs(300), run.wait_with_output())
        .await
        .expect("the session finished")
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "no violation for delegations that answered while the chair was stopped: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts `plenary chair` with the room's tokens and a state directory on `listen`.
async fn durable_chair(dir: &Path, listen: &str) -> Child {
    let chair = spawn(
        BIN,
        &[
            "chair",
            "--listen",
            listen,
            "--tokens",
            "tokens.toml",
            "--state-dir",
            "state",
            "--timeout-ms",
            "60000",
            "--exit-with-stdin",
        ],
        &[],
        dir,
    )
    .await
    .unwrap();
    wait_healthy(chair.addr, "plenary.v2.Secretariat", START)
        .await
        .unwrap();
    chair
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_chair_resumes_from_its_journal_and_the_match_equals_in_process() {
    trace_init();
    let dir = tempfile::tempdir().unwrap();
    let sc = plenary_scenarios::scenario("csce-1975").unwrap();
    let mut toml = String::from("[tokens]\n");
    for s in &sc.states {
        toml.push_str(&format!("{} = \"secret-{}\"\n", s.id, s.id));
    }
    write_private(&dir.path().join("tokens.toml"), &toml);
    let chair = durable_chair(dir.path(), "127.0.0.1:0").await;
    let addr = chair.addr;
    let url = chair.url();
    let mut delegates = Vec::new();
    for s in &sc.states {
        delegates.push(
            delegate(
                dir.path(),
                &url,
                &s.id,
                "boulware",
                &format!("secret-{}", s.id),
            )
            .await,
        );
    }
    let session = plenary(dir.path())
        .args([
            "session",
            "--chair",
            &url,
            "--scenario",
            "csce-1975",
            "--seed",
            "11",
            "--strategies",
            "boulware",
            "--brief",
            "--timeout-ms",
            "60000",
            "--json",
            "remote.json",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Mid-match (a few items decided), the chair is killed outright and restarted on
    // the same address with the same state directory.
    let mut c = SecretariatClient::connect(url.clone()).await.unwrap();
    let id = tokio::time::timeout(START, async {
        loop {
            let s = c
                .list_sessions(v2::ListSessionsRequest {})
                .await
                .unwrap()
                .into_inner();
            if let Some(s) = s.sessions.first() {
                return s.session_id.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap();
    let mut events = c
        .watch(v2::WatchRequest {
            session_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut decisions = 0;
    while let Some(e) = events.message().await.unwrap() {
        if matches!(e.event, Some(Event::Decision(_))) {
            decisions += 1;
            if decisions == 5 {
                break;
            }
        }
    }
    // SIGKILL, then wait for the exit: the address must be free for the successor.
    chair.kill().await;
    let journal = dir.path().join(format!("state/sessions/{id}.journal"));
    assert!(journal.exists(), "the session was journaled");
    let mode = std::fs::metadata(&journal).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let _chair = durable_chair(dir.path(), &addr.to_string()).await;
    let out = tokio::time::timeout(Duration::from_secs(600), session.wait_with_output())
        .await
        .expect("the session finished")
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = plenary(dir.path())
        .args([
            "run",
            "--scenario",
            "csce-1975",
            "--seed",
            "11",
            "--strategies",
            "boulware",
            "--brief",
            "--json",
            "local.json",
        ])
        .output()
        .await
        .unwrap();
    assert!(run.status.success());
    let remote = std::fs::read(dir.path().join("remote.json")).unwrap();
    let local = std::fs::read(dir.path().join("local.json")).unwrap();
    assert!(
        remote == local,
        "the resumed match differs from the in-process run"
    );
    // The results outlive the process: a fresh chair on the same state serves them.
    let mut c = SecretariatClient::connect(url).await.unwrap();
    let r = c
        .get_results(v2::GetResultsRequest { session_id: id })
        .await
        .unwrap()
        .into_inner();
    assert!(r.done);
    // The chair serves the engine's results; `plenary session --json` writes them in the
    // documented shape (`plenary schema run-result`).
    let served: MatchResult = serde_json::from_str(&r.results_json).unwrap();
    let sc = plenary_scenarios::scenario("csce-1975").unwrap();
    let neutral = plenary_tournament::plan::NEUTRAL_BLOCS.map(String::from);
    let classes = plenary_tournament::plan::seat_classes(&sc, &neutral);
    let shaped = RunResult::new(&sc, &served.scenario, &served.design, &served, &classes);
    let written: RunResult = serde_json::from_slice(&remote).unwrap();
    assert_eq!(
        serde_json::to_value(&shaped).unwrap(),
        serde_json::to_value(&written).unwrap()
    );
    drop(delegates);
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
