//! Issue 9 (files): every class of hostile or broken file gets a clear, fast error
//! naming the file, the key path and the problem. One test per class.

use plenary_core::{Design, FileErrors, Scenario};
use plenary_scenarios::bounded::{MAX_TOML_BYTES, ReadError};
use plenary_scenarios::{
    DESIGNS, LoadError, SCENARIOS, check_file, load_design, load_scenario, parse_scenario,
};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

fn preset(table: &[(&str, &'static str)], id: &str) -> &'static str {
    table.iter().find(|(k, _)| *k == id).unwrap().1
}

fn osce() -> String {
    preset(SCENARIOS, "osce-2021").to_string()
}

fn osce_design() -> String {
    preset(DESIGNS, "osce-2021").to_string()
}

/// `text` with the first occurrence of `from` replaced (which must exist).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the preset has `{from}`");
    text.replacen(from, to, 1)
}

fn scenario_errors(text: &str) -> FileErrors {
    match Scenario::from_toml("s.toml", text) {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

fn design_errors(text: &str) -> FileErrors {
    match Design::from_toml("d.toml", text) {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

/// The (key, message) pairs of the errors.
fn keyed(e: &FileErrors) -> Vec<(String, String)> {
    e.0.iter()
        .map(|e| (e.key.clone(), e.message.clone()))
        .collect()
}

/// Runs `f` on another thread and fails (instead of hanging the suite) if it has not
/// returned within a generous bound: the point is that reading a FIFO or a device
/// never blocks, not how fast it fails.
fn without_hanging<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("reading a non-regular file blocked")
}

fn not_regular(r: Result<impl std::fmt::Debug, LoadError>) -> String {
    match r {
        Err(LoadError::Read(e @ ReadError::NotRegular { .. })) => e.to_string(),
        other => panic!("expected a not-a-regular-file error, got {other:?}"),
    }
}

#[test]
fn directories_fifos_and_devices_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let e = not_regular(check_file(&d));
    assert!(
        e.ends_with("cannot read: is a directory, not a regular file"),
        "{e}"
    );

    let fifo = dir.path().join("pipe.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let f = fifo.clone();
    let e = not_regular(without_hanging(move || check_file(&f)));
    assert!(e.contains("is a FIFO (named pipe)"), "{e}");
    let f = fifo.display().to_string();
    let e = not_regular(without_hanging(move || load_scenario(&f)));
    assert!(
        e.starts_with(&format!("{}: cannot read", fifo.display())),
        "{e}"
    );

    // `plenary check /dev/zero` used to grow at 650 MB/s.
    let e = not_regular(without_hanging(|| check_file(Path::new("/dev/zero"))));
    assert_eq!(
        e,
        "/dev/zero: cannot read: is a character device, not a regular file"
    );
    let e = not_regular(without_hanging(|| load_design("/dev/zero")));
    assert!(e.contains("character device"), "{e}");
    // /dev/stdin is a pipe, a terminal or /dev/null here: never a regular file we wait on.
    if std::fs::metadata("/dev/stdin").is_ok_and(|m| !m.is_file()) {
        not_regular(without_hanging(|| check_file(Path::new("/dev/stdin"))));
    }
}

#[test]
fn files_over_the_size_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.toml");
    // A valid start followed by a long comment: refused for its size, not its content.
    let mut text = osce();
    text.push('#');
    text.push_str(&"x".repeat(MAX_TOML_BYTES as usize - text.len()));
    std::fs::write(&p, &text).unwrap();
    assert!(check_file(&p).is_ok(), "exactly the limit is fine");
    text.push('x');
    std::fs::write(&p, &text).unwrap();
    let e = check_file(&p).unwrap_err();
    assert!(
        matches!(e, LoadError::Read(ReadError::TooLarge { limit, .. }) if limit == MAX_TOML_BYTES),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot read: larger than the limit of 4194304 bytes",
            p.display()
        )
    );
}

#[test]
fn a_scenario_names_a_design_preset_never_a_file() {
    let text = edit(
        &osce(),
        "default_design = \"osce-2021\"",
        "default_design = \"/etc/passwd\"",
    );
    let e = scenario_errors(&text);
    assert_eq!(e.0[0].key, "scenario.default_design", "{e}");
    assert!(
        e.0[0]
            .message
            .starts_with("`/etc/passwd` has the character '/'")
            && e.0[0]
                .message
                .contains("a design preset id only, never a file"),
        "{e}"
    );
    // A well-formed id that is not a preset: the loader says so (and never tries a file
    // of that name).
    let text = edit(
        &osce(),
        "default_design = \"osce-2021\"",
        "default_design = \"passwd\"",
    );
    let e = parse_scenario("s.toml", &text).unwrap_err().to_string();
    assert_eq!(
        e,
        "s.toml: `scenario.default_design`: `passwd` is not a design preset (presets: csce-1975, osce-2021, path1-upgraded, path2-conference); a scenario names a preset only, pass your own design file with --design"
    );
}

#[test]
fn errors_quote_only_a_short_prefix_of_bad_input() {
    let mega = "Z".repeat(1 << 20);
    // A semantic error quoting a value.
    let text = edit(&osce(), "bloc = \"west\"", &format!("bloc = \"{mega}\""));
    let e = scenario_errors(&text).to_string();
    assert!(e.len() < 2000, "{} bytes", e.len());
    assert!(
        e.contains(&format!("`{}`… (1048576 bytes)", "Z".repeat(64))),
        "{e:.300}"
    );
    // A parser error echoing a value.
    let text = edit(
        &osce(),
        "capability = 13.0",
        &format!("capability = \"{mega}\""),
    );
    let e = scenario_errors(&text).to_string();
    assert!(e.len() < 500, "{e:.300}");
    assert!(e.contains("capability"), "{e}");
    // An unknown key: the key path and the message are both clipped.
    let text = edit(
        &osce(),
        "[scenario]\n",
        &format!("[scenario]\n{mega} = 1\n"),
    );
    let e = scenario_errors(&text);
    assert!(e.to_string().len() < 1500, "{:.300}", e.to_string());
    assert!(e.0[0].key.starts_with("scenario.ZZZ"), "{e:.300}");
}

#[test]
fn ids_names_and_texts_have_length_limits() {
    let long_id = "A".repeat(65);
    let text = edit(&osce(), "id = \"RUS\"", &format!("id = \"{long_id}\""));
    let e = keyed(&scenario_errors(&text));
    let (key, msg) = e
        .iter()
        .find(|(k, _)| k.ends_with("].id") && k.starts_with("states["))
        .expect("a State id error");
    assert_eq!(msg, "is 65 bytes long, more than the limit of 64", "{key}");

    let text = edit(&osce(), "id = \"west\"", "id = \"we st\"");
    let e = keyed(&scenario_errors(&text));
    assert!(
        e.iter()
            .any(|(k, m)| k == "blocs[0].id" && m.contains("has the character ' ' at byte 2")),
        "{e:?}"
    );

    let text = edit(
        &osce(),
        "title = \"Unified Budget",
        &format!("title = \"{}", "t".repeat(300)),
    );
    let e = keyed(&scenario_errors(&text));
    assert!(
        e.iter().any(|(k, m)| k.starts_with("agenda[")
            && k.ends_with("].title")
            && m.starts_with("is ")
            && m.ends_with("more than the limit of 256")),
        "{e:?}"
    );

    let text = edit(
        &osce(),
        "description = \"\"\"\nThe OSCE",
        &format!("description = \"\"\"\n{}The OSCE", "d".repeat(17_000)),
    );
    let e = keyed(&scenario_errors(&text));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "scenario.description");
    assert!(e[0].1.ends_with("more than the limit of 16384"), "{e:?}");

    let text = edit(
        &osce_design(),
        "name = \"Permanent Council\"",
        "name = \"Perm\\u0007\"",
    );
    let e = keyed(&design_errors(&text));
    assert!(
        e.iter()
            .any(|(k, m)| k == "bodies[0].name" && m.contains("a control character")),
        "{e:?}"
    );
}

#[test]
fn capability_is_bounded_so_no_nan_reaches_results() {
    let text = edit(&osce(), "capability = 13.0", "capability = 1e307");
    let e = keyed(&scenario_errors(&text));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].0.starts_with("states[") && e[0].0.ends_with("].capability"),
        "{e:?}"
    );
    assert_eq!(
        e[0].1,
        "1e307 is outside 1e-6..=1e6 (capability is a relative weight)"
    );
    let text = edit(&osce(), "capability = 13.0", "capability = 1e-300");
    assert_eq!(keyed(&scenario_errors(&text)).len(), 1);
    let text = edit(&osce(), "capability = 13.0", "capability = 1e6");
    Scenario::from_toml("s.toml", &text).expect("the bound itself is fine");
}

#[test]
fn empty_ids_are_refused() {
    let text = edit(&osce(), "id = \"unified-budget\"", "id = \"\"");
    let e = keyed(&scenario_errors(&text));
    assert!(
        e.iter().any(|(k, m)| k.starts_with("agenda[")
            && k.ends_with("].id")
            && m == "must not be empty"),
        "{e:?}"
    );
    let text = edit(&osce_design(), "id = \"permanent-council\"", "id = \"\"");
    let e = keyed(&design_errors(&text));
    assert!(
        e.contains(&("bodies[0].id".into(), "must not be empty".into())),
        "{e:?}"
    );
}

#[test]
fn a_tension_pair_given_twice_is_refused() {
    // The second entry (in either order) used to win silently and change the results.
    let text = osce() + "\n[[tension]]\na = \"csto\"\nb = \"west\"\nvalue = 0.9\n";
    let e = scenario_errors(&text);
    assert_eq!(e.0.len(), 1, "{e}");
    assert!(e.0[0].key.starts_with("tension["), "{e}");
    assert_eq!(
        e.0[0].message,
        "second entry for the bloc pair `csto` / `west`"
    );
}

#[test]
fn duplicate_body_ids_are_refused() {
    let text = osce_design()
        + "\n[[bodies]]\nid = \"permanent-council\"\nname = \"Again\"\nrule = { kind = \"consensus\" }\nbinding = true\n";
    let e = design_errors(&text);
    assert!(
        e.0.iter().any(|e| e.key.starts_with("bodies[")
            && e.key.ends_with("].id")
            && e.message == "duplicate body `permanent-council`"),
        "{e}"
    );
}

#[test]
fn a_kind_rule_given_twice_is_refused() {
    let text = osce_design()
        + "\n[[kind_rules]]\nkind = \"violation-response\"\nrule = { kind = \"consensus\" }\n";
    let e = design_errors(&text);
    assert!(
        e.0.iter().any(|e| e.key.starts_with("kind_rules[")
            && e.key.ends_with("].kind")
            && e.message == "second rule for item kind `violation-response`"),
        "{e}"
    );
}

#[test]
fn scope_entries_given_twice_are_refused() {
    let text = edit(
        &osce_design(),
        "scope = [\"politico-military\", \"economic-environmental\", \"human\", \"general\"]",
        "scope = [\"politico-military\", \"human\", \"human\", \"general\"]",
    );
    let e = keyed(&design_errors(&text));
    assert_eq!(
        e,
        [(
            "procedure.scope[2]".to_string(),
            "`human` is listed twice".to_string()
        )]
    );
    let text = edit(
        &osce_design(),
        "scope = { dimensions = [], kinds = [] }",
        "scope = { dimensions = [], kinds = [\"csbm\", \"csbm\"] }",
    );
    let e = keyed(&design_errors(&text));
    assert_eq!(
        e,
        [(
            "bodies[0].scope.kinds[1]".to_string(),
            "`csbm` is listed twice".to_string()
        )]
    );
}

#[test]
fn too_many_problems_are_counted_not_listed() {
    let mut text = osce();
    for i in 0..200 {
        text.push_str(&format!(
            "\n[[tension]]\na = \"nope{i}\"\nb = \"west\"\nvalue = 0.1\n"
        ));
    }
    let e = scenario_errors(&text);
    assert_eq!(e.0.len(), plenary_core::files::MAX_PROBLEMS + 1);
    assert_eq!(e.0.last().unwrap().message, "… and 150 more problems");
}
