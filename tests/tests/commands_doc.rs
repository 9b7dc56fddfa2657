//! docs/commands.md and the engine's command table must agree: every command the server
//! serves is documented as served, and no command documented as served is missing.

use std::collections::BTreeSet;

use redraft_engine::table::all as all_commands;

const DOC: &str = include_str!("../../docs/commands.md");

/// (command, status) for every row of the table in docs/commands.md.
fn documented() -> Vec<(String, String)> {
    DOC.lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| command | status |"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[2].to_string())
        })
        .collect()
}

#[test]
fn every_command_in_the_table_is_documented_as_served_and_vice_versa() {
    let rows = documented();
    assert!(rows.len() > 200, "the doc lists every Redis 7 command");
    let served_in_doc: BTreeSet<String> = rows
        .iter()
        .filter(|(_, status)| status == "supported" || status == "differs")
        .map(|(name, _)| name.clone())
        .collect();
    let in_table: BTreeSet<String> = all_commands()
        .iter()
        .map(|spec| spec.name.to_string())
        .collect();
    let undocumented: Vec<_> = in_table.difference(&served_in_doc).collect();
    let unserved: Vec<_> = served_in_doc.difference(&in_table).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented as served: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented as served but not in the table: {unserved:?}"
    );
}

#[test]
fn every_row_has_a_known_status_and_differences_are_explained() {
    for (name, status) in documented() {
        assert!(
            matches!(status.as_str(), "supported" | "differs" | "no"),
            "{name}: unknown status {status}"
        );
    }
    for line in DOC.lines().filter(|line| line.contains("| differs |")) {
        let notes = line.rsplit('|').nth(1).unwrap_or("").trim();
        assert!(!notes.is_empty(), "a 'differs' row needs a note: {line}");
    }
}
