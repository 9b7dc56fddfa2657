//! The engine's files import one another without a circle, so that its layers stay layers:
//! foundations (reply, args, spec, wire...), value types, the keyspace and the command
//! context, commands, then the table, the snapshot and the engine on top (see
//! docs/architecture.md). Each `use crate::...` line is an arrow from its file to the file that
//! defines what it names; `mod` lines are not arrows.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every source file under src/, by its module path (`zset::value`, `keyspace`).
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, PathBuf>) {
        for entry in fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let mut module = prefix.to_vec();
            if path.is_dir() {
                module.push(name);
                walk(&path, &module, out);
                continue;
            }
            if name != "mod" && name != "lib" {
                module.push(name);
            }
            out.insert(module.join("::"), path);
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &[], &mut out);
    out
}

/// The module paths a file names in its `use crate::` lines (the part before any `{`), with
/// `super::` resolved against the file's own module.
fn imports(text: &str, module: &str, is_mod_file: bool) -> Vec<String> {
    let mut parent: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
    if !is_mod_file {
        parent.pop();
    }
    let mut found = Vec::new();
    for line in text.lines().map(str::trim) {
        let Some(path) = line.strip_prefix("use ").or(line.strip_prefix("pub use ")) else {
            continue;
        };
        let path = path.split(['{', ';', ' ']).next().unwrap_or_default();
        let path = if let Some(rest) = path.strip_prefix("crate::") {
            rest.to_string()
        } else if let Some(rest) = path.strip_prefix("super::") {
            format!("{}::{rest}", parent.join("::"))
        } else {
            continue;
        };
        found.push(path.trim_end_matches("::").to_string());
    }
    found
}

/// The file a path names: the longest module prefix of it that is a file.
fn resolve<'a>(path: &str, modules: &'a BTreeMap<String, PathBuf>) -> Option<&'a str> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find_map(|prefix| modules.get_key_value(&prefix).map(|(k, _)| k.as_str()))
}

/// The test code is left out: tests may import what they test from anywhere.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |at| &text[..at])
}

#[test]
fn the_engine_imports_form_no_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    let mut arrows: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (module, path) in &modules {
        if module.ends_with("tests") || module == "testutil" || module.is_empty() {
            continue;
        }
        let text = fs::read_to_string(path).unwrap();
        let is_mod_file = path.file_name().is_some_and(|n| n == "mod.rs");
        for import in imports(without_tests(&text), module, is_mod_file) {
            if let Some(target) = resolve(&import, &modules) {
                if target != module && !target.is_empty() {
                    arrows.entry(module).or_default().push(target);
                }
            }
        }
    }
    assert!(
        arrows["keyspace"].contains(&"hash::value"),
        "the scan reads the arrows"
    );
    // Depth-first search; a grey node met again closes a circle.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        node: &'a str,
        arrows: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) {
        match state.get(node) {
            Some(2) => return,
            Some(1) => {
                let from = stack.iter().position(|n| *n == node).unwrap();
                panic!("import circle: {} -> {node}", stack[from..].join(" -> "));
            }
            _ => {}
        }
        state.insert(node, 1);
        stack.push(node);
        for next in arrows.get(node).into_iter().flatten() {
            visit(next, arrows, state, stack);
        }
        stack.pop();
        state.insert(node, 2);
    }
    for module in modules.keys() {
        visit(module, &arrows, &mut state, &mut Vec::new());
    }
}
