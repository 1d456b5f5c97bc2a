//! The in-process commands as a user runs them: the real binary, its exit codes, its
//! output and its files.

use std::path::Path;
use std::process::{Command, Output};

fn plenary(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args(args)
        .current_dir(dir)
        .env_remove("PLENARY_SCENARIO")
        .env_remove("PLENARY_DESIGN")
        .env_remove("PLENARY_SEED")
        .env_remove("PLENARY_STRATEGIES")
        .output()
        .expect("the plenary binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn run_without_arguments_prints_a_report_of_osce_2021() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(&["run"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("57 States"), "{report}");
    assert!(report.contains("== Session 1 =="), "{report}");
    assert!(report.contains("capacity to act"), "{report}");
    assert!(
        report.contains("unified-budget") || report.contains("budget"),
        "{report}"
    );
}

#[test]
fn json_results_are_byte_identical_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    for (file, seed) in [("a.json", "5"), ("b.json", "5"), ("c.json", "6")] {
        let out = plenary(
            &["run", "--seed", seed, "--json", file, "--brief"],
            dir.path(),
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
    assert_eq!(read("a.json"), read("b.json"));
    assert_ne!(read("a.json"), read("c.json"));
    let v: serde_json::Value = serde_json::from_slice(&read("a.json")).unwrap();
    assert_eq!(v["states"].as_array().unwrap().len(), 57);
    assert_eq!(v["seed"], 5);
}

#[test]
fn every_design_preset_runs_on_its_scenario() {
    let dir = tempfile::tempdir().unwrap();
    for (scenario, design) in [
        ("osce-2021", "osce-2021"),
        ("osce-2021", "path1-upgraded"),
        ("osce-2021", "path2-conference"),
        ("csce-1975", "csce-1975"),
    ] {
        let out = plenary(
            &["run", "--scenario", scenario, "--design", design, "--brief"],
            dir.path(),
        );
        assert!(
            out.status.success(),
            "{scenario}/{design}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn check_names_the_file_the_key_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(&["designs", "--show", "osce-2021"], dir.path());
    assert!(out.status.success());
    let good = text(&out.stdout);
    std::fs::write(dir.path().join("good.toml"), &good).unwrap();
    let out = plenary(&["check", "good.toml"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));

    let bad = good.replacen("max_rounds = 4", "max_rounds = \"many\"", 1);
    assert_ne!(bad, good, "the preset has max_rounds = 4");
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let out = plenary(&["check", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("procedure.max_rounds"),
        "{err}"
    );

    // The same bad file given to `run` fails before anything runs, naming it too.
    let out = plenary(&["run", "--design", "bad.toml"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("procedure.max_rounds"));
}

#[test]
fn bad_flags_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(
        &["run", "--strategies", "west=no-such-strategy"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no-such-strategy"),
        "{}",
        text(&out.stderr)
    );

    let out = plenary(&["run", "--strategies", "atlantis=hardliner"], dir.path());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("atlantis"),
        "{}",
        text(&out.stderr)
    );

    let out = plenary(&["run", "--scenario", "missing.toml"], dir.path());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("missing.toml"),
        "{}",
        text(&out.stderr)
    );

    let out = plenary(&["run", "--seed", "minus-one"], dir.path());
    assert_eq!(out.status.code(), Some(2), "usage errors exit with 2");
}

#[test]
fn an_unwritable_json_path_still_prints_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(
        &["run", "--brief", "--json", "no/such/dir/out.json"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("== Match"),
        "the report comes first"
    );
    assert!(text(&out.stderr).contains("no/such/dir/out.json"));
}

#[test]
fn a_user_scenario_copied_from_a_preset_checks_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(&["scenarios", "--show", "csce-1975"], dir.path());
    assert!(out.status.success());
    // Replay a published position: the USSR's ideal and salience on one item, given
    // explicitly instead of drawn.
    let mut text = text(&out.stdout);
    let first_item = text
        .split("[[agenda]]")
        .nth(1)
        .and_then(|a| a.lines().find(|l| l.trim_start().starts_with("id =")))
        .map(|l| l.split('"').nth(1).unwrap().to_string())
        .expect("an agenda item id");
    text.push_str(&format!(
        "\n[[preferences]]\nstate = \"SUN\"\nitem = \"{first_item}\"\nideal = 12.5\nsalience = 0.9\n"
    ));
    std::fs::write(dir.path().join("mine.toml"), &text).unwrap();
    let out = plenary(&["check", "mine.toml"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = plenary(&["run", "--scenario", "mine.toml", "--brief"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("35 States"));
}

// ---- CLI conventions: global flags, colour, list formats, exit codes, errors, completions.

/// The binary with its environment cleared of what would change the output.
fn plenary_env(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plenary"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("PLENARY_SCENARIO")
        .env_remove("PLENARY_DESIGN")
        .env_remove("PLENARY_SEED")
        .env_remove("PLENARY_STRATEGIES")
        .env_remove("PLENARY_TOURNAMENT_CONFIG")
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the plenary binary runs")
}

const ESC: &str = "\x1b[";

const SMALL_TOURNAMENT: &str = r#"
seed = 11
replications = 1
strategies = ["hardliner", "conceder"]
designs = ["csce-1975"]
scenarios = ["csce-1975"]

[rotation]
"#;

#[test]
fn quiet_drops_status_and_progress_lines_and_keeps_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(&["run", "--brief", "--json", "a.json"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("results written to a.json"));
    // -q before or after the command name.
    for args in [
        ["-q", "run", "--brief", "--json", "b.json"],
        ["run", "--brief", "--json", "b.json", "--quiet"],
    ] {
        let out = plenary(&args, dir.path());
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "{args:?}");
        assert!(text(&out.stdout).contains("== Match"), "the report stays");
    }
    assert!(dir.path().join("b.json").exists());

    // The tournament's progress and summary lines (no bar: not a terminal).
    std::fs::write(dir.path().join("t.toml"), SMALL_TOURNAMENT).unwrap();
    let args = ["tournament", "--config", "t.toml", "--out", "t1"];
    let out = plenary(&args, dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("matches (") && err.contains("ran "), "{err}");
    let out = plenary(
        &["tournament", "-q", "--config", "t.toml", "--out", "t2"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let bench = [
        "tournament",
        "--config",
        "t.toml",
        "--bench",
        "--bench-matches",
        "2",
    ];
    let out = plenary(&bench, dir.path());
    assert!(
        text(&out.stderr).contains("bench: 2 matches"),
        "{}",
        text(&out.stderr)
    );
    let out = plenary(&[&["-q"], &bench[..]].concat(), dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn verbosity_flags_repeat_and_exclude_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(&["strategies", "-vvv"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = plenary(&["-q", "strategies", "-v"], dir.path());
    assert_eq!(out.status.code(), Some(2), "-q and -v conflict");
    assert!(
        text(&out.stderr).contains("--quiet"),
        "{}",
        text(&out.stderr)
    );
    let help = text(&plenary(&["run", "--help"], dir.path()).stdout);
    for flag in ["--quiet", "--verbose", "--color <WHEN>"] {
        assert!(
            help.contains(flag),
            "every command documents {flag}: {help}"
        );
    }
}

/// The chair's first log line (a warning: no --tokens), read from its stderr pipe.
fn first_chair_log(extra: &[&str], env: &[(&str, &str)]) -> String {
    use std::io::BufRead;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plenary"));
    cmd.args(["chair", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("plenary chair starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stderr).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(std::time::Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    line.expect("the chair logs within 60 s")
}

#[test]
fn colour_only_on_a_terminal_or_when_asked() {
    // Logs into a pipe: plain under auto and never, coloured under always unless never.
    let plain = first_chair_log(&[], &[]);
    assert!(plain.contains("WARN") && !plain.contains(ESC), "{plain:?}");
    let never = first_chair_log(&["--color", "never"], &[]);
    assert!(!never.contains(ESC), "{never:?}");
    let always = first_chair_log(&["--color=always"], &[]);
    assert!(always.contains(ESC), "{always:?}");
    let no_color = first_chair_log(&["--color", "auto"], &[("NO_COLOR", "1")]);
    assert!(!no_color.contains(ESC), "{no_color:?}");

    // clap's own errors and help follow --color as well.
    let dir = tempfile::tempdir().unwrap();
    let out = plenary(&["run", "--seed", "x"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains(ESC), "{}", text(&out.stderr));
    let out = plenary(&["--color", "always", "run", "--seed", "x"], dir.path());
    assert!(text(&out.stderr).contains(ESC), "{}", text(&out.stderr));
    let out = plenary(&["--help", "--color", "never"], dir.path());
    assert!(!text(&out.stdout).contains(ESC));
    // A piped report has none either.
    let out = plenary(&["run", "--brief"], dir.path());
    assert!(!text(&out.stdout).contains(ESC) && !text(&out.stderr).contains(ESC));
    let out = plenary(&["run", "--color", "rainbow"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad --color value is a usage error"
    );
}

#[test]
fn list_commands_print_json_with_stable_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], &str); 3] = [
        (
            "designs",
            &[
                "id",
                "name",
                "description",
                "mediation",
                "linkage",
                "naming_shaming",
                "bodies",
                "scope",
            ],
            "osce-2021",
        ),
        (
            "scenarios",
            &[
                "id",
                "name",
                "description",
                "states",
                "blocs",
                "items",
                "default_design",
            ],
            "csce-1975",
        ),
        (
            "strategies",
            &["id", "name", "description", "idea"],
            "hardliner",
        ),
    ];
    for (command, keys, known) in cases {
        let out = plenary(&[command, "--format", "json"], dir.path());
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{command} --format json: {e}: {}", text(&out.stdout)));
        let items = v.as_array().expect("an array");
        assert!(!items.is_empty());
        for item in items {
            let obj = item.as_object().expect("objects");
            let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
            let mut want = keys.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{command}");
            assert!(!obj["description"].as_str().unwrap().contains('\n'));
        }
        assert!(items.iter().any(|i| i["id"] == known), "{command}: {known}");
        // Text stays the default; --help documents the keys.
        let out = plenary(&[command], dir.path());
        assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_err());
        let help = text(&plenary(&[command, "--help"], dir.path()).stdout);
        assert!(
            help.contains("--format") && help.contains(keys[3]),
            "{help}"
        );
        let out = plenary(&[command, "--format", "yaml"], dir.path());
        assert_eq!(out.status.code(), Some(2));
    }
    let out = plenary(
        &["designs", "--show", "osce-2021", "--format", "json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "--show prints TOML only");
}

#[test]
fn unknown_names_on_the_command_line_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str, &str); 7] = [
        (&["run", "--design", "nope"], "--design", "path1-upgraded"),
        (&["run", "--scenario", "nope"], "--scenario", "csce-1975"),
        (
            &["run", "--strategies", "default=nope"],
            "--strategies",
            "hardliner",
        ),
        (
            &["run", "--strategies", "atlantis=hardliner"],
            "--strategies",
            "west",
        ),
        (&["designs", "--show", "nope"], "--show", "osce-2021"),
        (&["scenarios", "--show", "nope"], "--show", "csce-1975"),
        (
            &["bench", "--design", "nope", "--sizes", "7"],
            "--design",
            "osce-2021",
        ),
    ];
    for (args, flag, known) in cases {
        let out = plenary(args, dir.path());
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(
            err.starts_with(&format!("error: {flag}: ")) && err.contains(known),
            "{args:?}: names the flag and the known names: {err}"
        );
        assert!(out.stdout.is_empty(), "nothing runs");
    }
    // The same names through `check`, and through the environment.
    std::fs::write(
        dir.path().join("d.toml"),
        plenary(&["designs", "--show", "osce-2021"], dir.path()).stdout,
    )
    .unwrap();
    let out = plenary(&["check", "d.toml", "--scenario", "nope"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = plenary_env(&["run"], dir.path(), &[("PLENARY_DESIGN", "nope")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    // Runtime failures stay 1: a file that is not there, a results file not writable.
    let out = plenary(&["run", "--scenario", "missing.toml"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = plenary(
        &["run", "--brief", "--json", "no/such/dir/out.json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn an_error_chain_says_each_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["run", "--scenario", "/nonexistent/x.toml"][..],
        &["run", "--design", "/nonexistent/x.toml"],
        &["check", "/nonexistent/x.toml"],
    ] {
        let out = plenary(args, dir.path());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert_eq!(
            err.matches("No such file or directory").count(),
            1,
            "{args:?}: the reason once: {err}"
        );
        assert!(err.contains("/nonexistent/x.toml"), "{err}");
    }
}

#[test]
fn completions_and_man_pages() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = plenary(&["completions", shell], dir.path());
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(
            script.contains("plenary") && script.contains("tournament"),
            "{shell}"
        );
        assert!(
            script.contains("color"),
            "{shell}: global flags complete too"
        );
    }
    let out = plenary(&["completions", "tcsh"], dir.path());
    assert_eq!(out.status.code(), Some(2));

    let out = plenary(&["man"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    // clap_mangen opens with the roff definition of a quote string, then the title.
    let first_macro = page
        .lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap_or_default();
    assert!(first_macro.starts_with(".TH plenary 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS") && page.contains("completions"));

    let out = plenary(&["-q", "man", "--out", "man"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    for page in ["plenary.1", "plenary-run.1", "plenary-experiment-history.1"] {
        let p = dir.path().join("man").join(page);
        let roff = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(roff.contains(".TH "), "{page}");
    }
    assert!(
        !dir.path().join("man/plenary-echo-server.1").exists(),
        "hidden"
    );

    for command in ["completions", "man"] {
        let help = text(&plenary(&[command, "--help"], dir.path()).stdout);
        assert!(help.contains("Examples:"), "{command}: {help}");
    }
}
