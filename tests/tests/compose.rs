//! The docker-compose deploy (deploy/docker-compose.yml, image built offline by
//! deploy/build-image.sh), end to end: see tests/compose/compose-test.sh. Runs wherever a
//! Docker engine answers `docker info`; elsewhere it reports itself skipped, loudly.

use std::process::Command;

use redraft_tests::binary::redraft_bin;

fn docker_available() -> Result<(), String> {
    let docker_info = Command::new("docker")
        .arg("info")
        .output()
        .map_err(|e| format!("cannot run docker: {e}"))?;
    if !docker_info.status.success() {
        return Err(format!(
            "`docker info` failed: {}",
            String::from_utf8_lossy(&docker_info.stderr).trim()
        ));
    }
    let has_compose = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has_compose("docker", &["compose", "version"])
        && !has_compose("docker-compose", &["version"])
    {
        return Err("neither `docker compose` nor `docker-compose` is installed".into());
    }
    if !has_compose("redis-cli", &["--version"]) {
        return Err("redis-cli is not installed".into());
    }
    Ok(())
}

#[test]
fn three_node_compose_cluster_survives_a_killed_leader_and_a_network_cut() {
    if let Err(why) = docker_available() {
        eprintln!("\n*** SKIPPED three_node_compose_cluster_...: {why} ***\n");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/compose/compose-test.sh");
    let status = Command::new("timeout")
        .args(["900", script])
        .env("REDRAFT_BIN", redraft_bin())
        .status()
        .expect("run compose-test.sh");
    assert!(status.success(), "compose-test.sh failed: {status}");
}
