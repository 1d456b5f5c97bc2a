//! `plenary deploy`: writes a containerized lab for a scenario: a Compose project or
//! Kubernetes manifests with one chair, one delegation container per State (each
//! registering itself with its own token) and a one-shot runner that plays the match
//! with `plenary session`. The image is built locally by `deploy/image/build.sh`.
//!
//! Manifests are written as JSON, which both Compose and `kubectl` read as YAML: the
//! generator then cannot produce a file that does not parse.

use crate::common::{self, MatchArgs};
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Port every delegation container listens on.
const DELEGATION_PORT: u16 = 50051;
/// Port of the chair.
const CHAIR_PORT: u16 = 50050;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// A Compose project (`compose.json`, run with `docker-compose -f compose.json up`).
    Compose,
    /// Kubernetes manifests (`kubernetes.json`, apply with `kubectl apply -f`).
    Kubernetes,
}

/// Flags of `plenary deploy`.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Compose or Kubernetes.
    #[arg(long, value_enum, default_value = "compose")]
    pub target: Target,
    /// Directory to write into (created if missing).
    #[arg(long, default_value = "plenary-deploy")]
    pub out: PathBuf,
    /// Container image to run.
    #[arg(long, default_value = "plenary:local")]
    pub image: String,
    /// Deadline of every call to a delegation, in milliseconds (1 to 3600000).
    #[arg(long, default_value_t = 10_000, value_parser = crate::remote::timeout_ms())]
    pub timeout_ms: u64,
    /// What to run (scenario, design, seed, strategies as in `plenary run`; scenario
    /// and design files are copied next to the manifests and mounted at /config).
    #[command(flatten)]
    pub run: MatchArgs,
}

/// Container-safe name of a State's delegation service (`d-rus`): a DNS label
/// (lowercase letters, digits and `-`, at most 63 characters, no `-` at either end).
fn service_name(state: &str) -> Result<String> {
    let s: String = state
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = format!("d-{}", s.trim_end_matches('-'));
    if !s.chars().any(|c| c.is_ascii_alphanumeric()) {
        bail!("State `{state}` has no letter or digit to name its delegation service after");
    }
    if name.len() > 63 {
        bail!(
            "State `{state}` makes a service name of {} characters (`{name}`); at most 63 fit a DNS label",
            name.len()
        );
    }
    Ok(name)
}

/// The service name of every State, refusing two States that would get the same one
/// (`S_1` and `S-1`, `RUS` and `rus`): they would share one container's address.
fn service_names<'a>(states: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut names = Vec::new();
    for state in states {
        let name = service_name(state)?;
        if let Some(other) = seen.insert(name.clone(), state) {
            bail!(
                "States `{other}` and `{state}` would both be deployed as service `{name}`; rename one of them"
            );
        }
        names.push(name);
    }
    Ok(names)
}

/// A scenario or design given as a file is copied into the deployment's `config/`
/// (mounted at /config) and referred to by its path inside the containers; a preset id
/// is passed as it is.
fn in_container(spec: &str, out: &std::path::Path, name: &str) -> Result<String> {
    let path = std::path::Path::new(spec);
    if path.is_file() {
        let target = out.join("config").join(name);
        std::fs::copy(path, &target)
            .with_context(|| format!("copying {} to {}", path.display(), target.display()))?;
        Ok(format!("/config/{name}"))
    } else {
        Ok(spec.to_string())
    }
}

/// The runner's `plenary session` arguments (`json`: where it writes the results).
fn session_args(
    run: &MatchArgs,
    scenario: &str,
    design: Option<&str>,
    timeout_ms: u64,
    chair_url: &str,
    json: Option<&str>,
) -> Vec<String> {
    let mut a = vec![
        "session".to_string(),
        "--chair".into(),
        chair_url.into(),
        "--scenario".into(),
        scenario.into(),
        "--seed".into(),
        run.seed.to_string(),
        "--timeout-ms".into(),
        timeout_ms.to_string(),
    ];
    if let Some(j) = json {
        a.extend(["--json".into(), j.to_string()]);
    }
    if let Some(d) = design {
        a.extend(["--design".into(), d.to_string()]);
    }
    if let Some(s) = &run.strategies {
        a.extend(["--strategies".into(), s.clone()]);
    }
    if run.brief {
        a.push("--brief".into());
    }
    a
}

/// Builds the Compose project (pure: tests call it directly). Scenario and design
/// files are in `./config` (mounted at /config for the chair and the runner), the
/// tokens in `./secrets` (mounted into the chair only).
pub fn compose(
    states: &[(String, String, String)],
    image: &str,
    session: Vec<String>,
    timeout_ms: u64,
) -> Result<Value> {
    let chair_url = format!("http://chair:{CHAIR_PORT}");
    let mut services = serde_json::Map::new();
    services.insert(
        "chair".into(),
        json!({
            "image": image,
            "command": ["chair", "--listen", format!("0.0.0.0:{CHAIR_PORT}"),
                        "--tokens", "/secrets/tokens.toml", "--timeout-ms", timeout_ms.to_string()],
            "volumes": ["./config:/config:ro", "./secrets:/secrets:ro"],
            "ports": [format!("127.0.0.1::{CHAIR_PORT}")],
        }),
    );
    let names = service_names(states.iter().map(|(s, _, _)| s.as_str()))?;
    for ((state, strategy, token), name) in states.iter().zip(names) {
        services.insert(
            name.clone(),
            json!({
                "image": image,
                "command": ["delegate", "--state", state, "--strategy", strategy,
                            "--listen", format!("0.0.0.0:{DELEGATION_PORT}"),
                            "--register", chair_url,
                            "--advertise", format!("http://{name}:{DELEGATION_PORT}")],
                "environment": { "PLENARY_TOKEN": token },
                "depends_on": ["chair"],
                "restart": "on-failure",
            }),
        );
    }
    services.insert(
        "runner".into(),
        json!({
            "image": image,
            "command": session,
            "volumes": ["./config:/config:ro", "./out:/out"],
            // Writes results into the bind-mounted ./out, owned by the host user.
            "user": "0:0",
            "depends_on": ["chair"],
        }),
    );
    Ok(json!({ "version": "3.7", "services": services }))
}

/// Builds the Kubernetes manifests as one `List` (pure: tests call it directly). The
/// tokens Secret is mounted into the chair only; the runner prints its report to its
/// log (`kubectl logs job/plenary-session`).
pub fn kubernetes(
    states: &[(String, String, String)],
    image: &str,
    session: Vec<String>,
    timeout_ms: u64,
    tokens_toml: &str,
) -> Result<Value> {
    let labels = |app: &str| json!({ "app.kubernetes.io/part-of": "plenary", "app": app });
    let service = |name: &str, port: u16| {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": name, "labels": labels(name) },
            "spec": { "selector": { "app": name }, "ports": [{ "port": port, "targetPort": port, "name": "grpc" }] }
        })
    };
    let probe = |port: u16| json!({ "grpc": { "port": port }, "periodSeconds": 2 });
    let deployment =
        |name: &str, args: Vec<String>, env: Value, port: u16, volumes: Value, mounts: Value| {
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": { "name": name, "labels": labels(name) },
                "spec": {
                    "replicas": 1,
                    "selector": { "matchLabels": { "app": name } },
                    "template": {
                        "metadata": { "labels": labels(name) },
                        "spec": {
                            "containers": [{
                                "name": name, "image": image, "imagePullPolicy": "Never",
                                "args": args, "env": env,
                                "ports": [{ "containerPort": port, "name": "grpc" }],
                                "readinessProbe": probe(port),
                                "resources": { "requests": { "cpu": "10m", "memory": "16Mi" } },
                                "volumeMounts": mounts,
                            }],
                            "volumes": volumes,
                        }
                    }
                }
            })
        };
    let tokens_volume = json!([{ "name": "tokens", "secret": { "secretName": "plenary-tokens" } }]);
    let tokens_mount = json!([{ "name": "tokens", "mountPath": "/secrets", "readOnly": true }]);
    let mut items = vec![
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": { "name": "plenary-tokens", "labels": labels("chair") },
            "stringData": { "tokens.toml": tokens_toml },
        }),
        deployment(
            "chair",
            vec![
                "chair".into(),
                "--listen".into(),
                format!("0.0.0.0:{CHAIR_PORT}"),
                "--tokens".into(),
                "/secrets/tokens.toml".into(),
                "--timeout-ms".into(),
                timeout_ms.to_string(),
            ],
            json!([]),
            CHAIR_PORT,
            tokens_volume,
            tokens_mount,
        ),
        service("chair", CHAIR_PORT),
    ];
    let names = service_names(states.iter().map(|(s, _, _)| s.as_str()))?;
    for ((state, strategy, token), name) in states.iter().zip(names) {
        items.push(deployment(
            &name,
            vec![
                "delegate".into(),
                "--state".into(),
                state.clone(),
                "--strategy".into(),
                strategy.clone(),
                "--listen".into(),
                format!("0.0.0.0:{DELEGATION_PORT}"),
                "--register".into(),
                format!("http://chair:{CHAIR_PORT}"),
                "--advertise".into(),
                format!("http://{name}:{DELEGATION_PORT}"),
            ],
            json!([{ "name": "PLENARY_TOKEN", "value": token }]),
            DELEGATION_PORT,
            json!([]),
            json!([]),
        ));
        items.push(service(&name, DELEGATION_PORT));
    }
    items.push(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": { "name": "plenary-session", "labels": labels("runner") },
        "spec": {
            "backoffLimit": 2,
            "template": {
                "metadata": { "labels": labels("runner") },
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "runner", "image": image, "imagePullPolicy": "Never",
                        "args": session,
                    }],
                }
            }
        }
    }));
    Ok(json!({ "apiVersion": "v1", "kind": "List", "items": items }))
}

/// `plenary deploy`.
pub fn run(args: &DeployArgs) -> Result<ExitCode> {
    let p = common::prepare(&args.run)?;
    // Fail before writing anything if two States would share a service name.
    service_names(p.scenario.states.iter().map(|s| s.id.as_str()))?;
    for sub in ["out", "config", "secrets"] {
        std::fs::create_dir_all(args.out.join(sub))
            .with_context(|| format!("creating {}", args.out.join(sub).display()))?;
    }
    if args.target == Target::Kubernetes
        && (std::path::Path::new(&args.run.scenario).is_file()
            || args
                .run
                .design
                .as_deref()
                .is_some_and(|d| std::path::Path::new(d).is_file()))
    {
        bail!(
            "--target kubernetes takes preset scenarios and designs only (mount your files into the image's /config yourself)"
        );
    }
    let scenario = in_container(&args.run.scenario, &args.out, "scenario.toml")?;
    let design = match &args.run.design {
        Some(d) => Some(in_container(d, &args.out, "design.toml")?),
        None => None,
    };
    let tokens: BTreeMap<String, String> = p
        .scenario
        .states
        .iter()
        .map(|s| (s.id.clone(), plenary_lab::lab::random_token()))
        .collect();
    let tokens_toml = plenary_lab::lab::render_tokens(&tokens);
    let states: Vec<(String, String, String)> = p
        .scenario
        .states
        .iter()
        .zip(&p.strategies)
        .map(|(s, strategy)| (s.id.clone(), strategy.clone(), tokens[&s.id].clone()))
        .collect();
    let chair_url = format!("http://chair:{CHAIR_PORT}");
    // Compose bind-mounts ./out for the results file; a Kubernetes Job's files are
    // lost with its pod, so there the runner prints the report only (to its log).
    let json = (args.target == Target::Compose).then_some("/out/results.json");
    let session = session_args(
        &args.run,
        &scenario,
        design.as_deref(),
        args.timeout_ms,
        &chair_url,
        json,
    );
    let (file, doc, how) = match args.target {
        Target::Compose => {
            std::fs::write(args.out.join("secrets/tokens.toml"), &tokens_toml)
                .context("writing secrets/tokens.toml")?;
            (
                "compose.json",
                compose(&states, &args.image, session, args.timeout_ms)?,
                format!(
                    "deploy/image/build.sh\ncd {} && docker-compose -f compose.json up --abort-on-container-exit --exit-code-from runner\n# results: {}/out/results.json",
                    args.out.display(),
                    args.out.display()
                ),
            )
        }
        Target::Kubernetes => (
            "kubernetes.json",
            kubernetes(&states, &args.image, session, args.timeout_ms, &tokens_toml)?,
            format!(
                "deploy/image/build.sh   # then load plenary:local into your cluster's nodes\nkubectl apply -f {}/kubernetes.json && kubectl logs -f job/plenary-session   # the report",
                args.out.display()
            ),
        ),
    };
    let path = args.out.join(file);
    std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "wrote {} ({} States of {}, chair, runner)\nrun it with:\n{how}",
        path.display(),
        states.len(),
        p.scenario.id
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states() -> Vec<(String, String, String)> {
        vec![
            ("RUS".into(), "hardliner".into(), "t1".into()),
            ("USA".into(), "boulware".into(), "t2".into()),
        ]
    }

    #[test]
    fn compose_has_a_chair_a_runner_and_one_registering_delegation_per_state() {
        let c = compose(&states(), "plenary:local", vec!["session".into()], 500).unwrap();
        let s = c["services"].as_object().unwrap();
        assert_eq!(s.len(), 4);
        let rus = &s["d-rus"];
        let cmd: Vec<&str> = rus["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            cmd.windows(2)
                .any(|w| w == ["--advertise", "http://d-rus:50051"])
        );
        assert!(
            cmd.windows(2)
                .any(|w| w == ["--register", "http://chair:50050"])
        );
        assert_eq!(rus["environment"]["PLENARY_TOKEN"], "t1");
        assert!(!cmd.contains(&"t1"), "tokens stay out of the command line");
    }

    #[test]
    fn kubernetes_lists_a_deployment_and_service_per_state_and_a_job() {
        let k = kubernetes(
            &states(),
            "plenary:local",
            vec!["session".into()],
            500,
            "[tokens]\n",
        )
        .unwrap();
        let kinds: Vec<&str> = k["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "Deployment").count(), 3);
        assert_eq!(kinds.iter().filter(|k| **k == "Service").count(), 3);
        assert_eq!(kinds.iter().filter(|k| **k == "Job").count(), 1);
        assert_eq!(kinds.iter().filter(|k| **k == "Secret").count(), 1);
    }

    #[test]
    fn service_names_are_dns_labels() {
        assert_eq!(service_name("RUS").unwrap(), "d-rus");
        assert_eq!(service_name("S_001").unwrap(), "d-s-001");
        assert_eq!(service_name("X_").unwrap(), "d-x", "no trailing `-`");
        assert!(service_name("__").is_err());
        assert_eq!(service_name(&"A".repeat(61)).unwrap().len(), 63);
        let e = service_name(&"A".repeat(62)).unwrap_err().to_string();
        assert!(e.contains("63"), "{e}");
    }

    #[test]
    fn two_states_with_one_service_name_are_refused_by_name() {
        for (a, b) in [("S_1", "S-1"), ("RUS", "rus"), ("X", "X_")] {
            let e = service_names([a, b, "USA"]).unwrap_err().to_string();
            assert!(
                e.contains(&format!("`{a}`")) && e.contains(&format!("`{b}`")),
                "{e}"
            );
            let states = vec![
                (a.to_string(), "hardliner".to_string(), "t1".to_string()),
                (b.to_string(), "hardliner".to_string(), "t2".to_string()),
            ];
            assert!(compose(&states, "i", vec![], 500).is_err());
            assert!(kubernetes(&states, "i", vec![], 500, "").is_err());
        }
        assert_eq!(service_names(["RUS", "USA"]).unwrap(), ["d-rus", "d-usa"]);
    }

    #[test]
    fn only_the_chair_sees_the_tokens() {
        let c = compose(&states(), "plenary:local", vec!["session".into()], 500).unwrap();
        let s = c["services"].as_object().unwrap();
        let volumes = |svc: &str| s[svc]["volumes"].to_string();
        assert!(volumes("chair").contains("./secrets:/secrets:ro"));
        assert!(volumes("chair").contains("./config:/config:ro"));
        assert!(
            !volumes("runner").contains("secrets"),
            "{}",
            volumes("runner")
        );
        assert!(
            !volumes("runner").contains("\"./:"),
            "{}",
            volumes("runner")
        );
        assert!(s["d-rus"].get("volumes").is_none());

        let k = kubernetes(&states(), "plenary:local", vec!["session".into()], 500, "x").unwrap();
        for item in k["items"].as_array().unwrap() {
            let text = item.to_string();
            let name = item["metadata"]["name"].as_str().unwrap();
            let mounts_secret = text.contains("\"secretName\"");
            let chair = name == "chair" && item["kind"] == "Deployment";
            assert_eq!(mounts_secret, chair, "{name}: {text}");
        }
    }

    #[test]
    fn the_kubernetes_runner_prints_its_report_only() {
        let run = MatchArgs {
            scenario: "csce-1975".into(),
            design: None,
            seed: 1,
            strategies: None,
            json: None,
            brief: false,
        };
        let with = session_args(&run, "csce-1975", None, 500, "http://chair:50050", None);
        assert!(!with.contains(&"--json".to_string()), "{with:?}");
        let with = session_args(
            &run,
            "csce-1975",
            None,
            500,
            "http://chair:50050",
            Some("/out/results.json"),
        );
        assert!(
            with.windows(2)
                .any(|w| w == ["--json", "/out/results.json"])
        );
    }
}
