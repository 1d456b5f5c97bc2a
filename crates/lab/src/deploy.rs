//! Deployment manifests (`plenary deploy`): a containerized lab for one match, as a
//! Compose project or Kubernetes manifests, and a tournament as Kubernetes Jobs.
//!
//! A lab is one chair, one delegation container per State (each registering itself with
//! its own token, and again whenever the chair comes back) and a one-shot runner that
//! plays the match with `plenary session`. Everything runs from one image
//! (`deploy/image/build.sh`), as the non-root user [`CONTAINER_UID`], on a read-only root
//! filesystem, with every capability dropped, resource caps and health probes
//! (`plenary health`). Secrets never appear in a manifest that others may read, on a
//! command line or in an environment that `docker inspect` shows:
//!
//! - Compose: tokens are files in `secrets/` (directory 0700, files 0600, owned by the
//!   containers' user), mounted as Compose secrets and read with `--token-file`.
//! - Kubernetes: tokens are one Secret (`secrets/secret.yaml`, 0600) that containers read
//!   through `secretKeyRef`; every other document is in `lab.yaml`.
//!
//! [`deploy`] writes the files; the builders ([`compose_project`],
//! [`kubernetes::session_manifests`], [`kubernetes::tournament_manifests`]) are pure, so
//! tests check the documents without touching the disk. Compose gets JSON (which
//! Compose reads as YAML), Kubernetes block-style YAML written by [`yaml`].

pub mod compose;
pub mod kubernetes;
pub mod yaml;

pub use compose::compose_project;

use crate::lab::{random_token, render_tokens, write_private};
use plenary_scenarios::MatchPlan;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The port every server listens on inside its container (chair and delegations alike:
/// each container has its own network namespace), and where the image's HEALTHCHECK
/// probes.
pub const PORT: u16 = 50050;

/// The user (and group) every container runs as: the image's `plenary` user.
pub const CONTAINER_UID: u32 = 65532;

/// Where the chair keeps its journal inside its container (a volume).
pub const STATE_DIR: &str = "/state";

/// The chair's journal directory, through its environment (`plenary chair --state-dir`).
pub const STATE_DIR_ENV: &str = "PLENARY_STATE_DIR";

/// The chair's tokens (the `[tokens]` TOML of `--tokens`) through its environment, for
/// orchestrators that hand secrets over as environment variables (Kubernetes).
pub const TOKENS_TOML_ENV: &str = "PLENARY_TOKENS_TOML";

/// The operator token through the environment (`plenary chair`, `plenary session`).
pub const OPERATOR_TOKEN_ENV: &str = "PLENARY_OPERATOR_TOKEN";

/// Default lab name (the prefix of every Kubernetes name).
pub const DEFAULT_NAME: &str = "plenary";

/// Longest lab name: `NAME-d-STATE` must stay a 63-character DNS label for States with
/// ids of up to 40 characters.
pub const MAX_NAME_LEN: usize = 20;

/// Largest scenario plus design text shipped in a Kubernetes ConfigMap (the API limit is
/// 1 MiB per object).
pub const MAX_CONFIG_MAP_BYTES: usize = 900 * 1024;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A Compose project: `compose.json`, `secrets/`, `config/`, `out/`, `state/`.
    Compose,
    /// Kubernetes manifests: `lab.yaml`, `secrets/secret.yaml`, `kustomization.yaml`.
    Kubernetes,
}

/// One match played by a lab.
#[derive(Debug, Clone)]
pub struct Session {
    /// The resolved match (States, strategies, scenario and design texts).
    pub plan: MatchPlan,
    /// The scenario as the user gave it (a preset id or a file path).
    pub scenario: String,
    /// The design as the user gave it, if any.
    pub design: Option<String>,
    /// The strategy assignment as the user gave it (the runner resolves it again).
    pub strategies: Option<String>,
    /// Print only session summaries.
    pub brief: bool,
    /// Deadline of every question to a delegation, in milliseconds.
    pub timeout_ms: u64,
    /// The runner exits 0 on a match that completed with violations.
    pub accept_violations: bool,
}

/// A tournament run as an Indexed Job of shards plus a merge Job (Kubernetes).
#[derive(Debug, Clone)]
pub struct Tournament {
    /// The configuration (TOML).
    pub config_text: String,
    /// Where it came from (a path, or `embedded:default-tournament`), for messages.
    pub origin: String,
    /// Number of shards (`--shard I/N`).
    pub shards: u32,
    /// Shards running at once.
    pub parallelism: u32,
    /// Worker threads per shard (its CPU limit).
    pub threads: u32,
    /// Deadline of the shards' Job and of the merge Job, in seconds.
    pub deadline_secs: u64,
    /// Size of the results volume, as a Kubernetes quantity (`1Gi`).
    pub results_size: String,
}

/// What a deployment runs.
#[derive(Debug, Clone)]
pub enum Workload {
    /// A lab playing one match.
    Session(Box<Session>),
    /// A sharded tournament (Kubernetes only).
    Tournament(Tournament),
}

/// Everything [`deploy`] needs.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// Compose or Kubernetes.
    pub target: Target,
    /// Directory to write (must not exist, or be empty).
    pub out: PathBuf,
    /// Container image.
    pub image: String,
    /// Lab name: the prefix of every Kubernetes name and the `app.kubernetes.io/instance`
    /// label, so several labs share a namespace.
    pub name: String,
    /// Compose only: the `UID:GID` the containers run as. Default: [`CONTAINER_UID`]
    /// when deploying as root (the secrets are handed to that user), else the deploying
    /// user (who owns the secrets; see the README for rootless Docker).
    pub user: Option<(u32, u32)>,
    /// What runs.
    pub workload: Workload,
}

/// What [`deploy`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// Every file written, in order.
    pub files: Vec<PathBuf>,
    /// One line saying what the deployment holds.
    pub summary: String,
    /// Shell commands that run it.
    pub how: String,
    /// Anything the user must know (printed as notes).
    pub notes: Vec<String>,
}

/// Why a deployment could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A State, lab name or option does not fit the manifests.
    #[error("{0}")]
    Invalid(String),
    /// Writing a file failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> DeployError + 'a {
    move |source| DeployError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// One State's delegation: its State, strategy and service name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// State id.
    pub state: String,
    /// Built-in strategy.
    pub strategy: String,
    /// Service name (`d-rus`), a DNS label.
    pub service: String,
}

/// How the runner names the scenario or the design: a preset by id, or a file shipped
/// next to the manifests (mounted at `/config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// An embedded preset.
    Preset(String),
    /// A file: its name under `/config` and its text.
    File {
        /// File name (`scenario.toml`).
        name: &'static str,
        /// TOML text.
        text: String,
    },
}

impl Spec {
    /// The runner's argument.
    pub fn arg(&self) -> String {
        match self {
            Spec::Preset(id) => id.clone(),
            Spec::File { name, .. } => format!("/config/{name}"),
        }
    }
}

/// Container-safe name of a State's delegation service (`d-rus`): a DNS label
/// (lowercase letters, digits and `-`, at most 63 characters, no `-` at either end).
pub fn service_name(state: &str) -> Result<String, DeployError> {
    let s: String = state
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if !s.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(DeployError::Invalid(format!(
            "State `{state}` has no letter or digit to name its delegation service after"
        )));
    }
    let name = format!("d-{}", s.trim_end_matches('-'));
    if name.len() > 63 {
        return Err(DeployError::Invalid(format!(
            "State `{state}` makes a service name of {} characters (`{name}`); at most 63 fit a DNS label",
            name.len()
        )));
    }
    Ok(name)
}

/// The service name of every State, refusing two States that would get the same one
/// (`S_1` and `S-1`, `RUS` and `rus`): they would share one container's address.
pub fn service_names<'a>(
    states: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, DeployError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut names = Vec::new();
    for state in states {
        let name = service_name(state)?;
        if let Some(other) = seen.insert(name.clone(), state) {
            return Err(DeployError::Invalid(format!(
                "States `{other}` and `{state}` would both be deployed as service `{name}`; rename one of them"
            )));
        }
        names.push(name);
    }
    Ok(names)
}

/// Checks a lab name: a DNS-1035 label (lowercase letters, digits and `-`, starting with
/// a letter, not ending with `-`) of at most [`MAX_NAME_LEN`] characters.
pub fn check_name(name: &str) -> Result<(), DeployError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(DeployError::Invalid(format!(
            "--name {}: a lab name has 1 to {MAX_NAME_LEN} lowercase letters, digits and `-`, starts with a letter and does not end with `-` (it prefixes every Kubernetes name)",
            plenary_core::validate::quote(name)
        )))
    }
}

/// The seats of a plan, in State id order, with their service names.
pub fn seats(plan: &MatchPlan) -> Result<Vec<Seat>, DeployError> {
    let names = service_names(plan.scenario.states.iter().map(|s| s.id.as_str()))?;
    Ok(plan
        .scenario
        .states
        .iter()
        .zip(&plan.strategies)
        .zip(names)
        .map(|((s, strategy), service)| Seat {
            state: s.id.clone(),
            strategy: strategy.clone(),
            service,
        })
        .collect())
}

/// How the runner names the scenario and the design of `s`: presets by id when the user
/// named one, else the texts the plan was resolved from (shipped as files).
pub fn specs(s: &Session) -> (Spec, Option<Spec>) {
    let preset = |table: &[(&str, &str)], spec: &str, text: &str| {
        table.iter().any(|(id, t)| *id == spec && *t == text)
    };
    let scenario = if preset(
        plenary_scenarios::SCENARIOS,
        &s.scenario,
        &s.plan.scenario_text,
    ) {
        Spec::Preset(s.scenario.clone())
    } else {
        Spec::File {
            name: "scenario.toml",
            text: s.plan.scenario_text.to_string(),
        }
    };
    let design = s.design.as_ref().map(|d| {
        if preset(plenary_scenarios::DESIGNS, d, &s.plan.design_text) {
            Spec::Preset(d.clone())
        } else {
            Spec::File {
                name: "design.toml",
                text: s.plan.design_text.to_string(),
            }
        }
    });
    (scenario, design)
}

/// The runner's `plenary session` arguments. `json`: where it writes the results;
/// `operator_file`: the operator token's file (else it comes from the environment).
pub fn session_args(
    s: &Session,
    chair_url: &str,
    json: &str,
    operator_file: Option<&str>,
) -> Vec<String> {
    let (scenario, design) = specs(s);
    let mut a: Vec<String> = vec![
        "session".into(),
        "--chair".into(),
        chair_url.into(),
        "--scenario".into(),
        scenario.arg(),
        "--seed".into(),
        s.plan.seed.to_string(),
        "--timeout-ms".into(),
        s.timeout_ms.to_string(),
        "--json".into(),
        json.into(),
    ];
    if let Some(d) = design {
        a.extend(["--design".into(), d.arg()]);
    }
    if let Some(st) = &s.strategies {
        a.extend(["--strategies".into(), st.clone()]);
    }
    if let Some(f) = operator_file {
        a.extend(["--operator-token-file".into(), f.into()]);
    }
    if s.brief {
        a.push("--brief".into());
    }
    if s.accept_violations {
        a.push("--accept-violations".into());
    }
    a
}

/// The directory `out`, created empty (refusing one that holds anything: a deployment's
/// secrets and journal are never overwritten).
fn fresh_dir(out: &Path) -> Result<(), DeployError> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io("reading", out))?;
        if entries.next().is_some() {
            return Err(DeployError::Invalid(format!(
                "{} is not empty; remove it (and `docker-compose down -v` or `kubectl delete -k` what it deployed) or choose another --out",
                out.display()
            )));
        }
    }
    std::fs::create_dir_all(out).map_err(io("creating", out))
}

/// Creates `dir` with `mode` (not subject to the umask).
fn make_dir(dir: &Path, mode: u32) -> Result<(), DeployError> {
    std::fs::create_dir(dir).map_err(io("creating", dir))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
        .map_err(io("setting the mode of", dir))
}

fn write_public(path: &Path, text: &str, files: &mut Vec<PathBuf>) -> Result<(), DeployError> {
    std::fs::write(path, text).map_err(io("writing", path))?;
    files.push(path.to_path_buf());
    Ok(())
}

fn write_secret(path: &Path, text: &str, files: &mut Vec<PathBuf>) -> Result<(), DeployError> {
    write_private(path, text).map_err(io("writing", path))?;
    files.push(path.to_path_buf());
    Ok(())
}

/// Writes the deployment described by `opts` (see the module docs).
pub fn deploy(opts: &DeployOptions) -> Result<Written, DeployError> {
    check_name(&opts.name)?;
    if opts.image.trim().is_empty() || opts.image.chars().any(char::is_whitespace) {
        return Err(DeployError::Invalid(format!(
            "--image {} is not an image reference",
            plenary_core::validate::quote(&opts.image)
        )));
    }
    match (&opts.workload, opts.target) {
        (Workload::Session(s), Target::Compose) => write_compose(opts, s),
        (Workload::Session(s), Target::Kubernetes) => write_kubernetes_session(opts, s),
        (Workload::Tournament(t), Target::Kubernetes) => write_kubernetes_tournament(opts, t),
        (Workload::Tournament(_), Target::Compose) => Err(DeployError::Invalid(
            "tournaments deploy to Kubernetes only (on one machine, `plenary tournament` already uses every core)".into(),
        )),
    }
}

fn fresh_tokens(seats: &[Seat]) -> BTreeMap<String, String> {
    seats
        .iter()
        .map(|s| (s.state.clone(), random_token()))
        .collect()
}

fn write_compose(opts: &DeployOptions, s: &Session) -> Result<Written, DeployError> {
    if opts.user.is_some_and(|u| u.0 == 0) {
        return Err(DeployError::Invalid(
            "--user 0: the containers run as a non-root user".into(),
        ));
    }
    let seats = seats(&s.plan)?;
    let (scenario, design) = specs(s);
    fresh_dir(&opts.out)?;
    let mut files = Vec::new();
    let mut notes = Vec::new();
    let secrets = opts.out.join("secrets");
    make_dir(&secrets, 0o700)?;
    // The deploying user owns what it just created.
    let meta = std::fs::metadata(&secrets).map_err(io("reading", &secrets))?;
    let deployer = (meta.uid(), meta.gid());
    let user = opts.user.unwrap_or(if deployer.0 == 0 {
        (CONTAINER_UID, CONTAINER_UID)
    } else {
        deployer
    });

    let tokens = fresh_tokens(&seats);
    let operator = random_token();
    write_secret(
        &secrets.join(compose::TOKENS_FILE),
        &render_tokens(&tokens),
        &mut files,
    )?;
    write_secret(
        &secrets.join(compose::OPERATOR_FILE),
        &format!("{operator}\n"),
        &mut files,
    )?;
    for seat in &seats {
        write_secret(
            &secrets.join(compose::token_file(&seat.service)),
            &format!("{}\n", tokens[&seat.state]),
            &mut files,
        )?;
    }
    let config = opts.out.join("config");
    make_dir(&config, 0o755)?;
    for spec in [Some(&scenario), design.as_ref()].into_iter().flatten() {
        if let Spec::File { name, text } = spec {
            write_public(&config.join(name), text, &mut files)?;
        }
    }
    for (dir, mode) in [("out", 0o755), ("state", 0o700)] {
        make_dir(&opts.out.join(dir), mode)?;
    }
    // Hand what the containers read or write to their user.
    let owned = [
        secrets.clone(),
        opts.out.join("out"),
        opts.out.join("state"),
    ];
    if user != deployer {
        if deployer.0 == 0 {
            for dir in &owned {
                chown_tree(dir, user)?;
            }
        } else {
            notes.push(format!(
                "the containers run as {}:{} but secrets/, out/ and state/ belong to you ({}:{}) and only root can hand them over: run `sudo chown -R {}:{} secrets out state` in {}",
                user.0, user.1, deployer.0, deployer.1, user.0, user.1, opts.out.display()
            ));
        }
    }

    let runner = session_args(
        s,
        &format!("http://chair:{PORT}"),
        "/out/results.json",
        Some(&format!("/run/secrets/{}", compose::OPERATOR_FILE)),
    );
    let project = compose_project(&seats, &opts.image, user, runner, s.timeout_ms);
    let path = opts.out.join("compose.json");
    write_public(
        &path,
        &(serde_json::to_string_pretty(&project).expect("JSON values serialize") + "\n"),
        &mut files,
    )?;
    let dir = opts.out.display();
    Ok(Written {
        files,
        summary: format!(
            "Compose lab for {} ({} States: a chair, {} delegations, a runner) in {dir}",
            s.plan.scenario.id,
            seats.len(),
            seats.len()
        ),
        how: format!(
            "cd {dir}\n\
             docker-compose -f compose.json up -d                # the chair and every delegation (restarted if they die)\n\
             docker-compose -f compose.json run --rm runner      # the match: exit 0 clean, 3 violations, 1 failure\n\
             cat out/results.json\n\
             docker-compose -f compose.json down -v"
        ),
        notes,
    })
}

/// Gives `path` and everything below it to `user` (deploying as root).
fn chown_tree(path: &Path, user: (u32, u32)) -> Result<(), DeployError> {
    std::os::unix::fs::chown(path, Some(user.0), Some(user.1)).map_err(io("chown", path))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(io("reading", path))? {
            let entry = entry.map_err(io("reading", path))?;
            chown_tree(&entry.path(), user)?;
        }
    }
    Ok(())
}

fn kubernetes_dirs(opts: &DeployOptions) -> Result<PathBuf, DeployError> {
    fresh_dir(&opts.out)?;
    let secrets = opts.out.join("secrets");
    make_dir(&secrets, 0o700)?;
    Ok(secrets)
}

fn write_kubernetes_session(opts: &DeployOptions, s: &Session) -> Result<Written, DeployError> {
    let seats = seats(&s.plan)?;
    kubernetes::check_names(&opts.name, &seats)?;
    let (scenario, design) = specs(s);
    let config: Vec<(String, String)> = [Some(&scenario), design.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|spec| match spec {
            Spec::File { name, text } => Some((name.to_string(), text.clone())),
            Spec::Preset(_) => None,
        })
        .collect();
    let config_bytes: usize = config.iter().map(|(_, t)| t.len()).sum();
    if config_bytes > MAX_CONFIG_MAP_BYTES {
        return Err(DeployError::Invalid(format!(
            "the scenario and design files come to {config_bytes} bytes; a Kubernetes ConfigMap holds at most {MAX_CONFIG_MAP_BYTES}"
        )));
    }
    let chair_url = format!("http://{}-chair:{PORT}", opts.name);
    let lab = kubernetes::SessionLab {
        name: &opts.name,
        image: &opts.image,
        seats: &seats,
        runner: {
            let mut a = session_args(s, &chair_url, "/results/results.json", None);
            // Pods of a big lab may take minutes to be scheduled and pull the image.
            a.extend([
                "--wait-secs".into(),
                kubernetes::REGISTRATION_WAIT_SECS.to_string(),
            ]);
            a
        },
        timeout_ms: s.timeout_ms,
        deadline_secs: kubernetes::session_deadline(&s.plan, s.timeout_ms),
        config: &config,
    };
    let secrets = kubernetes_dirs(opts)?;
    let tokens = fresh_tokens(&seats);
    let mut files = Vec::new();
    write_public(
        &opts.out.join("lab.yaml"),
        &yaml::documents(&kubernetes::session_manifests(&lab)),
        &mut files,
    )?;
    write_secret(
        &secrets.join("secret.yaml"),
        &yaml::document(&kubernetes::tokens_secret(
            &opts.name,
            &seats,
            &tokens,
            &random_token(),
        )),
        &mut files,
    )?;
    write_public(
        &opts.out.join("kustomization.yaml"),
        &yaml::document(&kubernetes::kustomization(&[
            "lab.yaml",
            "secrets/secret.yaml",
        ])),
        &mut files,
    )?;
    let (dir, name) = (opts.out.display(), &opts.name);
    Ok(Written {
        files,
        summary: format!(
            "Kubernetes lab `{name}` for {} ({} States: a chair, {} delegations, a session Job) in {dir}",
            s.plan.scenario.id,
            seats.len(),
            seats.len()
        ),
        how: format!(
            "kubectl apply -k {dir}\n\
             kubectl wait --for=condition=complete --timeout=1h job/{name}-session\n\
             kubectl logs job/{name}-session          # the report; results.json is on the volume {name}-results\n\
             kubectl delete -k {dir}"
        ),
        notes: Vec::new(),
    })
}

fn write_kubernetes_tournament(
    opts: &DeployOptions,
    t: &Tournament,
) -> Result<Written, DeployError> {
    check_tournament(t)?;
    let docs = kubernetes::tournament_manifests(&opts.name, &opts.image, t);
    fresh_dir(&opts.out)?;
    let mut files = Vec::new();
    write_public(
        &opts.out.join("tournament.yaml"),
        &yaml::documents(&docs.shards),
        &mut files,
    )?;
    write_public(
        &opts.out.join("merge.yaml"),
        &yaml::documents(&docs.merge),
        &mut files,
    )?;
    write_public(
        &opts.out.join("kustomization.yaml"),
        &yaml::document(&kubernetes::kustomization(&["tournament.yaml"])),
        &mut files,
    )?;
    let (dir, name) = (opts.out.display(), &opts.name);
    Ok(Written {
        files,
        summary: format!(
            "Kubernetes tournament `{name}` ({}, {} shards, {} at once) in {dir}",
            t.origin, t.shards, t.parallelism
        ),
        how: format!(
            "kubectl apply -k {dir}                        # the shards (an Indexed Job)\n\
             kubectl wait --for=condition=complete --timeout={}s job/{name}-shards\n\
             kubectl apply -f {dir}/merge.yaml            # then the merge Job\n\
             kubectl wait --for=condition=complete --timeout=1h job/{name}-merge\n\
             kubectl logs job/{name}-merge                # results in /results/merged on the volume {name}-results",
            t.deadline_secs
        ),
        notes: Vec::new(),
    })
}

/// A tournament deployable as Kubernetes Jobs: a valid configuration naming presets only
/// (the Jobs have no files but the configuration) and built-in strategies only (no
/// endpoints or commands), and sane shard counts.
pub fn check_tournament(t: &Tournament) -> Result<(), DeployError> {
    let names = plenary_strategies::names();
    let cfg = plenary_tournament::Config::parse(&t.origin, &t.config_text, &names)
        .map_err(|e| DeployError::Invalid(e.to_string()))?;
    let scenarios: BTreeSet<&str> = plenary_scenarios::SCENARIOS.iter().map(|p| p.0).collect();
    let designs: BTreeSet<&str> = plenary_scenarios::DESIGNS.iter().map(|p| p.0).collect();
    for (key, list, presets) in [
        ("scenarios", &cfg.scenarios, &scenarios),
        ("designs", &cfg.designs, &designs),
    ] {
        for (i, spec) in list.iter().enumerate() {
            if !presets.contains(spec.as_str()) {
                return Err(DeployError::Invalid(format!(
                    "{}: {key}[{i}] = `{spec}` is not a preset; a tournament deployed to Kubernetes ships only its configuration, so it names presets ({})",
                    t.origin,
                    presets.iter().copied().collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    if !cfg.endpoints.is_empty() || !cfg.commands.is_empty() {
        return Err(DeployError::Invalid(format!(
            "{}: [endpoints] and [commands] entrants are not deployed to Kubernetes (shards run built-in strategies in-process)",
            t.origin
        )));
    }
    plenary_tournament::Catalog::load(&t.origin, &cfg)
        .map_err(|e| DeployError::Invalid(e.to_string()))?;
    if t.shards == 0 || t.shards > 1000 {
        return Err(DeployError::Invalid(format!(
            "--shards {}: between 1 and 1000",
            t.shards
        )));
    }
    if t.parallelism == 0 || t.parallelism > t.shards {
        return Err(DeployError::Invalid(format!(
            "--parallelism {}: between 1 and --shards ({})",
            t.parallelism, t.shards
        )));
    }
    if t.threads == 0 || t.threads > 64 {
        return Err(DeployError::Invalid(format!(
            "--threads {}: between 1 and 64",
            t.threads
        )));
    }
    if t.deadline_secs == 0 {
        return Err(DeployError::Invalid(
            "--deadline-secs must be at least 1".into(),
        ));
    }
    kubernetes::check_quantity(&t.results_size)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenary_scenarios::{PlanRequest, Source, Strategies};

    fn plan(scenario: &str, design: Option<&str>) -> MatchPlan {
        MatchPlan::resolve(PlanRequest {
            scenario: Source::Spec(scenario.into()),
            design: design.map(|d| Source::Spec(d.into())),
            seed: 11,
            strategies: Strategies::Assign {
                spec: None,
                fallback_mix: plenary_strategies::DEFAULT_MIX,
                check: &|_| Ok(()),
            },
            match_id: None,
        })
        .unwrap()
    }

    fn session(scenario: &str, design: Option<&str>) -> Session {
        Session {
            plan: plan(scenario, design),
            scenario: scenario.into(),
            design: design.map(String::from),
            strategies: None,
            brief: true,
            timeout_ms: 500,
            accept_violations: false,
        }
    }

    fn options(target: Target, out: &Path, workload: Workload) -> DeployOptions {
        DeployOptions {
            target,
            out: out.to_path_buf(),
            image: "plenary:test".into(),
            name: "lab1".into(),
            user: None,
            workload,
        }
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn compose_tokens_are_private_files_and_nowhere_else() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("lab");
        let w = deploy(&options(
            Target::Compose,
            &out,
            Workload::Session(Box::new(session("csce-1975", None))),
        ))
        .unwrap();
        assert!(w.how.contains("run --rm runner"), "{}", w.how);
        assert_eq!(mode(&out.join("secrets")), 0o700);
        let tokens = std::fs::read_to_string(out.join("secrets/tokens.toml")).unwrap();
        let compose = std::fs::read_to_string(out.join("compose.json")).unwrap();
        let rus = std::fs::read_to_string(out.join("secrets/d-sun.token")).unwrap();
        assert!(tokens.contains(&format!("SUN = \"{}\"", rus.trim())));
        for f in std::fs::read_dir(out.join("secrets")).unwrap() {
            let f = f.unwrap().path();
            assert_eq!(mode(&f), 0o600, "{}", f.display());
            let secret = std::fs::read_to_string(&f).unwrap();
            let token = secret.trim();
            if !token.contains('\n') {
                assert!(!compose.contains(token), "{} leaked", f.display());
            }
        }
        assert_eq!(mode(&out.join("state")), 0o700);
        assert!(out.join("out").is_dir());
        // 35 States: 35 token files, the chair's tokens and the operator's.
        assert_eq!(std::fs::read_dir(out.join("secrets")).unwrap().count(), 37);
        let project: serde_json::Value = serde_json::from_str(&compose).unwrap();
        let runner = project["services"]["runner"]["command"].to_string();
        assert!(runner.contains("\"--scenario\",\"csce-1975\""), "{runner}");
        assert!(
            runner.contains("\"--json\",\"/out/results.json\""),
            "{runner}"
        );
    }

    #[test]
    fn a_deployment_never_overwrites_another() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("lab");
        let opts = options(
            Target::Compose,
            &out,
            Workload::Session(Box::new(session("csce-1975", None))),
        );
        deploy(&opts).unwrap();
        let e = deploy(&opts).unwrap_err().to_string();
        assert!(e.contains("is not empty"), "{e}");
        // An empty directory is fine.
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        deploy(&options(
            Target::Kubernetes,
            &empty,
            Workload::Session(Box::new(session("csce-1975", None))),
        ))
        .unwrap();
    }

    #[test]
    fn scenario_and_design_files_are_shipped_presets_named() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("my.toml");
        let osce = plenary_scenarios::SCENARIOS
            .iter()
            .find(|p| p.0 == "osce-2021")
            .unwrap()
            .1;
        std::fs::write(&file, osce).unwrap();
        let s = session(file.to_str().unwrap(), Some("path1-upgraded"));
        let (scenario, design) = specs(&s);
        assert_eq!(scenario.arg(), "/config/scenario.toml");
        assert_eq!(design, Some(Spec::Preset("path1-upgraded".into())));
        let args = session_args(&s, "http://chair:50050", "/out/r.json", None);
        assert!(
            args.windows(2)
                .any(|w| w == ["--scenario", "/config/scenario.toml"])
        );
        assert!(args.windows(2).any(|w| w == ["--design", "path1-upgraded"]));
        assert!(!args.iter().any(|a| a == "--operator-token-file"));

        let out = tmp.path().join("compose");
        deploy(&options(
            Target::Compose,
            &out,
            Workload::Session(Box::new(s.clone())),
        ))
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("config/scenario.toml")).unwrap(),
            osce
        );
        assert!(!out.join("config/design.toml").exists());

        let k8s = tmp.path().join("k8s");
        deploy(&options(
            Target::Kubernetes,
            &k8s,
            Workload::Session(Box::new(s)),
        ))
        .unwrap();
        let lab = std::fs::read_to_string(k8s.join("lab.yaml")).unwrap();
        assert!(
            lab.contains("kind: \"ConfigMap\""),
            "the scenario ships in a ConfigMap"
        );
        assert!(lab.contains("name: \"lab1-config\""));
    }

    #[test]
    fn kubernetes_secrets_are_one_private_document() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("k8s");
        let w = deploy(&options(
            Target::Kubernetes,
            &out,
            Workload::Session(Box::new(session("csce-1975", None))),
        ))
        .unwrap();
        assert_eq!(w.files.len(), 3);
        assert_eq!(mode(&out.join("secrets")), 0o700);
        assert_eq!(mode(&out.join("secrets/secret.yaml")), 0o600);
        let secret = std::fs::read_to_string(out.join("secrets/secret.yaml")).unwrap();
        let lab = std::fs::read_to_string(out.join("lab.yaml")).unwrap();
        let token = secret
            .lines()
            .find_map(|l| l.trim().strip_prefix("d-sun: "))
            .unwrap()
            .trim_matches('"');
        assert_eq!(token.len(), 32);
        assert!(!lab.contains(token));
        let k = std::fs::read_to_string(out.join("kustomization.yaml")).unwrap();
        assert!(
            k.contains("- \"lab.yaml\"\n- \"secrets/secret.yaml\""),
            "{k}"
        );
    }

    #[test]
    fn tournaments_ship_presets_and_built_in_strategies_only() {
        let t = |config: &str| Tournament {
            config_text: config.into(),
            origin: "t.toml".into(),
            shards: 3,
            parallelism: 3,
            threads: 1,
            deadline_secs: 600,
            results_size: "1Gi".into(),
        };
        let good = plenary_tournament::config::DEFAULT_CONFIG;
        check_tournament(&t(good)).unwrap();
        let file = good.replace("scenarios = [\"osce-2021\"]", "scenarios = [\"my.toml\"]");
        let e = check_tournament(&t(&file)).unwrap_err().to_string();
        assert!(
            e.contains("scenarios[0]") && e.contains("not a preset"),
            "{e}"
        );
        for (field, value, needle) in [
            ("shards", 0, "--shards"),
            ("parallelism", 4, "--parallelism"),
            ("threads", 0, "--threads"),
        ] {
            let mut bad = t(good);
            match field {
                "shards" => bad.shards = value,
                "parallelism" => bad.parallelism = value,
                _ => bad.threads = value,
            }
            let e = check_tournament(&bad).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        let mut bad = t(good);
        bad.results_size = "lots".into();
        assert!(check_tournament(&bad).is_err());
        let tmp = tempfile::tempdir().unwrap();
        let e = deploy(&options(
            Target::Compose,
            &tmp.path().join("x"),
            Workload::Tournament(t(good)),
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("Kubernetes only"), "{e}");
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
        }
        assert_eq!(service_names(["RUS", "USA"]).unwrap(), ["d-rus", "d-usa"]);
    }

    #[test]
    fn lab_names_are_short_dns_labels() {
        for ok in ["plenary", "lab-2", "a"] {
            check_name(ok).unwrap();
        }
        for bad in ["", "Lab", "2lab", "lab-", "la_b", "a.b", &"a".repeat(21)] {
            let e = check_name(bad).unwrap_err().to_string();
            assert!(e.contains("--name"), "{e}");
        }
    }
}
