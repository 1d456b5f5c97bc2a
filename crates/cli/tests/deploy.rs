//! Heavy suite (run with `cargo test -- --include-ignored`, as CI does): a containerized
//! lab. Builds the `plenary` image from this build's binary (no registry, no base
//! image), writes a Compose project for csce-1975 (a chair, 35 delegation containers
//! and a runner on a private network), runs it to the end and checks the results are
//! byte-identical to the in-process run. Everything is torn down afterwards.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenary");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start ({e})"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Takes the Compose project down (containers, network) however the test ends.
struct Down<'a> {
    dir: &'a Path,
    project: String,
}

impl Drop for Down<'_> {
    fn drop(&mut self) {
        let _ = Command::new("docker-compose")
            .args([
                "-p",
                &self.project,
                "-f",
                "compose.json",
                "down",
                "-v",
                "-t",
                "2",
            ])
            .current_dir(self.dir)
            .output();
    }
}

#[test]
#[ignore = "heavy: builds a container image and runs 37 containers (CI runs it)"]
fn compose_lab_gives_the_in_process_results() {
    let dir = tempfile::tempdir().unwrap();
    let tag = format!("plenary:test-{}", std::process::id());
    run(
        Command::new("bash")
            .arg(repo().join("deploy/image/build.sh"))
            .arg("--no-build")
            .env("PLENARY_BIN", BIN)
            .env("PLENARY_IMAGE", &tag),
        "deploy/image/build.sh",
    );
    let lab = dir.path().join("lab");
    run(
        Command::new(BIN)
            .args([
                "deploy",
                "--scenario",
                "csce-1975",
                "--seed",
                "11",
                "--brief",
                "--image",
                &tag,
                "--out",
            ])
            .arg(&lab),
        "plenary deploy",
    );
    let project = format!("plenarytest{}", std::process::id());
    let _down = Down {
        dir: &lab,
        project: project.clone(),
    };
    let log = run(
        Command::new("timeout")
            .args([
                "600",
                "docker-compose",
                "-p",
                &project,
                "-f",
                "compose.json",
                "up",
            ])
            .args(["--abort-on-container-exit", "--exit-code-from", "runner"])
            .current_dir(&lab),
        "docker-compose up",
    );
    assert!(log.contains("== Match (3 sessions) =="), "{log}");
    let inproc = dir.path().join("inproc.json");
    run(
        Command::new(BIN)
            .args([
                "run",
                "--scenario",
                "csce-1975",
                "--seed",
                "11",
                "--brief",
                "--json",
            ])
            .arg(&inproc),
        "plenary run",
    );
    let remote = std::fs::read(lab.join("out/results.json")).expect("the runner wrote results");
    assert!(
        remote == std::fs::read(&inproc).unwrap(),
        "containerized results differ from in-process"
    );
    let _ = Command::new("docker")
        .args(["image", "rm", "-f", &tag])
        .output();
}
