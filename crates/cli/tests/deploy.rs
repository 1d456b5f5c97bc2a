//! Heavy suite (run with `cargo test -- --include-ignored`, as CI does): containerized
//! labs and manifests, end to end.
//!
//! - On the real Docker engine: builds the `plenary` image from this build's binary (no
//!   registry, no base image), writes a Compose project for csce-1975 (a chair, 35
//!   delegation containers and a runner), starts the lab, and plays the match twice:
//!   once with the chair killed (`kill -9`) mid-match, whose results must equal the
//!   in-process run byte for byte (the chair's journal in `./state` resumes the match;
//!   `compose.json` sets `PLENARY_STATE_DIR`), and once with
//!   a delegation killed mid-match, which the restart policy brings back and which
//!   registers again by itself: the match completes and only that State has violations.
//!   Every wait is bounded and the project is torn down (`down -v`) however the test
//!   ends.
//! - kubernetes-validate (PyPI, in a venv this test provisions under the target
//!   directory) checks every generated Kubernetes document with `--strict`, and the
//!   documents, read back with PyYAML, are checked for the restricted Pod Security
//!   profile, probes, limits, names and secrets.

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_plenary");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `cmd` (bounded by `timeout SECS`), returning stdout; panics with its output on
/// failure.
fn run(secs: u64, cmd: &[&str], dir: Option<&Path>, what: &str) -> String {
    let mut c = Command::new("timeout");
    c.arg(secs.to_string()).args(cmd);
    if let Some(d) = dir {
        c.current_dir(d);
    }
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start ({e})"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Everything the Docker test created, removed however the test ends.
struct Lab {
    dir: PathBuf,
    project: String,
    /// Removed after the project is down (fields drop after `Lab::drop`).
    _image: Image,
}

impl Lab {
    fn compose(&self, secs: u64, args: &[&str], what: &str) -> String {
        let mut cmd = vec!["docker-compose", "-p", &self.project, "-f", "compose.json"];
        cmd.extend_from_slice(args);
        run(secs, &cmd, Some(&self.dir), what)
    }

    /// The container of `service` (`d-sun`).
    fn container(&self, service: &str) -> String {
        self.compose(60, &["ps", "-q", service], "docker-compose ps")
            .trim()
            .to_string()
    }

    fn inspect(&self, container: &str, format: &str) -> String {
        run(
            30,
            &["docker", "inspect", "-f", format, container],
            None,
            "docker inspect",
        )
        .trim()
        .to_string()
    }

    /// Waits (bounded) until every long-running container reports healthy.
    fn wait_healthy(&self, expected: usize, limit: Duration) {
        let start = Instant::now();
        loop {
            let ids = self.compose(60, &["ps", "-q"], "docker-compose ps");
            let ids: Vec<&str> = ids.split_whitespace().collect();
            let mut healthy = 0;
            for id in &ids {
                if self.inspect(id, "{{if .State.Health}}{{.State.Health.Status}}{{end}}")
                    == "healthy"
                {
                    healthy += 1;
                }
            }
            if healthy >= expected {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "only {healthy} of {expected} containers healthy after {limit:?}"
            );
            std::thread::sleep(Duration::from_secs(2));
        }
    }

    /// Kills the process of `service`'s container with SIGKILL from the host, as a
    /// crash or the OOM killer would (`docker kill` counts as an operator's stop, which
    /// Docker's restart policies deliberately leave stopped). Needs root, as CI has.
    fn crash(&self, service: &str) -> String {
        let id = self.container(service);
        let pid = self.inspect(&id, "{{.State.Pid}}");
        assert!(pid != "0", "{service} is not running");
        run(10, &["kill", "-9", &pid], None, "kill -9");
        id
    }

    /// Waits (bounded) until `container` restarted at least `count` times and is
    /// healthy again.
    fn wait_restarted(&self, container: &str, count: u32, limit: Duration) {
        let start = Instant::now();
        loop {
            let s = self.inspect(
                container,
                "{{.RestartCount}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
            );
            let (n, health) = s.split_once(' ').unwrap_or((&s, ""));
            if n.parse::<u32>().unwrap_or(0) >= count && health == "healthy" {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "{container} not restarted and healthy after {limit:?}: {s}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Starts the runner in the background; returns its container name.
    fn start_runner(&self, name: &str) -> String {
        self.compose(
            300,
            &["run", "-d", "--name", name, "runner"],
            "docker-compose run -d runner",
        );
        name.to_string()
    }

    /// Waits (bounded) until the runner's log has `needle`; panics if the runner exits
    /// first.
    fn wait_log(&self, runner: &str, needle: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            let out = Command::new("docker")
                .args(["logs", runner])
                .output()
                .expect("docker logs");
            let log = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            if log.contains(needle) {
                return;
            }
            assert!(
                self.inspect(runner, "{{.State.Running}}") == "true",
                "the runner ended before `{needle}`:\n{log}"
            );
            assert!(
                start.elapsed() < limit,
                "no `{needle}` from the runner after {limit:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits (bounded) for the runner to end; returns its exit code and log.
    fn wait_runner(&self, runner: &str, secs: u64) -> (i32, String) {
        let code = run(
            secs,
            &["docker", "wait", runner],
            None,
            "docker wait runner",
        );
        let out = Command::new("docker")
            .args(["logs", runner])
            .output()
            .expect("docker logs");
        let log = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let _ = Command::new("docker").args(["rm", "-f", runner]).output();
        (code.trim().parse().expect("an exit code"), log)
    }

    fn results(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("out/results.json")).expect("the runner wrote results")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Runner containers of `run -d` are removed by `down` too (same project).
        let _ = Command::new("timeout")
            .args([
                "120",
                "docker-compose",
                "-p",
                &self.project,
                "-f",
                "compose.json",
            ])
            .args(["down", "-v", "-t", "2", "--remove-orphans"])
            .current_dir(&self.dir)
            .output();
    }
}

#[test]
#[ignore = "heavy: builds a container image and runs 37 containers (CI runs it)"]
fn compose_lab_survives_a_chair_restart_and_a_killed_delegation() {
    let tmp = tempfile::tempdir().unwrap();
    let pid = std::process::id();
    let image = Image::build(format!("plenary:test-{pid}"));
    let dir = tmp.path().join("lab");
    let tag = image.tag.clone();
    let lab = Lab {
        dir: dir.clone(),
        project: format!("plenarytest{pid}"),
        _image: image,
    };
    run(
        60,
        &[
            BIN,
            "deploy",
            "--scenario",
            "csce-1975",
            "--seed",
            "11",
            // Hardliners leave items open, so every session negotiates and the match
            // is still running when the chair is killed after session 1.
            "--strategies",
            "default=hardliner",
            "--brief",
            "--image",
            &tag,
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
        "plenary deploy",
    );
    let inproc = tmp.path().join("inproc.json");
    run(
        120,
        &[
            BIN,
            "run",
            "--scenario",
            "csce-1975",
            "--seed",
            "11",
            "--strategies",
            "default=hardliner",
            "--brief",
            "--json",
            inproc.to_str().unwrap(),
        ],
        None,
        "plenary run",
    );
    let inproc = std::fs::read(&inproc).unwrap();

    let started = Instant::now();
    lab.compose(600, &["up", "-d"], "docker-compose up -d");
    // The chair and 35 delegations (the runner is a one-shot, started below).
    lab.wait_healthy(36, Duration::from_secs(300));
    eprintln!("lab up and healthy in {:?}", started.elapsed());
    let chair = lab.container("chair");

    // 1. The chair is killed mid-match and comes back: the same results as in-process.
    let t = Instant::now();
    let runner = lab.start_runner(&format!("{}-chair-restart", lab.project));
    lab.wait_log(&runner, "session 1 ended", Duration::from_secs(300));
    lab.crash("chair");
    assert_eq!(
        lab.inspect(&runner, "{{.State.Running}}"),
        "true",
        "the chair must be killed mid-match"
    );
    lab.wait_restarted(&chair, 1, Duration::from_secs(120));
    let (code, log) = lab.wait_runner(&runner, 900);
    assert_eq!(code, 0, "the match after a chair restart:\n{log}");
    assert!(
        lab.results() == inproc,
        "results after a chair restart differ from in-process:\n{log}"
    );
    eprintln!(
        "chair killed and restarted mid-match: identical results in {:?}",
        t.elapsed()
    );
    std::fs::remove_file(dir.join("out/results.json")).unwrap();

    // 2. A delegation is killed mid-match: the restart policy brings it back, it
    //    registers again by itself, the match completes; only its State has violations
    //    (it lost its memory).
    let t = Instant::now();
    let runner = lab.start_runner(&format!("{}-delegation-kill", lab.project));
    lab.wait_log(&runner, "session 1 ended", Duration::from_secs(300));
    let sun = lab.crash("d-sun");
    assert_eq!(
        lab.inspect(&runner, "{{.State.Running}}"),
        "true",
        "the delegation must be killed mid-match"
    );
    lab.wait_restarted(&sun, 1, Duration::from_secs(120));
    let (code, log) = lab.wait_runner(&runner, 900);
    assert!(
        code == 0 || code == 3,
        "exit {code}: the match must complete (0, or 3 with violations):\n{log}"
    );
    let sun_log = Command::new("docker")
        .args(["logs", &sun])
        .output()
        .expect("docker logs");
    assert!(
        String::from_utf8_lossy(&sun_log.stdout).contains("(generation 2)"),
        "the restarted delegation registered again by itself"
    );
    let results: Value = serde_json::from_slice(&lab.results()).unwrap();
    assert_eq!(results["complete"], true, "{log}");
    let violations = results["violations"].as_array().unwrap();
    for v in violations {
        assert_eq!(
            v["state"], "SUN",
            "only the killed State may have violations: {v}"
        );
    }
    eprintln!(
        "d-sun killed mid-match: restarted, registered again, match complete with {} violation(s) (exit {code}) in {:?}",
        violations.len(),
        t.elapsed()
    );
    // Neither fault stopped the lab: every server is still up.
    lab.wait_healthy(36, Duration::from_secs(120));
}

/// Builds the image from this build's binary; removed (with `volumes`) when dropped.
struct Image {
    tag: String,
    volumes: Vec<String>,
}

impl Image {
    fn build(tag: String) -> Image {
        run(
            300,
            &[
                "env",
                &format!("PLENARY_BIN={BIN}"),
                &format!("PLENARY_IMAGE={tag}"),
                "bash",
                repo().join("deploy/image/build.sh").to_str().unwrap(),
                "--no-build",
            ],
            None,
            "deploy/image/build.sh",
        );
        Image {
            tag,
            volumes: Vec::new(),
        }
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        for v in &self.volumes {
            let _ = Command::new("docker")
                .args(["volume", "rm", "-f", v])
                .output();
        }
        let _ = Command::new("docker")
            .args(["image", "rm", "-f", &self.tag])
            .output();
    }
}

#[test]
#[ignore = "heavy: builds a container image and runs a tournament's Jobs as containers (CI runs it)"]
fn the_tournament_jobs_commands_give_the_unsharded_result_in_hardened_containers() {
    let tmp = tempfile::tempdir().unwrap();
    let pid = std::process::id();
    let mut image = Image::build(format!("plenary:test-tournament-{pid}"));
    let config = tmp.path().join("t.toml");
    std::fs::write(
        &config,
        "seed = 7\nreplications = 2\nstrategies = [\"hardliner\", \"conceder\", \"linker\"]\n\
         designs = [\"csce-1975\", \"osce-2021\"]\nscenarios = [\"csce-1975\"]\n\
         neutral_blocs = [\"nn\"]\n\n[rotation]\nbackground = \"mixed\"\n",
    )
    .unwrap();
    let t = plenary_lab::deploy::Tournament {
        config_text: std::fs::read_to_string(&config).unwrap(),
        origin: config.display().to_string(),
        shards: 3,
        parallelism: 3,
        threads: 1,
        deadline_secs: 600,
        results_size: "1Gi".into(),
    };
    plenary_lab::deploy::check_tournament(&t).unwrap();
    let docs = plenary_lab::deploy::kubernetes::tournament_manifests("t1", &image.tag, &t);
    let args = |doc: &Value| -> Vec<String> {
        doc["spec"]["template"]["spec"]["containers"][0]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    let shard_args = args(&docs.shards[2]);
    let merge_args = args(&docs.merge[0]);
    let volume = format!("plenary-test-results-{pid}");
    image.volumes.push(volume.clone());
    // As the Jobs' pods run: the image's user, read-only root, no capabilities, the
    // configuration read-only at /config, the results volume at /results.
    let container = |args: Vec<String>| {
        let mut cmd = vec![
            "docker".to_string(),
            "run".into(),
            "--rm".into(),
            "--read-only".into(),
            "--cap-drop".into(),
            "ALL".into(),
            "--security-opt".into(),
            "no-new-privileges".into(),
            "-v".into(),
            format!("{volume}:/results"),
            "-v".into(),
            format!("{}:/config/tournament.toml:ro", config.display()),
            image.tag.clone(),
        ];
        cmd.extend(args);
        let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
        run(300, &refs, None, "a Job's container");
    };
    for i in 0..t.shards {
        // What Kubernetes substitutes in an Indexed Job's pod `i`.
        container(
            shard_args
                .iter()
                .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &i.to_string()))
                .collect(),
        );
    }
    container(merge_args);
    // Copy the merged summary out: the image has no shell, so `plenary merge` itself
    // copies it (as root, into a host directory).
    let host = tmp.path().join("host");
    std::fs::create_dir(&host).unwrap();
    run(
        120,
        &[
            "docker",
            "run",
            "--rm",
            "--user",
            "0:0",
            "-v",
            &format!("{volume}:/results:ro"),
            "-v",
            &format!("{}:/host", host.display()),
            &image.tag,
            "merge",
            "/results/merged",
            "--out",
            "/host/merged",
        ],
        None,
        "copying the merged results out",
    );
    let whole = tmp.path().join("whole");
    run(
        300,
        &[
            BIN,
            "tournament",
            "--config",
            config.to_str().unwrap(),
            "--out",
            whole.to_str().unwrap(),
        ],
        None,
        "plenary tournament (unsharded)",
    );
    let read = |p: PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(
        read(host.join("merged/summary.json")) == read(whole.join("summary.json")),
        "3 shards merged as the Jobs run them differ from the unsharded tournament"
    );
}

// ----- the command itself (light) --------------------------------------------------------

fn deploy_cmd(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("deploy")
        .args(args)
        .output()
        .expect("plenary deploy");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn deploy_prints_a_recipe_that_survives_exits_and_refuses_what_it_cannot_do() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    let (ok, out, err) = deploy_cmd(&["--scenario", "csce-1975", "--out", lab.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        out.contains("up -d") && out.contains("run --rm runner"),
        "{out}"
    );
    assert!(!out.contains("abort-on-container-exit"), "{out}");
    assert!(out.contains("secret file(s)"), "{out}");
    // Never over an existing deployment.
    let (ok, _, err) = deploy_cmd(&["--scenario", "csce-1975", "--out", lab.to_str().unwrap()]);
    assert!(!ok && err.contains("is not empty"), "{err}");
    let fresh = tmp.path().join("fresh");
    let fresh = fresh.to_str().unwrap();
    for (args, needle) in [
        (vec!["--json", "x.json"], "--json"),
        (vec!["--name", "Bad_Name"], "--name"),
        (vec!["--target", "kubernetes", "--user", "1:1"], "--user"),
        (vec!["--user", "0:0"], "non-root"),
    ] {
        let mut a = args.clone();
        a.extend(["--out", fresh]);
        let (ok, _, err) = deploy_cmd(&a);
        assert!(!ok && err.contains(needle), "{args:?}: {err}");
    }
    let (ok, _, err) = deploy_cmd(&["tournament", "--shards", "0", "--out", fresh]);
    assert!(!ok && err.contains("--shards"), "{err}");
    assert!(
        !Path::new(fresh).exists(),
        "nothing is written when the options are refused"
    );
}

/// The Kubernetes chair gets its tokens from the environment (`secretKeyRef`): it
/// starts beyond loopback with them, and refuses bad ones naming the variable.
#[test]
fn a_chair_takes_its_tokens_from_the_environment() {
    let mut chair = Command::new(BIN)
        .args(["chair", "--listen", "0.0.0.0:0"])
        .env("PLENARY_TOKENS_TOML", "[tokens]\nRUS = \"t1\"\n")
        .env("PLENARY_OPERATOR_TOKEN", "op")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("plenary chair");
    let mut stdout = chair.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let n = stdout.read(&mut buf).unwrap_or(0);
        let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
    });
    let line = rx.recv_timeout(Duration::from_secs(60));
    let _ = chair.kill();
    let _ = chair.wait();
    assert!(
        line.as_deref()
            .unwrap_or("")
            .starts_with("listening on 0.0.0.0:"),
        "{line:?}"
    );
    let out = Command::new(BIN)
        .args(["chair", "--listen", "0.0.0.0:0"])
        .env("PLENARY_TOKENS_TOML", "[tokens]\nRUS = \"\"\n")
        .env("PLENARY_OPERATOR_TOKEN", "op")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("PLENARY_TOKENS_TOML"),
        "{err}"
    );
}

// ----- Kubernetes manifests -------------------------------------------------------------

/// The kubernetes-validate requirement (pinned: its schemas are bundled per release).
fn validate_requirements() -> PathBuf {
    repo().join("deploy/kubernetes-validate.txt")
}

/// A venv with kubernetes-validate: `PLENARY_KUBERNETES_VALIDATE_VENV` (CI provisions
/// it) or `TARGET/kubernetes-validate-venv`, built here when missing or stale.
fn validate_venv() -> PathBuf {
    let venv = std::env::var_os("PLENARY_KUBERNETES_VALIDATE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            plenary_test_support::python::target_dir().join("kubernetes-validate-venv")
        });
    let want = std::fs::read_to_string(validate_requirements()).unwrap();
    let stamp = venv.join("plenary-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(&want) {
        return venv;
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv).unwrap();
    }
    run(
        300,
        &["python3", "-m", "venv", venv.to_str().unwrap()],
        None,
        "python3 -m venv",
    );
    run(
        600,
        &[
            venv.join("bin/pip").to_str().unwrap(),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            validate_requirements().to_str().unwrap(),
        ],
        None,
        "pip install kubernetes-validate",
    );
    std::fs::write(&stamp, want).unwrap();
    venv
}

/// Every document of `files`, read back with PyYAML (what kubectl's YAML reads too).
fn read_yaml(venv: &Path, files: &[PathBuf]) -> Vec<Value> {
    let script = "import json, sys, yaml\n\
                  docs = []\n\
                  for f in sys.argv[1:]:\n\
                  \x20   docs.extend(d for d in yaml.safe_load_all(open(f)) if d is not None)\n\
                  print(json.dumps(docs))\n";
    let mut cmd = vec![
        venv.join("bin/python").display().to_string(),
        "-c".into(),
        script.into(),
    ];
    cmd.extend(files.iter().map(|f| f.display().to_string()));
    let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
    serde_json::from_str(&run(60, &refs, None, "reading the YAML back")).unwrap()
}

fn pods(doc: &Value) -> Option<&Value> {
    match doc["kind"].as_str()? {
        "Deployment" | "Job" => Some(&doc["spec"]["template"]["spec"]),
        _ => None,
    }
}

#[test]
#[ignore = "heavy: provisions a Python venv with kubernetes-validate (CI runs it)"]
fn kubernetes_manifests_pass_kubernetes_validate_strict_and_the_restricted_profile() {
    let venv = validate_venv();
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    let tour = tmp.path().join("tournament");
    run(
        60,
        &[
            BIN,
            "deploy",
            "--target",
            "kubernetes",
            "--scenario",
            "osce-2021",
            "--name",
            "osce",
            "--out",
            lab.to_str().unwrap(),
        ],
        None,
        "plenary deploy --target kubernetes",
    );
    run(
        60,
        &[
            BIN,
            "deploy",
            "tournament",
            "--shards",
            "3",
            "--name",
            "t1",
            "--out",
            tour.to_str().unwrap(),
        ],
        None,
        "plenary deploy tournament",
    );
    let files = [
        lab.join("lab.yaml"),
        lab.join("secrets/secret.yaml"),
        tour.join("tournament.yaml"),
        tour.join("merge.yaml"),
    ];
    for version in ["1.37.0", "1.29.0"] {
        let mut cmd = vec![
            venv.join("bin/kubernetes-validate").display().to_string(),
            "--strict".into(),
            "-k".into(),
            version.into(),
        ];
        cmd.extend(files.iter().map(|f| f.display().to_string()));
        let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let out = run(120, &refs, None, "kubernetes-validate --strict");
        let passed = out.lines().filter(|l| l.contains(" passed ")).count();
        // osce-2021: NetworkPolicy, 2 volumes, chair (Deployment, Service), 57 x
        // (Deployment, Service), Job, Secret; tournament: ConfigMap, volume, 2 Jobs.
        assert_eq!(passed, 1 + 2 + 2 + 57 * 2 + 1 + 1 + 4, "{out}");
        eprintln!("kubernetes-validate --strict -k {version}: {passed} documents passed");
    }

    let docs = read_yaml(&venv, &files);
    let mut pods_seen = 0;
    for doc in &docs {
        let name = doc["metadata"]["name"].as_str().unwrap();
        let instance = &doc["metadata"]["labels"]["app.kubernetes.io/instance"];
        assert!(
            (name.starts_with("osce-") && instance == "osce")
                || (name.starts_with("t1-") && instance == "t1"),
            "{name}: every name and label carries the lab name"
        );
        let Some(pod) = pods(doc) else { continue };
        pods_seen += 1;
        let sc = &pod["securityContext"];
        assert_eq!(sc["runAsNonRoot"], true, "{name}");
        assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{name}");
        assert_eq!(pod["automountServiceAccountToken"], false, "{name}");
        for c in pod["containers"].as_array().unwrap() {
            let csc = &c["securityContext"];
            assert_eq!(csc["allowPrivilegeEscalation"], false, "{name}");
            assert_eq!(csc["readOnlyRootFilesystem"], true, "{name}");
            assert_eq!(
                csc["capabilities"]["drop"],
                serde_json::json!(["ALL"]),
                "{name}"
            );
            for k in ["requests", "limits"] {
                for r in ["cpu", "memory"] {
                    assert!(c["resources"][k][r].is_string(), "{name}: {k}.{r}");
                }
            }
            // Secrets only by reference, never as values.
            for e in c["env"].as_array().into_iter().flatten() {
                let var = e["name"].as_str().unwrap();
                if var.contains("TOKEN") {
                    assert!(e.get("value").is_none(), "{name}: {var} is a plain value");
                    assert!(e["valueFrom"]["secretKeyRef"].is_object(), "{name}: {var}");
                }
            }
            if doc["kind"] == "Deployment" {
                for p in ["startupProbe", "readinessProbe", "livenessProbe"] {
                    assert_eq!(c[p]["grpc"]["port"], 50050, "{name}: {p}");
                }
            }
        }
        if doc["kind"] == "Job" {
            assert!(doc["spec"]["ttlSecondsAfterFinished"].as_u64().unwrap() > 0);
            assert!(doc["spec"]["activeDeadlineSeconds"].as_u64().unwrap() > 0);
        }
    }
    assert_eq!(
        pods_seen,
        1 + 57 + 1 + 2,
        "chair, delegations, session, shards, merge"
    );
    let shards = docs
        .iter()
        .find(|d| d["metadata"]["name"] == "t1-shards")
        .unwrap();
    assert_eq!(shards["spec"]["completionMode"], "Indexed");
    assert_eq!(shards["spec"]["completions"], 3);
    let args = shards["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(args.contains("\"$(JOB_COMPLETION_INDEX)/3\""), "{args}");
    assert!(
        args.contains("\"/results/shard-$(JOB_COMPLETION_INDEX)\""),
        "{args}"
    );
    let merge = docs
        .iter()
        .find(|d| d["metadata"]["name"] == "t1-merge")
        .unwrap();
    let args = merge["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(
        args.contains("\"/results/shard-2\",\"--out\",\"/results/merged\""),
        "{args}"
    );

    // Multi-line text survives the YAML writer exactly (PyYAML read it back).
    let cm = docs
        .iter()
        .find(|d| d["metadata"]["name"] == "t1-tournament")
        .unwrap();
    assert_eq!(
        cm["data"]["tournament.toml"],
        plenary_tournament::config::DEFAULT_CONFIG
    );

    // The Secret is the only document with tokens, in a private file.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&lab.join("secrets")), 0o700);
    assert_eq!(mode(&lab.join("secrets/secret.yaml")), 0o600);
    let secret = docs.iter().find(|d| d["kind"] == "Secret").unwrap();
    let token = secret["stringData"]["d-rus"].as_str().unwrap();
    let mut text = String::new();
    std::fs::File::open(lab.join("lab.yaml"))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(!text.contains(token), "a token leaked into lab.yaml");
    assert!(
        secret["stringData"]["tokens.toml"]
            .as_str()
            .unwrap()
            .contains(&format!("RUS = \"{token}\""))
    );
}
