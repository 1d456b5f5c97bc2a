//! Generates the plenary.v2 gRPC code from `proto/` with protox (no system `protoc`) and
//! writes the encoded file descriptor set used for server reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest.join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut c = protox::Compiler::new([&proto_root])?;
    c.include_imports(true)
        .include_source_info(true)
        .open_files([
            "plenary/v2/delegation.proto",
            "plenary/v2/secretariat.proto",
        ])?;
    std::fs::write(
        out_dir.join("plenary_descriptor.bin"),
        c.encode_file_descriptor_set(),
    )?;
    tonic_prost_build::configure().compile_fds(c.file_descriptor_set())?;
    // The benchmark's echo baseline: generated apart, so it stays out of the API's
    // descriptor set (and out of the delegations' reflection).
    let mut bench = protox::Compiler::new([&proto_root])?;
    bench
        .include_source_info(true)
        .open_files(["plenary/bench/v1/echo.proto"])?;
    tonic_prost_build::configure().compile_fds(bench.file_descriptor_set())?;
    println!("cargo:rerun-if-changed={}", proto_root.display());
    Ok(())
}
