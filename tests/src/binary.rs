//! Where the `redraft` binary under test lives.

use std::path::PathBuf;

/// The binary named by `REDRAFT_BIN`, else `<target dir>/debug/redraft`.
///
/// The target dir is found from the running test executable
/// (`<target>/debug/deps/<test>-<hash>`), which follows `CARGO_TARGET_DIR` without
/// reading it; `CARGO_TARGET_DIR` and the workspace's `target/` are fallbacks.
pub fn redraft_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("REDRAFT_BIN") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "REDRAFT_BIN={} is not a file",
            path.display()
        );
        return path;
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        // <target>/<profile>/deps/<exe>: the binary sits in <target>/debug.
        if let Some(target) = exe
            .parent()
            .and_then(|deps| deps.parent())
            .and_then(|p| p.parent())
        {
            candidates.push(target.join("debug").join("redraft"));
        }
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(dir).join("debug").join("redraft"));
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    candidates.push(workspace.join("target").join("debug").join("redraft"));
    for candidate in &candidates {
        if candidate.is_file() {
            return candidate.clone();
        }
    }
    panic!(
        "redraft binary not found (tried {candidates:?}); run `cargo build -p redraft-server` \
         or set REDRAFT_BIN"
    );
}
