//! `plenary conformance` end to end: the binary against Rust SDK endpoints served by the
//! test (honest, with a token, faulty), the `plenary delegate` binary, an unreachable
//! endpoint, and usage errors. The verdicts of each check are the suite's own tests'
//! business (crates/conformance/tests); here: exit codes, output, tokens, help.

use plenary_core::strategy::{PositionAnswer, RoundContext, SeatBrief, SeatView, Strategy, Vote};
use plenary_delegation::{DelegationService, ServeConfig};
use std::process::Output;
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::oneshot;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");
/// Upper bound of any one command.
const LIMIT: Duration = Duration::from_secs(300);
/// Generous for honest parties on a loaded machine.
const TIMEOUT_MS: &str = "10000";

/// A strategy with memory (a replay or a reset would show), or one answering NaN.
struct Counter {
    n: u64,
    nan: bool,
}

impl Strategy for Counter {
    fn name(&self) -> &str {
        "counter"
    }
    fn position(&mut self, _: &RoundContext, _: &SeatView) -> PositionAnswer {
        self.n += 1;
        PositionAnswer {
            position: if self.nan {
                f64::NAN
            } else {
                (self.n * 13 % 101) as f64
            },
            salience: 0.5,
            link: None,
            ..Default::default()
        }
    }
    fn vote(&mut self, _: &RoundContext, _: &SeatView) -> Vote {
        self.n += 1;
        [Vote::Yes, Vote::No][(self.n % 2) as usize]
    }
}

/// An SDK endpoint served in this process; stops when dropped.
struct Served {
    url: String,
    _stop: oneshot::Sender<()>,
}

async fn serve(config: ServeConfig, nan: bool) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let factory = move |_: &SeatBrief| -> Box<dyn Strategy> { Box::new(Counter { n: 0, nan }) };
    let service = DelegationService::with_config(factory, config);
    tokio::spawn(plenary_delegation::serve_service(
        service,
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    plenary_test_support::wait_healthy(addr, "", LIMIT)
        .await
        .unwrap();
    Served {
        url: format!("http://{addr}"),
        _stop: stop,
    }
}

/// Runs `plenary conformance` with `args` and `env` (bounded in time).
async fn conformance(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("conformance")
        .args(args)
        .env_remove("PLENARY_TOKEN")
        .env_remove("PLENARY_ENDPOINT")
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::time::timeout(LIMIT, cmd.output())
        .await
        .expect("plenary conformance is bounded")
        .expect("run plenary conformance")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The verdict line of every check, in order; asserts there is one per check.
fn verdicts(o: &Output) -> Vec<(String, String)> {
    let out = stdout(o);
    let lines: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let tag = w.next()?;
            let name = w.next()?;
            ["PASS", "FAIL", "WARN", "SKIP"]
                .contains(&tag)
                .then(|| (tag.to_string(), name.to_string()))
        })
        .collect();
    let names: Vec<&str> = lines.iter().map(|(_, n)| n.as_str()).collect();
    let expected: Vec<&str> = plenary_conformance::CHECKS.iter().map(|c| c.name).collect();
    assert_eq!(names, expected, "{out}");
    lines
}

fn tag_of<'v>(v: &'v [(String, String)], check: &str) -> &'v str {
    &v.iter().find(|(_, n)| n == check).unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sdk_endpoint_conforms_and_exits_0() {
    let served = serve(ServeConfig::default(), false).await;
    let out = conformance(
        &["--endpoint", &served.url, "--timeout-ms", TIMEOUT_MS],
        &[],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let v = verdicts(&out);
    for (tag, name) in &v {
        let due = if name == "token" { "SKIP" } else { "PASS" };
        assert_eq!(tag, due, "{}", stdout(&out));
    }
    assert!(
        stdout(&out).contains("conforms to plenary.v2"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_comes_from_the_environment_or_a_private_file_never_the_command_line() {
    let secret = "tok-7f3a91";
    let config = ServeConfig {
        only_state: Some("RUS".into()),
        token: Some(secret.into()),
        ..ServeConfig::default()
    };
    let served = serve(config, false).await;
    let base = [
        "--endpoint",
        &served.url,
        "--states",
        "RUS",
        "--timeout-ms",
        TIMEOUT_MS,
    ];

    // PLENARY_TOKEN, as for `plenary delegate`; with or without --token.
    let mut args = base.to_vec();
    args.push("--token");
    for a in [&base[..], &args[..]] {
        let out = conformance(a, &[("PLENARY_TOKEN", secret)]).await;
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        assert_eq!(tag_of(&verdicts(&out), "token"), "PASS");
        assert!(!stdout(&out).contains(secret) && !stderr(&out).contains(secret));
    }

    // --token without any token is a usage error.
    let out = conformance(&args, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("PLENARY_TOKEN"), "{}", stderr(&out));

    // --token-file: private, it works; readable by others, a usage error.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rus.token");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let file = file.to_str().unwrap().to_string();
    let mut args = base.to_vec();
    args.extend(["--token-file", &file]);
    let out = conformance(&args, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(tag_of(&verdicts(&out), "token"), "PASS");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = conformance(&args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
    }

    // Without a token, the endpoint refuses the streams: exit 1, and the report says why.
    let out = conformance(&base, &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("requires a token"),
        "{}",
        stdout(&out)
    );

    // A token value on the command line is refused (a usage error).
    let mut args = base.to_vec();
    args.extend(["--token", secret]);
    let out = conformance(&args, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulty_endpoint_exits_1_naming_the_fault() {
    let served = serve(ServeConfig::default(), true).await;
    let out = conformance(
        &["--endpoint", &served.url, "--timeout-ms", TIMEOUT_MS],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v = verdicts(&out);
    let failed: Vec<&str> = v
        .iter()
        .filter(|(t, _)| t == "FAIL")
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(failed, ["position"], "{}", stdout(&out));
    assert!(
        stdout(&out).contains("`position` is NaN: it must be a finite number"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("does NOT conform"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plenary_delegate_binary_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let child = plenary_test_support::spawn(
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
        &[("RUST_LOG", "warn")],
        dir.path(),
    )
    .await
    .expect("plenary delegate prints `listening on ADDR`");
    // It serves RUS only (other States are PERMISSION_DENIED).
    let out = conformance(
        &[
            "--endpoint",
            &child.url(),
            "--states",
            "RUS",
            "--timeout-ms",
            TIMEOUT_MS,
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_exits_1() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("127.0.0.1:{port}");
    let out = conformance(&["--endpoint", &url, "--timeout-ms", "2000"], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v = verdicts(&out);
    assert_eq!(v[0], ("FAIL".to_string(), "connect".to_string()));
    assert!(stdout(&out).contains("0 of "), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    for args in [
        &["--endpoint", "127.0.0.1:1", "--timeout-ms", "0"][..],
        &["--endpoint", "127.0.0.1:1", "--timeout-ms", "3600001"][..],
        &["--endpoint", "ftp://h:1"][..],
        &["--endpoint", "http://127.0.0.1:99999"][..],
        &["--endpoint", "127.0.0.1:1", "--states", &"X".repeat(65)][..],
        &["--endpoint", "127.0.0.1:1", "--token", "--token-file", "f"][..],
        &[][..],
    ] {
        let out = conformance(args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_every_check_from_the_one_list() {
    let out = conformance(&["--help"], &[]).await;
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for c in plenary_conformance::CHECKS {
        assert!(
            text.contains(c.name),
            "{} missing from --help:\n{text}",
            c.name
        );
    }
    // The descriptions too (clap may wrap lines: compare without whitespace).
    let flat: String = text.split_whitespace().collect();
    for c in plenary_conformance::CHECKS {
        let want: String = c.verifies.split_whitespace().collect();
        assert!(
            flat.contains(&want),
            "{}: description missing from --help",
            c.name
        );
    }
    assert!(
        text.contains("PLENARY_TOKEN") && text.contains("--token-file"),
        "{text}"
    );
}
