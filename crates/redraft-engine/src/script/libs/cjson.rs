//! stub
use super::Lib;
use mlua::Table;

pub(crate) fn module(lib: &Lib) -> mlua::Result<Table> {
    lib.table(vec![])
}
