//! `plenary conformance` and the `plenary-conformance` suite against real delegation
//! endpoints: the Rust SDK (in-process and the `plenary delegate` binary), the Python
//! example (examples/python-delegation), and the Python example told to misbehave,
//! which must fail exactly the checks its misbehaviour breaks.
//!
//! The Python tests need the example's dependencies and fail (never skip) without them:
//! `python3 -m pip install -r examples/python-delegation/requirements.txt`.

use plenary_conformance::{Options, Report};
use plenary_core::strategy::{SeatBrief, Strategy};
use plenary_test_support::Spawned;
use std::future::Future;
use std::process::Output;
use std::time::Duration;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");
/// Upper bound of any one test.
const TEST_LIMIT: Duration = Duration::from_secs(120);
/// How long a child may take to print `listening on`.
const START_LIMIT: Duration = Duration::from_secs(30);

async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: did not finish within {TEST_LIMIT:?}"))
}

/// Spawns the Python delegation on an ephemeral port with extra `args`.
async fn python_delegation(args: &[&str]) -> Spawned {
    plenary_test_support::require_python_example();
    let mut cmd = Command::new("python3");
    cmd.arg(plenary_test_support::python_example_dir().join("delegation.py"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args);
    Spawned::start(cmd, START_LIMIT)
        .await
        .unwrap_or_else(|e| panic!("python delegation {args:?}: {e}"))
}

/// Runs `plenary conformance` against `url` (bounded in time).
async fn conformance_cli(url: &str, extra: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(["conformance", "--endpoint", url])
        .args(extra)
        .kill_on_drop(true);
    tokio::time::timeout(TEST_LIMIT, cmd.output())
        .await
        .expect("plenary conformance hung")
        .expect("run plenary conformance")
}

fn assert_all_pass(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status.code()
    );
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
        .collect();
    assert_eq!(lines.len(), plenary_conformance::CHECKS.len(), "{stdout}");
    assert!(lines.iter().all(|l| l.starts_with("PASS  ")), "{stdout}");
    assert!(stdout.contains("15 of 15 checks passed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_sdk_in_process_passes() {
    plenary_test_support::trace_init();
    bounded("in-process SDK", async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let factory = |b: &SeatBrief| -> Box<dyn Strategy> {
            plenary_strategies::create("tit-for-tat", b).expect("built-in")
        };
        let server = tokio::spawn(plenary_delegation::serve(factory, listener, async {
            let _ = stopped.await;
        }));
        let report =
            plenary_conformance::check(&format!("http://{addr}"), Options::default()).await;
        assert!(report.passed(), "{report}");
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plenary_delegate_binary_passes() {
    bounded("plenary delegate", async {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "delegate",
            "--state",
            "RUS",
            "--strategy",
            "hardliner",
            "--listen",
            "127.0.0.1:0",
        ]);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let child = Spawned::start(cmd, START_LIMIT)
            .await
            .expect("plenary delegate prints `listening on ADDR`");
        // It serves RUS only (other States are PERMISSION_DENIED).
        let out = conformance_cli(&child.url(), &["--states", "RUS"]).await;
        assert_all_pass(&out);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plenary_delegate_binary_serving_any_seat_passes() {
    bounded("plenary delegate --any-seat", async {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "delegate",
            "--state",
            "RUS",
            "--any-seat",
            "--strategy",
            "hardliner",
            "--listen",
            "127.0.0.1:0",
        ]);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let child = Spawned::start(cmd, START_LIMIT)
            .await
            .expect("plenary delegate prints `listening on ADDR`");
        let out = conformance_cli(&child.url(), &[]).await;
        assert_all_pass(&out);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_delegation_passes() {
    bounded("python delegation", async {
        let child = python_delegation(&[]).await;
        let out = conformance_cli(&child.url(), &[]).await;
        assert_all_pass(&out);
        // Three seats per match work as well as two.
        let out = conformance_cli(
            &child.url(),
            &["--states", "AUT,RUS,USA", "--timeout-ms", "1500"],
        )
        .await;
        assert_all_pass(&out);
    })
    .await;
}

/// Runs the suite against the Python delegation told to misbehave in `mode`.
async fn misbehaving(mode: &str, timeout: Duration, extra: &[&str]) -> Report {
    let mut args = vec!["--misbehave", mode];
    args.extend_from_slice(extra);
    let child = python_delegation(&args).await;
    let report = plenary_conformance::check(
        &child.url(),
        Options {
            timeout,
            ..Options::default()
        },
    )
    .await;
    drop(child);
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_python_delegation_fails_the_right_checks() {
    bounded("misbehaving delegations", async {
        let t = Duration::from_millis(1000);
        let cases: [(&str, &[&str]); 7] = [
            ("nan", &["position", "still-serving"]),
            ("out-of-range", &["position", "still-serving"]),
            ("bad-link", &["position", "still-serving"]),
            (
                "bad-vote",
                &["vote-decision", "vote-silence", "vote-package"],
            ),
            (
                "wrong-echo",
                &[
                    "open-seat",
                    "position",
                    "vote-decision",
                    "vote-silence",
                    "vote-package",
                    "outcome",
                    "session-end",
                    "close-seat",
                    "still-serving",
                ],
            ),
            ("accept-unknown", &["unknown-seat", "close-seat"]),
            ("random", &["determinism"]),
        ];
        let mut reports = std::collections::HashMap::new();
        for (mode, expected) in cases {
            let report = misbehaving(mode, t, &[]).await;
            assert_eq!(report.failed(), expected, "--misbehave {mode}:\n{report}");
            reports.insert(mode, report);
        }
        let reason = |mode: &str, check: &str| reports[mode].get(check).unwrap().reason.clone();
        assert!(
            reason("nan", "position").contains("position NaN"),
            "{}",
            reports["nan"]
        );
        assert!(
            reason("bad-link", "position").contains("is not another agenda item"),
            "{}",
            reports["bad-link"]
        );
        assert!(
            reason("bad-vote", "vote-decision").contains("vote 0 is not one of"),
            "{}",
            reports["bad-vote"]
        );
        assert!(
            reason("wrong-echo", "outcome").contains("echoed match_id"),
            "{}",
            reports["wrong-echo"]
        );
        assert!(
            reason("accept-unknown", "unknown-seat").contains("answered OK"),
            "{}",
            reports["accept-unknown"]
        );
        assert!(
            reason("random", "determinism").contains("but"),
            "{}",
            reports["random"]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_delegation_fails_the_deadline_without_stalling_the_run() {
    bounded("slow delegation", async {
        let started = std::time::Instant::now();
        let report = misbehaving("slow", Duration::from_millis(500), &["--slow-ms", "3000"]).await;
        // Connected and healthy (health is not slowed), everything else fails.
        let passed: Vec<&str> = report
            .checks
            .iter()
            .filter(|c| c.passed)
            .map(|c| c.name)
            .collect();
        assert_eq!(passed, ["connect", "health"], "{report}");
        assert!(
            report
                .get("deadline")
                .unwrap()
                .reason
                .contains("not answered within 500 ms"),
            "{report}"
        );
        assert!(
            report
                .get("open-seat")
                .unwrap()
                .reason
                .contains("no answer within 500 ms"),
            "{report}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "took {:?}",
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_exits_1_and_names_failures_on_an_unreachable_endpoint() {
    bounded("unreachable endpoint", async {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = conformance_cli(&format!("127.0.0.1:{port}"), &["--timeout-ms", "500"]).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(
            stdout.lines().next().unwrap().starts_with("FAIL  connect"),
            "{stdout}"
        );
        assert!(stdout.contains("0 of 15 checks passed"), "{stdout}");
    })
    .await;
}

#[test]
fn cli_usage_errors_exit_2() {
    let out = std::process::Command::new(BIN)
        .args(["conformance", "--timeout-ms", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help = std::process::Command::new(BIN)
        .args(["conformance", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("plenary conformance --endpoint http://127.0.0.1:50061"),
        "{text}"
    );
}
