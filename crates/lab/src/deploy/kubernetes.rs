//! Kubernetes manifests: a lab playing one match, and a tournament as Jobs.
//!
//! Every name starts with the lab name and every object carries
//! `app.kubernetes.io/instance: NAME`, so several labs share a namespace. Every pod
//! meets the `restricted` Pod Security profile (non-root user, read-only root
//! filesystem, no privilege escalation, every capability dropped, the runtime's default
//! seccomp profile), has requests and limits, no service-account token and no service
//! links (57 Services would put hundreds of variables in every environment). Servers
//! have gRPC startup, readiness and liveness probes on the standard health service.
//! Tokens reach containers through `secretKeyRef` only.
//!
//! A lab: a NetworkPolicy (lab pods accept connections from lab pods only), the chair
//! (a Deployment that is recreated, never doubled, with its journal on a volume), a
//! Deployment and Service per State, and a Job that plays the match and writes its
//! results to the `NAME-results` volume. A tournament: an Indexed Job whose pod `I` runs
//! `plenary tournament --shard I/N` into `/results/shard-I`, then (applied once it
//! completed) a Job running `plenary merge` into `/results/merged`.

use super::{
    CONTAINER_UID, DeployError, OPERATOR_TOKEN_ENV, PORT, STATE_DIR, STATE_DIR_ENV, Seat,
    TOKENS_TOML_ENV, Tournament,
};
use crate::lab::render_tokens;
use plenary_scenarios::MatchPlan;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How long a finished Job (and its pods' logs) is kept: a day.
pub const JOB_TTL_SECS: u64 = 86_400;

/// Retries of the session Job (a match is deterministic, so a retry replays it).
pub const SESSION_RETRIES: u32 = 2;

/// A lab to describe.
#[derive(Debug, Clone)]
pub struct SessionLab<'a> {
    /// Lab name (prefix of every name).
    pub name: &'a str,
    /// Image.
    pub image: &'a str,
    /// One delegation per seat.
    pub seats: &'a [Seat],
    /// The runner's `plenary session` arguments.
    pub runner: Vec<String>,
    /// Deadline of every question, in milliseconds.
    pub timeout_ms: u64,
    /// The session Job's deadline, in seconds.
    pub deadline_secs: u64,
    /// Files mounted at `/config` (scenario and design the user gave as files).
    pub config: &'a [(String, String)],
}

/// The documents of a tournament.
#[derive(Debug, Clone)]
pub struct TournamentDocs {
    /// ConfigMap, results volume and the Indexed Job of shards.
    pub shards: Vec<Value>,
    /// The merge Job (applied once the shards completed).
    pub merge: Vec<Value>,
}

/// How long the session Job waits for the chair and every State to register (`plenary
/// session --wait-secs`): pods of a big lab may take minutes to be scheduled.
pub const REGISTRATION_WAIT_SECS: u64 = 600;

/// The session Job's deadline: every try may take the longest the match can take
/// ([`crate::client::match_limit`]) plus the wait for registrations.
pub fn session_deadline(plan: &MatchPlan, timeout_ms: u64) -> u64 {
    let one = crate::client::match_limit(plan, timeout_ms).as_secs() + REGISTRATION_WAIT_SECS;
    one.saturating_mul(u64::from(SESSION_RETRIES) + 1)
}

/// Checks a Kubernetes quantity of bytes (`64Mi`, `1Gi`, `500M`).
pub fn check_quantity(q: &str) -> Result<(), DeployError> {
    let digits = q.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &q[digits.len()..];
    let ok = !digits.is_empty()
        && digits.len() <= 12
        && digits.chars().all(|c| c.is_ascii_digit())
        && ["", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti"].contains(&unit);
    if ok {
        Ok(())
    } else {
        Err(DeployError::Invalid(format!(
            "`{q}` is not a size such as 512Mi or 2Gi"
        )))
    }
}

/// Checks that every name of a lab is a DNS label (`NAME-d-rus` at most 63 characters).
pub fn check_names(name: &str, seats: &[Seat]) -> Result<(), DeployError> {
    for seat in seats {
        let full = format!("{name}-{}", seat.service);
        if full.len() > 63 {
            return Err(DeployError::Invalid(format!(
                "State `{}` in lab `{name}` makes the name `{full}` ({} characters); at most 63 fit a DNS label: choose a shorter --name",
                seat.state,
                full.len()
            )));
        }
    }
    Ok(())
}

fn labels(name: &str, component: &str, service: Option<&str>) -> Value {
    let mut l = json!({
        "app.kubernetes.io/name": "plenary",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "plenary",
        "app.kubernetes.io/managed-by": "plenary-deploy",
    });
    if let Some(s) = service {
        l["plenary/service"] = json!(s);
    }
    l
}

fn selector(name: &str, service: &str) -> Value {
    json!({ "app.kubernetes.io/instance": name, "plenary/service": service })
}

/// Names and labels of one lab.
struct Names<'a> {
    lab: &'a str,
}

impl Names<'_> {
    fn of(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.lab)
    }

    fn meta(&self, suffix: &str, component: &str, service: Option<&str>) -> Value {
        json!({ "name": self.of(suffix), "labels": labels(self.lab, component, service) })
    }
}

/// The pod-level security context of the `restricted` profile.
fn pod_security() -> Value {
    json!({
        "runAsNonRoot": true,
        "runAsUser": CONTAINER_UID,
        "runAsGroup": CONTAINER_UID,
        // Volumes (results, journal) become writable by the containers' group.
        "fsGroup": CONTAINER_UID,
        "seccompProfile": { "type": "RuntimeDefault" },
    })
}

/// The container-level security context of the `restricted` profile.
fn container_security() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "runAsNonRoot": true,
        "capabilities": { "drop": ["ALL"] },
    })
}

fn resources(req_cpu: &str, req_mem: &str, cpu: &str, mem: &str) -> Value {
    json!({
        "requests": { "cpu": req_cpu, "memory": req_mem },
        "limits": { "cpu": cpu, "memory": mem },
    })
}

/// Startup (up to two minutes), readiness and liveness probes on `service`'s health.
/// Liveness is patient (a minute of silence): on a loaded node a slow answer must not
/// restart a server mid-match.
fn probes(container: &mut Value, service: &str) {
    let grpc = json!({ "port": PORT, "service": service });
    container["startupProbe"] = json!({
        "grpc": grpc, "periodSeconds": 2, "timeoutSeconds": 3, "failureThreshold": 60,
    });
    container["readinessProbe"] = json!({
        "grpc": grpc, "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 2,
    });
    container["livenessProbe"] = json!({
        "grpc": grpc, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6,
    });
}

fn secret_env(env: &str, secret: &str, key: &str) -> Value {
    json!({ "name": env, "valueFrom": { "secretKeyRef": { "name": secret, "key": key } } })
}

/// A pod template: hardened, with `containers` and `volumes`.
fn pod_template(
    meta_labels: Value,
    restart: Option<&str>,
    container: Value,
    volumes: Value,
) -> Value {
    let mut spec = json!({
        "automountServiceAccountToken": false,
        "enableServiceLinks": false,
        "securityContext": pod_security(),
        "terminationGracePeriodSeconds": 10,
        "containers": [container],
        "volumes": volumes,
    });
    if let Some(r) = restart {
        spec["restartPolicy"] = json!(r);
    }
    json!({ "metadata": { "labels": meta_labels }, "spec": spec })
}

fn container(name: &str, image: &str, args: Vec<String>) -> Value {
    json!({
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "securityContext": container_security(),
    })
}

fn pvc(names: &Names<'_>, suffix: &str, component: &str, size: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": names.meta(suffix, component, None),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": { "requests": { "storage": size } },
        },
    })
}

fn service(names: &Names<'_>, suffix: &str, component: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": names.meta(suffix, component, Some(suffix)),
        "spec": {
            "selector": selector(names.lab, suffix),
            "ports": [{ "name": "grpc", "port": PORT, "targetPort": PORT, "appProtocol": "grpc" }],
        },
    })
}

/// The Secret with the lab's tokens: the chair's `tokens.toml`, the operator token and
/// one key per State (its service name), each container reading only its own key.
pub fn tokens_secret(
    name: &str,
    seats: &[Seat],
    tokens: &BTreeMap<String, String>,
    operator: &str,
) -> Value {
    let names = Names { lab: name };
    let mut data = serde_json::Map::new();
    data.insert("tokens.toml".into(), json!(render_tokens(tokens)));
    data.insert("operator".into(), json!(operator));
    for seat in seats {
        data.insert(seat.service.clone(), json!(tokens[&seat.state]));
    }
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": names.meta("tokens", "secrets", None),
        "type": "Opaque",
        "stringData": data,
    })
}

/// `kustomization.yaml` listing `resources`.
pub fn kustomization(resources: &[&str]) -> Value {
    json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    })
}

/// The documents of a lab (everything but the Secret, see [`tokens_secret`]).
pub fn session_manifests(lab: &SessionLab<'_>) -> Vec<Value> {
    let names = Names { lab: lab.name };
    let tokens = names.of("tokens");
    let chair_url = format!("http://{}:{PORT}", names.of("chair"));
    let mut docs = vec![json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": names.meta("lab", "network", None),
        "spec": {
            "podSelector": { "matchLabels": { "app.kubernetes.io/instance": lab.name } },
            "policyTypes": ["Ingress"],
            "ingress": [{ "from": [{ "podSelector": { "matchLabels": { "app.kubernetes.io/instance": lab.name } } }] }],
        },
    })];
    if !lab.config.is_empty() {
        let data: serde_json::Map<String, Value> = lab
            .config
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        docs.push(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": names.meta("config", "config", None),
            "data": data,
        }));
    }
    docs.push(pvc(&names, "chair-state", "chair", "256Mi"));
    docs.push(pvc(&names, "results", "session", "64Mi"));

    // The chair.
    let mut chair = container(
        "chair",
        lab.image,
        vec![
            "chair".into(),
            "--listen".into(),
            format!("0.0.0.0:{PORT}"),
            "--timeout-ms".into(),
            lab.timeout_ms.to_string(),
        ],
    );
    chair["env"] = json!([
        secret_env(TOKENS_TOML_ENV, &tokens, "tokens.toml"),
        secret_env(OPERATOR_TOKEN_ENV, &tokens, "operator"),
        { "name": STATE_DIR_ENV, "value": STATE_DIR },
    ]);
    chair["ports"] = json!([{ "name": "grpc", "containerPort": PORT }]);
    chair["resources"] = resources("100m", "64Mi", "1", "256Mi");
    chair["volumeMounts"] = json!([{ "name": "state", "mountPath": STATE_DIR }]);
    probes(&mut chair, plenary_proto::SECRETARIAT_SERVICE);
    docs.push(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": names.meta("chair", "chair", Some("chair")),
        "spec": {
            "replicas": 1,
            // One chair at a time: its journal volume is ReadWriteOnce.
            "strategy": { "type": "Recreate" },
            "selector": { "matchLabels": selector(lab.name, "chair") },
            "template": pod_template(
                labels(lab.name, "chair", Some("chair")),
                None,
                chair,
                json!([{ "name": "state", "persistentVolumeClaim": { "claimName": names.of("chair-state") } }]),
            ),
        },
    }));
    docs.push(service(&names, "chair", "chair"));

    // One delegation per State.
    for seat in lab.seats {
        let mut d = container(
            "delegation",
            lab.image,
            vec![
                "delegate".into(),
                "--state".into(),
                seat.state.clone(),
                "--strategy".into(),
                seat.strategy.clone(),
                "--listen".into(),
                format!("0.0.0.0:{PORT}"),
                "--register".into(),
                chair_url.clone(),
                "--advertise".into(),
                format!("http://{}:{PORT}", names.of(&seat.service)),
            ],
        );
        d["env"] = json!([secret_env(crate::lab::TOKEN_ENV, &tokens, &seat.service)]);
        d["ports"] = json!([{ "name": "grpc", "containerPort": PORT }]);
        d["resources"] = resources("10m", "16Mi", "500m", "64Mi");
        probes(&mut d, plenary_proto::DELEGATION_SERVICE);
        let mut meta = names.meta(&seat.service, "delegation", Some(&seat.service));
        meta["annotations"] = json!({ "plenary/state": seat.state });
        docs.push(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "replicas": 1,
                "selector": { "matchLabels": selector(lab.name, &seat.service) },
                "template": pod_template(
                    labels(lab.name, "delegation", Some(&seat.service)),
                    None,
                    d,
                    json!([]),
                ),
            },
        }));
        docs.push(service(&names, &seat.service, "delegation"));
    }

    // The runner.
    let mut runner = container("runner", lab.image, lab.runner.clone());
    runner["env"] = json!([secret_env(OPERATOR_TOKEN_ENV, &tokens, "operator")]);
    runner["resources"] = resources("50m", "32Mi", "500m", "128Mi");
    let mut mounts = vec![json!({ "name": "results", "mountPath": "/results" })];
    let mut volumes = vec![
        json!({ "name": "results", "persistentVolumeClaim": { "claimName": names.of("results") } }),
    ];
    if !lab.config.is_empty() {
        mounts.push(json!({ "name": "config", "mountPath": "/config", "readOnly": true }));
        volumes.push(json!({ "name": "config", "configMap": { "name": names.of("config") } }));
    }
    runner["volumeMounts"] = json!(mounts);
    docs.push(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": names.meta("session", "session", Some("session")),
        "spec": {
            "backoffLimit": SESSION_RETRIES,
            "activeDeadlineSeconds": lab.deadline_secs,
            "ttlSecondsAfterFinished": JOB_TTL_SECS,
            // Exit 3 is a match that completed with violations (its results are written)
            // and 2 a usage error: replaying would change nothing.
            "podFailurePolicy": { "rules": [{
                "action": "FailJob",
                "onExitCodes": { "containerName": "runner", "operator": "In", "values": [2, 3] },
            }] },
            "template": pod_template(
                labels(lab.name, "session", Some("session")),
                Some("Never"),
                runner,
                json!(volumes),
            ),
        },
    }));
    docs
}

/// The documents of a tournament: ConfigMap, results volume, the Indexed Job of shards,
/// and the merge Job.
pub fn tournament_manifests(name: &str, image: &str, t: &Tournament) -> TournamentDocs {
    let names = Names { lab: name };
    let n = t.shards;
    let config_volume =
        json!({ "name": "config", "configMap": { "name": names.of("tournament") } });
    let results_volume =
        json!({ "name": "results", "persistentVolumeClaim": { "claimName": names.of("results") } });
    let mounts = json!([
        { "name": "config", "mountPath": "/config", "readOnly": true },
        { "name": "results", "mountPath": "/results" },
    ]);
    let cpu = t.threads.to_string();
    let mut shard = container(
        "shard",
        image,
        vec![
            "tournament".into(),
            "--config".into(),
            "/config/tournament.toml".into(),
            "--shard".into(),
            format!("$(JOB_COMPLETION_INDEX)/{n}"),
            "--out".into(),
            "/results/shard-$(JOB_COMPLETION_INDEX)".into(),
            "--threads".into(),
            t.threads.to_string(),
            // A retried shard continues where its pod stopped.
            "--resume".into(),
        ],
    );
    // Kubernetes sets this for Indexed Jobs; declared so `$(...)` above visibly refers
    // to something.
    shard["env"] = json!([{
        "name": "JOB_COMPLETION_INDEX",
        "valueFrom": { "fieldRef": { "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
    }]);
    shard["resources"] = resources(&cpu, "256Mi", &cpu, "1Gi");
    shard["volumeMounts"] = mounts.clone();
    let shards_job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": names.meta("shards", "shard", None),
        "spec": {
            "completionMode": "Indexed",
            "completions": n,
            "parallelism": t.parallelism,
            "backoffLimit": n.saturating_mul(2),
            "activeDeadlineSeconds": t.deadline_secs,
            "ttlSecondsAfterFinished": JOB_TTL_SECS,
            "template": pod_template(
                labels(name, "shard", None),
                Some("Never"),
                shard,
                json!([config_volume, results_volume]),
            ),
        },
    });
    let mut args = vec!["merge".to_string()];
    args.extend((0..n).map(|i| format!("/results/shard-{i}")));
    args.extend(["--out".into(), "/results/merged".into()]);
    let mut merge = container("merge", image, args);
    merge["resources"] = resources("500m", "256Mi", "1", "1Gi");
    merge["volumeMounts"] = mounts;
    let merge_job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": names.meta("merge", "merge", None),
        "spec": {
            "backoffLimit": 2,
            "activeDeadlineSeconds": t.deadline_secs,
            "ttlSecondsAfterFinished": JOB_TTL_SECS,
            "template": pod_template(
                labels(name, "merge", None),
                Some("Never"),
                merge,
                json!([config_volume, results_volume]),
            ),
        },
    });
    TournamentDocs {
        shards: vec![
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": names.meta("tournament", "config", None),
                "data": { "tournament.toml": t.config_text },
            }),
            pvc(&names, "results", "results", &t.results_size),
            shards_job,
        ],
        merge: vec![merge_job],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seats() -> Vec<Seat> {
        ["RUS", "USA"]
            .iter()
            .map(|s| Seat {
                state: s.to_string(),
                strategy: "hardliner".into(),
                service: format!("d-{}", s.to_ascii_lowercase()),
            })
            .collect()
    }

    fn lab_docs(config: &[(String, String)]) -> Vec<Value> {
        let seats = seats();
        session_manifests(&SessionLab {
            name: "lab1",
            image: "plenary:test",
            seats: &seats,
            runner: vec!["session".into()],
            timeout_ms: 500,
            deadline_secs: 900,
            config,
        })
    }

    fn pod_specs(docs: &[Value]) -> Vec<(&str, &Value)> {
        docs.iter()
            .filter(|d| d["kind"] == "Deployment" || d["kind"] == "Job")
            .map(|d| {
                (
                    d["metadata"]["name"].as_str().unwrap(),
                    &d["spec"]["template"]["spec"],
                )
            })
            .collect()
    }

    #[test]
    fn every_pod_meets_the_restricted_profile_with_limits() {
        let t = Tournament {
            config_text: "x".into(),
            origin: "x".into(),
            shards: 2,
            parallelism: 1,
            threads: 2,
            deadline_secs: 60,
            results_size: "1Gi".into(),
        };
        let tour = tournament_manifests("t1", "plenary:test", &t);
        let mut docs = lab_docs(&[]);
        docs.extend(tour.shards);
        docs.extend(tour.merge);
        let pods = pod_specs(&docs);
        assert_eq!(pods.len(), 1 + 2 + 1 + 2);
        for (name, pod) in pods {
            assert_eq!(pod["securityContext"], pod_security(), "{name}");
            assert_eq!(pod["enableServiceLinks"], false, "{name}");
            assert_eq!(pod["automountServiceAccountToken"], false, "{name}");
            let c = &pod["containers"][0];
            assert_eq!(c["securityContext"], container_security(), "{name}");
            assert!(c["resources"]["limits"]["memory"].is_string(), "{name}");
            assert!(c["resources"]["requests"]["cpu"].is_string(), "{name}");
        }
    }

    #[test]
    fn names_and_labels_carry_the_lab_name() {
        for doc in lab_docs(&[]) {
            let name = doc["metadata"]["name"].as_str().unwrap();
            assert!(name.starts_with("lab1-"), "{name}");
            assert_eq!(
                doc["metadata"]["labels"]["app.kubernetes.io/instance"],
                "lab1"
            );
        }
        let docs = lab_docs(&[]);
        let rus = docs
            .iter()
            .find(|d| d["metadata"]["name"] == "lab1-d-rus" && d["kind"] == "Deployment")
            .unwrap();
        let args = rus["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
        assert!(
            args.contains("\"--advertise\",\"http://lab1-d-rus:50050\""),
            "{args}"
        );
        assert!(
            args.contains("\"--register\",\"http://lab1-chair:50050\""),
            "{args}"
        );
        let e = check_names(
            &"x".repeat(20),
            &[Seat {
                state: "S".repeat(50),
                strategy: "hardliner".into(),
                service: format!("d-{}", "s".repeat(50)),
            }],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("shorter --name"), "{e}");
    }

    #[test]
    fn servers_have_grpc_probes_and_tokens_come_by_reference() {
        let docs = lab_docs(&[]);
        for d in docs.iter().filter(|d| d["kind"] == "Deployment") {
            let c = &d["spec"]["template"]["spec"]["containers"][0];
            for p in ["startupProbe", "readinessProbe", "livenessProbe"] {
                assert_eq!(c[p]["grpc"]["port"], PORT, "{p}");
            }
            for e in c["env"].as_array().unwrap() {
                if e["name"].as_str().unwrap().contains("TOKEN") {
                    assert!(
                        e["valueFrom"]["secretKeyRef"]["name"] == "lab1-tokens",
                        "{e}"
                    );
                }
            }
        }
        let chair = docs
            .iter()
            .find(|d| d["metadata"]["name"] == "lab1-chair" && d["kind"] == "Deployment")
            .unwrap();
        assert_eq!(chair["spec"]["strategy"]["type"], "Recreate");
        let env = chair["spec"]["template"]["spec"]["containers"][0]["env"].to_string();
        assert!(
            env.contains(TOKENS_TOML_ENV) && env.contains(STATE_DIR_ENV),
            "{env}"
        );
    }

    #[test]
    fn the_session_job_ends_and_keeps_its_results() {
        let docs = lab_docs(&[("scenario.toml".into(), "[scenario]\n".into())]);
        let job = docs.iter().find(|d| d["kind"] == "Job").unwrap();
        assert_eq!(job["metadata"]["name"], "lab1-session");
        assert_eq!(job["spec"]["ttlSecondsAfterFinished"], JOB_TTL_SECS);
        assert_eq!(job["spec"]["activeDeadlineSeconds"], 900);
        let pod = &job["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        let volumes = pod["volumes"].to_string();
        assert!(
            volumes.contains("lab1-results") && volumes.contains("lab1-config"),
            "{volumes}"
        );
        assert!(docs.iter().any(|d| d["kind"] == "ConfigMap"));
        assert!(docs.iter().any(
            |d| d["kind"] == "PersistentVolumeClaim" && d["metadata"]["name"] == "lab1-results"
        ));
    }

    #[test]
    fn the_secret_gives_each_state_its_own_key() {
        let tokens: BTreeMap<String, String> =
            [("RUS".into(), "t1".into()), ("USA".into(), "t2".into())].into();
        let s = tokens_secret("lab1", &seats(), &tokens, "op");
        assert_eq!(s["stringData"]["d-rus"], "t1");
        assert_eq!(s["stringData"]["operator"], "op");
        assert!(
            s["stringData"]["tokens.toml"]
                .as_str()
                .unwrap()
                .contains("USA = \"t2\"")
        );
        assert_eq!(s["metadata"]["name"], "lab1-tokens");
    }

    #[test]
    fn quantities_are_checked() {
        for ok in ["64Mi", "1Gi", "500M", "1024"] {
            check_quantity(ok).unwrap();
        }
        for bad in ["", "Gi", "1.5Gi", "1gb", "-1Gi"] {
            assert!(check_quantity(bad).is_err(), "{bad}");
        }
    }
}
