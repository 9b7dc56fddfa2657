//! COMMAND DOCS.

use super::find;
use crate::reply::Reply;
use crate::spec::CommandSpec;
use crate::table::all;

/// COMMAND DOCS [name ...]: a map from each command named (every command when none is; the
/// names not known are left out) to its documentation.
pub fn reply(names: &[Vec<u8>]) -> Reply {
    let specs: Vec<&CommandSpec> = match names {
        [] => all().to_vec(),
        names => names.iter().filter_map(|name| find(name)).collect(),
    };
    Reply::Map(
        specs
            .into_iter()
            .map(|spec| (Reply::bulk(spec.name), docs(spec)))
            .collect(),
    )
}

fn docs(spec: &CommandSpec) -> Reply {
    let group = if spec.is_write() { "write" } else { "read" };
    Reply::Map(vec![
        (
            Reply::bulk("summary"),
            Reply::bulk(format!("redraft {}", spec.name)),
        ),
        (Reply::bulk("since"), Reply::bulk("1.0.0")),
        (Reply::bulk("group"), Reply::bulk(group)),
    ])
}
