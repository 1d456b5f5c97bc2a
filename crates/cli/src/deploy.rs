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
    /// Deadline of every call to a delegation, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// What to run (scenario, design, seed, strategies as in `plenary run`; scenario
    /// and design files are copied next to the manifests and mounted at /config).
    #[command(flatten)]
    pub run: MatchArgs,
}

/// Container-safe name of a State's delegation service (`d-rus`).
fn service_name(state: &str) -> String {
    let s: String = state
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("d-{s}")
}

/// A scenario or design given as a file is copied into the deployment and referred to
/// by its path inside the containers; a preset id is passed as it is.
fn in_container(spec: &str, out: &std::path::Path, name: &str) -> Result<String> {
    let path = std::path::Path::new(spec);
    if path.is_file() {
        let target = out.join(name);
        std::fs::copy(path, &target)
            .with_context(|| format!("copying {} to {}", path.display(), target.display()))?;
        Ok(format!("/config/{name}"))
    } else {
        Ok(spec.to_string())
    }
}

/// The runner's `plenary session` arguments.
fn session_args(
    run: &MatchArgs,
    scenario: &str,
    design: Option<&str>,
    timeout_ms: u64,
    chair_url: &str,
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
        "--json".into(),
        "/out/results.json".into(),
    ];
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

/// Builds the Compose project (pure: tests call it directly).
pub fn compose(
    states: &[(String, String, String)],
    image: &str,
    session: Vec<String>,
    timeout_ms: u64,
) -> Value {
    let chair_url = format!("http://chair:{CHAIR_PORT}");
    let mut services = serde_json::Map::new();
    services.insert(
        "chair".into(),
        json!({
            "image": image,
            "command": ["chair", "--listen", format!("0.0.0.0:{CHAIR_PORT}"),
                        "--tokens", "/config/tokens.toml", "--timeout-ms", timeout_ms.to_string()],
            "volumes": ["./:/config:ro"],
            "ports": [format!("127.0.0.1::{CHAIR_PORT}")],
        }),
    );
    for (state, strategy, token) in states {
        let name = service_name(state);
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
            "volumes": ["./:/config:ro", "./out:/out"],
            // Writes results into the bind-mounted ./out, owned by the host user.
            "user": "0:0",
            "depends_on": ["chair"],
        }),
    );
    json!({ "version": "3.7", "services": services })
}

/// Builds the Kubernetes manifests as one `List` (pure: tests call it directly).
pub fn kubernetes(
    states: &[(String, String, String)],
    image: &str,
    session: Vec<String>,
    timeout_ms: u64,
    tokens_toml: &str,
) -> Value {
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
    let config_volume = json!([{ "name": "config", "secret": { "secretName": "plenary-tokens" } }]);
    let config_mount = json!([{ "name": "config", "mountPath": "/config", "readOnly": true }]);
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
                "/config/tokens.toml".into(),
                "--timeout-ms".into(),
                timeout_ms.to_string(),
            ],
            json!([]),
            CHAIR_PORT,
            config_volume.clone(),
            config_mount.clone(),
        ),
        service("chair", CHAIR_PORT),
    ];
    for (state, strategy, token) in states {
        let name = service_name(state);
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
                        "volumeMounts": [{ "name": "config", "mountPath": "/config", "readOnly": true },
                                         { "name": "out", "mountPath": "/out" }],
                    }],
                    "volumes": [{ "name": "config", "secret": { "secretName": "plenary-tokens" } },
                                { "name": "out", "emptyDir": {} }],
                }
            }
        }
    }));
    json!({ "apiVersion": "v1", "kind": "List", "items": items })
}

/// `plenary deploy`.
pub fn run(args: &DeployArgs) -> Result<ExitCode> {
    let p = common::prepare(&args.run)?;
    std::fs::create_dir_all(args.out.join("out"))
        .with_context(|| format!("creating {}", args.out.display()))?;
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
        .map(|s| (s.id.clone(), crate::remote::random_token()))
        .collect();
    let tokens_toml = crate::remote::render_tokens(&tokens);
    let states: Vec<(String, String, String)> = p
        .scenario
        .states
        .iter()
        .zip(&p.strategies)
        .map(|(s, strategy)| (s.id.clone(), strategy.clone(), tokens[&s.id].clone()))
        .collect();
    let chair_url = format!("http://chair:{CHAIR_PORT}");
    let session = session_args(
        &args.run,
        &scenario,
        design.as_deref(),
        args.timeout_ms,
        &chair_url,
    );
    let (file, doc, how) = match args.target {
        Target::Compose => {
            std::fs::write(args.out.join("tokens.toml"), &tokens_toml)
                .context("writing tokens.toml")?;
            (
                "compose.json",
                compose(&states, &args.image, session, args.timeout_ms),
                format!(
                    "deploy/image/build.sh\ncd {} && docker-compose -f compose.json up --abort-on-container-exit --exit-code-from runner\n# results: {}/out/results.json",
                    args.out.display(),
                    args.out.display()
                ),
            )
        }
        Target::Kubernetes => (
            "kubernetes.json",
            kubernetes(&states, &args.image, session, args.timeout_ms, &tokens_toml),
            format!(
                "deploy/image/build.sh   # then load plenary:local into your cluster's nodes\nkubectl apply -f {}/kubernetes.json && kubectl logs -f job/plenary-session",
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
        let c = compose(&states(), "plenary:local", vec!["session".into()], 500);
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
        );
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
    fn service_names_are_dns_safe() {
        assert_eq!(service_name("RUS"), "d-rus");
        assert_eq!(service_name("S_001"), "d-s-001");
    }
}
