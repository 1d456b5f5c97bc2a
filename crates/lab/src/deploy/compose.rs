//! The Compose project of a lab (`compose.json`).
//!
//! - The chair and every delegation restart whatever ends them (`unless-stopped`: a
//!   crash, an OOM kill, `kill -9`), and wait for their dependencies to be healthy
//!   (`plenary health` probes); the runner is a one-shot under the `runner` profile, so
//!   `up -d` starts the lab and `run --rm runner` plays the match without tying the
//!   lab's life to any one container.
//! - Hardened: read-only root filesystem, every capability dropped, no new privileges,
//!   memory, CPU and process caps, bounded logs, a non-root user.
//! - Tokens are Compose secrets (files in `secrets/`, 0600, owned by the containers'
//!   user), read with `--token-file` and `--operator-token-file`: nothing secret in
//!   `compose.json` or in `docker inspect`.
//! - The chair keeps its journal in `./state` (mounted at `/state`), so a restarted
//!   chair resumes the match; the runner writes `./out/results.json`.

use super::{PORT, STATE_DIR, STATE_DIR_ENV, Seat};
use serde_json::{Map, Value, json};

/// The chair's tokens file in `secrets/`.
pub const TOKENS_FILE: &str = "tokens.toml";

/// The operator token's file in `secrets/`.
pub const OPERATOR_FILE: &str = "operator-token";

/// Resource caps per container: `(memory, CPUs, processes)`. A delegation is one thread
/// answering in microseconds (the csce-1975 lab ran with 32 MiB and half a CPU each);
/// the chair holds every session's state.
pub const CHAIR_CAPS: (&str, f64, u32) = ("256m", 1.0, 128);
/// See [`CHAIR_CAPS`].
pub const DELEGATION_CAPS: (&str, f64, u32) = ("32m", 0.5, 32);
/// See [`CHAIR_CAPS`].
pub const RUNNER_CAPS: (&str, f64, u32) = ("64m", 0.5, 64);

/// A State's token file in `secrets/` (`d-rus.token`).
pub fn token_file(service: &str) -> String {
    format!("{service}.token")
}

/// The health probe of a server in its container.
fn healthcheck(service: &str) -> Value {
    json!({
        "test": ["CMD", "/usr/local/bin/plenary", "health", format!("http://127.0.0.1:{PORT}"),
                 "--service", service, "--timeout-ms", "3000"],
        "interval": "5s",
        "timeout": "4s",
        "retries": 3,
        "start_period": "10s",
    })
}

/// What every service shares: image, user, hardening, caps, logs.
fn hardened(image: &str, user: (u32, u32), caps: (&str, f64, u32)) -> Map<String, Value> {
    let v = json!({
        "image": image,
        "user": format!("{}:{}", user.0, user.1),
        "read_only": true,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "mem_limit": caps.0,
        "memswap_limit": caps.0,
        "cpus": caps.1,
        "pids_limit": caps.2,
        "stop_grace_period": "5s",
        "logging": { "driver": "json-file", "options": { "max-size": "1m", "max-file": "3" } },
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}

fn with(mut base: Map<String, Value>, more: Value) -> Value {
    if let Value::Object(m) = more {
        base.extend(m);
    }
    Value::Object(base)
}

/// Builds the Compose project (pure). `runner`: the runner's `plenary session` arguments.
pub fn compose_project(
    seats: &[Seat],
    image: &str,
    user: (u32, u32),
    runner: Vec<String>,
    timeout_ms: u64,
) -> Value {
    let chair_url = format!("http://chair:{PORT}");
    let mut services = Map::new();
    let mut secrets = Map::new();
    secrets.insert(
        "tokens".into(),
        json!({ "file": format!("./secrets/{TOKENS_FILE}") }),
    );
    secrets.insert(
        "operator-token".into(),
        json!({ "file": format!("./secrets/{OPERATOR_FILE}") }),
    );
    services.insert(
        "chair".into(),
        with(
            hardened(image, user, CHAIR_CAPS),
            json!({
                "command": ["chair", "--listen", format!("0.0.0.0:{PORT}"),
                            "--tokens", format!("/run/secrets/{TOKENS_FILE}"),
                            "--operator-token-file", format!("/run/secrets/{OPERATOR_FILE}"),
                            "--timeout-ms", timeout_ms.to_string()],
                // Where the chair journals its sessions: a restarted chair resumes them.
                "environment": { STATE_DIR_ENV: STATE_DIR },
                "secrets": [
                    { "source": "tokens", "target": TOKENS_FILE },
                    { "source": "operator-token", "target": OPERATOR_FILE },
                ],
                "volumes": [format!("./state:{STATE_DIR}")],
                // For `plenary watch`: `docker-compose port chair 50050` tells the port.
                "ports": [format!("127.0.0.1::{PORT}")],
                "healthcheck": healthcheck(plenary_proto::SECRETARIAT_SERVICE),
                "restart": "unless-stopped",
            }),
        ),
    );
    let mut runner_deps = Map::new();
    runner_deps.insert("chair".into(), json!({ "condition": "service_healthy" }));
    for seat in seats {
        let secret = seat.service.clone();
        secrets.insert(
            secret.clone(),
            json!({ "file": format!("./secrets/{}", token_file(&seat.service)) }),
        );
        services.insert(
            seat.service.clone(),
            with(
                hardened(image, user, DELEGATION_CAPS),
                json!({
                    "command": ["delegate", "--state", seat.state, "--strategy", seat.strategy,
                                "--listen", format!("0.0.0.0:{PORT}"),
                                "--register", chair_url,
                                "--advertise", format!("http://{}:{PORT}", seat.service),
                                "--token-file", "/run/secrets/token"],
                    "secrets": [{ "source": secret, "target": "token" }],
                    "depends_on": { "chair": { "condition": "service_healthy" } },
                    "healthcheck": healthcheck(plenary_proto::DELEGATION_SERVICE),
                    "restart": "unless-stopped",
                }),
            ),
        );
        runner_deps.insert(
            seat.service.clone(),
            json!({ "condition": "service_healthy" }),
        );
    }
    services.insert(
        "runner".into(),
        with(
            hardened(image, user, RUNNER_CAPS),
            json!({
                "profiles": ["runner"],
                "command": runner,
                "secrets": [{ "source": "operator-token", "target": OPERATOR_FILE }],
                "volumes": ["./config:/config:ro", "./out:/out"],
                "depends_on": runner_deps,
                // A one-shot: its exit code is the match's (0 clean, 3 violations, 1 failure).
                "restart": "no",
                "healthcheck": { "disable": true },
            }),
        ),
    );
    json!({ "services": services, "secrets": secrets })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seats() -> Vec<Seat> {
        vec![
            Seat {
                state: "RUS".into(),
                strategy: "hardliner".into(),
                service: "d-rus".into(),
            },
            Seat {
                state: "USA".into(),
                strategy: "boulware".into(),
                service: "d-usa".into(),
            },
        ]
    }

    fn project() -> Value {
        compose_project(
            &seats(),
            "plenary:local",
            (65532, 65532),
            vec!["session".into()],
            500,
        )
    }

    fn strings(v: &Value) -> Vec<&str> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect()
    }

    #[test]
    fn a_chair_a_runner_and_one_registering_delegation_per_state() {
        let c = project();
        let s = c["services"].as_object().unwrap();
        assert_eq!(
            s.keys().collect::<Vec<_>>(),
            ["chair", "d-rus", "d-usa", "runner"]
        );
        let cmd = strings(&s["d-rus"]["command"]);
        for pair in [
            ["--advertise", "http://d-rus:50050"],
            ["--register", "http://chair:50050"],
            ["--token-file", "/run/secrets/token"],
            ["--state", "RUS"],
            ["--strategy", "hardliner"],
        ] {
            assert!(cmd.windows(2).any(|w| w == pair), "{pair:?} in {cmd:?}");
        }
    }

    #[test]
    fn tokens_are_secrets_never_environment() {
        let c = project();
        let s = c["services"].as_object().unwrap();
        for (name, svc) in s {
            let env = svc
                .get("environment")
                .map(Value::to_string)
                .unwrap_or_default();
            assert!(!env.contains("TOKEN"), "{name}: {env}");
        }
        assert_eq!(s["d-rus"]["secrets"][0]["source"], "d-rus");
        assert_eq!(c["secrets"]["d-rus"]["file"], "./secrets/d-rus.token");
        assert_eq!(c["secrets"]["tokens"]["file"], "./secrets/tokens.toml");
        // Only the chair sees every State's tokens, and the runner only the operator's.
        let sources = |svc: &str| -> Vec<String> {
            s[svc]["secrets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["source"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(sources("chair"), ["tokens", "operator-token"]);
        assert_eq!(sources("runner"), ["operator-token"]);
        assert_eq!(sources("d-usa"), ["d-usa"]);
        let chair = strings(&s["chair"]["command"]);
        assert!(
            chair
                .windows(2)
                .any(|w| w == ["--operator-token-file", "/run/secrets/operator-token"])
        );
    }

    #[test]
    fn every_service_is_hardened_capped_and_non_root() {
        let c = project();
        for (name, svc) in c["services"].as_object().unwrap() {
            assert_eq!(svc["read_only"], true, "{name}");
            assert_eq!(svc["cap_drop"], json!(["ALL"]), "{name}");
            assert_eq!(
                svc["security_opt"],
                json!(["no-new-privileges:true"]),
                "{name}"
            );
            assert_eq!(svc["user"], "65532:65532", "{name}");
            assert!(svc["mem_limit"].is_string(), "{name}");
            assert!(svc["cpus"].as_f64().unwrap() > 0.0, "{name}");
            assert!(svc["pids_limit"].as_u64().unwrap() > 0, "{name}");
        }
    }

    #[test]
    fn servers_restart_and_wait_for_health_the_runner_is_a_one_shot() {
        let c = project();
        let s = &c["services"];
        for svc in ["chair", "d-rus", "d-usa"] {
            assert_eq!(s[svc]["restart"], "unless-stopped", "{svc}");
            assert_eq!(s[svc]["healthcheck"]["test"][0], "CMD", "{svc}");
        }
        assert!(
            s["chair"]["healthcheck"]["test"]
                .to_string()
                .contains("plenary.v2.Secretariat")
        );
        assert!(
            s["d-rus"]["healthcheck"]["test"]
                .to_string()
                .contains("plenary.v2.Delegation")
        );
        assert_eq!(
            s["d-rus"]["depends_on"]["chair"]["condition"],
            "service_healthy"
        );
        let deps = s["runner"]["depends_on"].as_object().unwrap();
        assert_eq!(deps.len(), 3);
        assert!(deps.values().all(|d| d["condition"] == "service_healthy"));
        assert_eq!(s["runner"]["restart"], "no");
        assert_eq!(s["runner"]["profiles"], json!(["runner"]));
        assert_eq!(s["chair"]["environment"][STATE_DIR_ENV], "/state");
        assert_eq!(s["chair"]["volumes"], json!(["./state:/state"]));
        assert_eq!(
            s["runner"]["volumes"],
            json!(["./config:/config:ro", "./out:/out"])
        );
    }
}
