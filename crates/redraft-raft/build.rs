//! Generates the gRPC code for proto/redraft.proto with a vendored protoc, so building needs
//! no system protobuf installation.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // Build scripts run single-threaded, so setting the variable here races with nothing.
    std::env::set_var("PROTOC", protoc);
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../..");
    let proto_dir = root.join("proto");
    let proto = proto_dir.join("redraft.proto");
    println!("cargo:rerun-if-changed={}", proto.display());
    tonic_prost_build::configure()
        .bytes(".")
        .compile_protos(&[proto], &[proto_dir])?;
    Ok(())
}
