//! docs/cli.md is generated from the binary (`plenary man --markdown`): this test fails
//! when the subcommands or global flags change and the page was not regenerated.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn docs_cli_md_matches_the_binary() {
    let out = Command::new(env!("CARGO_BIN_EXE_plenary"))
        .args(["man", "--markdown"])
        .output()
        .expect("the plenary binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).expect("UTF-8 Markdown");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    if std::env::var_os("PLENARY_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("docs/cli.md is writable");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/cli.md is out of date with the binary's subcommands and flags; regenerate it with\n  PLENARY_UPDATE_DOCS=1 cargo test -p plenary-cli --test docs\n(or: cargo run -p plenary-cli -- man --markdown > docs/cli.md)"
    );
}
