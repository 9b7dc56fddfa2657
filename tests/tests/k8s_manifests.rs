//! The Kubernetes manifests in deploy/k8s/, offline: no cluster runs them here. Each manifest
//! must pass kubernetes-validate (PyPI; it ships the Kubernetes JSON schemas) in strict mode,
//! and tests/k8s/check_manifests.py checks what the schemas cannot: the StatefulSet's headless
//! Service, selectors against pod labels, probes running `redraft --health`, the flags against
//! redraft's CLI, pod 0 bootstrapping and the others joining it. tests/run.sh installs the
//! validator; where it is missing these tests fail (they never skip).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The Kubernetes version whose schemas the manifests are checked against.
const KUBERNETES_VERSION: &str = "1.30.0";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

fn manifest_dir() -> PathBuf {
    repo().join("deploy/k8s")
}

/// Every manifest of Kubernetes resources in `dir` (kustomization.yaml is kustomize's file,
/// not a resource; check_manifests.py checks it lists the others).
fn resource_manifests(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            (name.ends_with(".yaml") || name.ends_with(".yml"))
                && !name.starts_with("kustomization.")
        })
        .collect();
    files.sort();
    files
}

/// Runs kubernetes-validate on `files`: the module of the `python3` that tests/run.sh
/// installed it for, else the `kubernetes-validate` script on the PATH.
fn validate(files: &[PathBuf]) -> Output {
    let args = ["--strict", "--kubernetes-version", KUBERNETES_VERSION];
    let module = Command::new("python3")
        .args(["-m", "kubernetes_validate"])
        .args(args)
        .args(files)
        .output();
    if let Ok(output) = &module {
        if !String::from_utf8_lossy(&output.stderr).contains("No module named") {
            return module.unwrap();
        }
    }
    Command::new("kubernetes-validate")
        .args(args)
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "kubernetes-validate is not installed ({e}): run tests/run.sh, which installs \
                 it, or `python3 -m pip install kubernetes-validate`"
            )
        })
}

fn check_semantics(dir: &Path) -> Output {
    Command::new("python3")
        .arg(repo().join("tests/k8s/check_manifests.py"))
        .arg(dir)
        .arg(repo().join("crates/redraft-server/src/cli.rs"))
        .output()
        .expect("run python3 tests/k8s/check_manifests.py")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A copy of deploy/k8s in a temporary directory, with `from` replaced by `to` in `file`.
fn edited_copy(file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(manifest_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        let mut body = fs::read_to_string(&path).unwrap();
        if name.to_string_lossy() == file {
            assert!(body.contains(from), "{file} does not contain {from:?}");
            body = body.replace(from, to);
        }
        fs::write(dir.path().join(name), body).unwrap();
    }
    dir
}

#[test]
fn every_manifest_passes_the_offline_schema_validator() {
    let files = resource_manifests(&manifest_dir());
    assert!(
        files.len() >= 4,
        "expected the ConfigMap, Services, StatefulSet and PDB manifests, found {files:?}"
    );
    let output = validate(&files);
    let report = text(&output);
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "kubernetes-validate failed:\n{report}"
    );
    for line in report.lines() {
        assert!(
            !(line.starts_with("WARN") || line.starts_with("ERROR") || line.starts_with("FATAL")),
            "kubernetes-validate: {line}"
        );
    }
    for file in &files {
        let shown = file.display().to_string();
        assert!(
            report
                .lines()
                .any(|l| l.starts_with("INFO") && l.contains(&shown) && l.contains("passed")),
            "no resource of {shown} was validated:\n{report}"
        );
    }
    for kind in [
        "configmap/",
        "service/redraft-headless",
        "service/redraft ",
        "statefulset/redraft",
        "poddisruptionbudget/",
    ] {
        assert!(report.contains(kind), "no {kind} validated:\n{report}");
    }
}

#[test]
fn the_schema_validator_rejects_a_broken_manifest() {
    // The validator must really check (offline, strict): a wrong type and an unknown field.
    let wrong_type = edited_copy("statefulset.yaml", "replicas: 3", "replicas: three");
    let output = validate(&resource_manifests(wrong_type.path()));
    assert!(
        !output.status.success(),
        "accepted replicas: three:\n{}",
        text(&output)
    );
    let unknown = edited_copy(
        "statefulset.yaml",
        "podManagementPolicy: OrderedReady",
        "podManagementPolicy: OrderedReady\n  podManagmentPolicy: OrderedReady",
    );
    let output = validate(&resource_manifests(unknown.path()));
    assert!(
        !output.status.success(),
        "accepted a misspelt field:\n{}",
        text(&output)
    );
    assert!(
        text(&output).contains("podManagmentPolicy"),
        "{}",
        text(&output)
    );
}

#[test]
fn manifests_agree_with_each_other_and_with_the_cli() {
    let output = check_semantics(&manifest_dir());
    let report = text(&output);
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "check_manifests.py failed:\n{report}"
    );
}

#[test]
fn the_semantic_check_catches_mismatches() {
    for (file, from, to, expected) in [
        (
            "statefulset.yaml",
            "serviceName: redraft-headless",
            "serviceName: redraft",
            "not headless",
        ),
        ("pdb.yaml", "maxUnavailable: 1", "maxUnavailable: 2", "PDB"),
        (
            "statefulset.yaml",
            "- --snapshot-logs",
            "- --snapshot-entries",
            "--snapshot-entries",
        ),
        (
            "statefulset.yaml",
            "- $(REDRAFT_LOG)",
            "- $(REDRAFT_LOGGING)",
            "REDRAFT_LOGGING",
        ),
        (
            "statefulset.yaml",
            "prometheus.io/port: \"9379\"",
            "prometheus.io/port: \"9090\"",
            "pod annotations",
        ),
        (
            "services.yaml",
            "    prometheus.io/scrape: \"true\"\n",
            "",
            "lacks the annotations",
        ),
        (
            "statefulset.yaml",
            "- 0.0.0.0:9379",
            "- 127.0.0.1:9379",
            "--metrics-addr 127.0.0.1:9379",
        ),
        (
            "networkpolicy.yaml",
            "port: 9379",
            "port: 9380",
            "does not admit the metrics port",
        ),
    ] {
        let copy = edited_copy(file, from, to);
        let output = check_semantics(copy.path());
        let report = text(&output);
        assert!(!output.status.success(), "{from} -> {to} passed:\n{report}");
        assert!(
            report.contains(expected),
            "{from} -> {to}: no {expected:?} in:\n{report}"
        );
    }
}
