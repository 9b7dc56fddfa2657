//! EXEC as the state machine applies it: the watched keys checked and the queued commands run
//! as one step of one log entry, with one reply (see [`Transaction`]).

use crate::entry::Transaction;
use crate::reply::{CmdResult, Reply};
use crate::rng::splitmix64;
use crate::spec::{cmd, CommandSpec, Kind::Write, WriteCtx};

/// Commands that only the log carries; a client that sends one is told it is unknown.
pub(crate) static INTERNAL: &[CommandSpec] =
    &[cmd!("multi-exec", -2, 0, 0, 0, 0, Write(multi_exec))];

/// Applies a transaction: a null array when a watched key changed since its WATCH (nothing
/// runs), else each queued command's reply in order. A command that fails answers its error in
/// its place and the others still apply, as in Redis.
fn multi_exec(ctx: &mut WriteCtx, argv: &[Vec<u8>]) -> CmdResult {
    let transaction =
        Transaction::from_argv(argv).map_err(|error| Reply::error(format!("ERR {error}")))?;
    let now_ms = ctx.now_ms;
    let changed = transaction
        .watched
        .iter()
        .any(|watched| ctx.keyspace.watched_key_changed(watched, now_ms));
    if changed {
        return Ok(Reply::NilArray);
    }
    let entry_seed = ctx.seed;
    let replies = transaction
        .cmds
        .iter()
        .enumerate()
        .map(|(position, argv)| {
            // Each command draws its own seed, the same on every replica.
            ctx.seed = splitmix64(entry_seed ^ position as u64);
            let spec = match (ctx.resolve)(argv) {
                Ok(spec) => spec,
                Err(refusal) => return refusal,
            };
            // Run as a user (`as-user`): Redis checks each command again at EXEC.
            let users = &ctx.keyspace.users;
            let allowed = ctx.user.map_or(Ok(()), |user| {
                crate::acl::caller::check(
                    users,
                    user,
                    spec,
                    argv,
                    crate::acl::caller::Caller::Queued,
                )
            });
            match allowed {
                Ok(()) => spec.run_write(ctx, argv),
                Err(refusal) => refusal,
            }
        })
        .collect();
    ctx.seed = entry_seed;
    Ok(Reply::Array(replies))
}

#[cfg(test)]
mod tests {
    use crate::entry::{LogCommand, Transaction, Watched, TRANSACTION_COMMAND};
    use crate::table;
    use crate::testutil::{c, show};
    use crate::Engine;

    /// Applies one entry at `index` (time `index` too) holding `lines`; their replies shown.
    fn entry(engine: &mut Engine, index: u64, lines: &[&str]) -> Vec<String> {
        let cmds = lines.iter().map(|line| c(line)).collect();
        let replies = engine.apply(index, &LogCommand::run(index, 0, cmds));
        replies.iter().map(show).collect()
    }

    /// EXEC of `lines` at `index`, with `keys` of db 0 watched where the engine stands now.
    fn exec(engine: &mut Engine, watched: &[Watched], index: u64, lines: &[&str]) -> String {
        let transaction = Transaction {
            watched: watched.to_vec(),
            cmds: lines.iter().map(|line| c(line)).collect(),
        };
        let entry = LogCommand::run(index, 0, vec![transaction.to_argv()]);
        show(&engine.apply(index, &entry)[0])
    }

    fn watch(engine: &Engine, db: u32, keys: &[&str]) -> Vec<Watched> {
        let (since_index, since_ms) = engine.watch_point();
        keys.iter()
            .map(|key| Watched {
                db,
                key: key.as_bytes().to_vec(),
                since_index,
                since_ms,
            })
            .collect()
    }

    #[test]
    fn queued_commands_apply_in_order_and_a_failing_one_answers_in_its_place() {
        let mut e = Engine::new();
        let reply = exec(
            &mut e,
            &[],
            1,
            &["SET a 1", "LPUSH a x", "INCR a", "GET a", "NOSUCH x"],
        );
        assert_eq!(
            reply,
            "[+OK WRONGTYPE Operation against a key holding the wrong kind of value :2 2 \
             ERR unknown command 'NOSUCH', with args beginning with: 'x' ]"
        );
    }

    #[test]
    fn an_unchanged_watched_key_lets_exec_run() {
        let mut e = Engine::new();
        entry(&mut e, 1, &["SET a 1", "SET other 1"]);
        let watched = watch(&e, 0, &["a", "absent"]);
        entry(&mut e, 2, &["SET other 2", "GET a"]);
        assert_eq!(exec(&mut e, &watched, 3, &["INCR a"]), "[:2]");
    }

    #[test]
    fn every_kind_of_change_after_the_watch_aborts_exec_and_nothing_runs() {
        let changes: &[(&str, &str)] = &[
            ("SET a 2", "a"),
            ("DEL a", "a"),
            ("SET absent 1", "absent"),
            ("EXPIRE a 100", "a"),
            ("APPEND a x", "a"),
            ("RENAME a b", "a"),
            ("RENAME a b", "b"),
            ("FLUSHDB", "absent"),
            ("FLUSHALL", "a"),
            ("SWAPDB 0 1", "a"),
            ("MOVE a 1", "a"),
        ];
        for (change, key) in changes {
            let mut e = Engine::new();
            entry(&mut e, 1, &["SET a 1"]);
            let watched = watch(&e, 0, &[key]);
            entry(&mut e, 2, &[change]);
            assert_eq!(
                exec(&mut e, &watched, 3, &["SET done 1"]),
                "(nil-array)",
                "{change}"
            );
            assert_eq!(entry(&mut e, 4, &["EXISTS done"]), [":0"], "{change}");
        }
    }

    #[test]
    fn a_key_that_expires_between_watch_and_exec_counts_as_changed() {
        let mut e = Engine::new();
        entry(&mut e, 1, &["SET a 1 PX 10", "SET gone 1 PX 1"]);
        // At time 5 `gone` is already expired: watching it watches an absent key.
        entry(&mut e, 5, &["SET other 1"]);
        let watched = watch(&e, 0, &["a"]);
        assert_eq!(exec(&mut e, &watched, 20, &["GET a"]), "(nil-array)");
        let watched = watch(&e, 0, &["gone"]);
        assert_eq!(exec(&mut e, &watched, 30, &["GET gone"]), "[(nil)]");
    }

    #[test]
    fn a_watch_in_another_database_is_checked_there() {
        let mut e = Engine::new();
        entry(&mut e, 1, &["SET a 1"]);
        let watched = watch(&e, 1, &["a"]);
        entry(&mut e, 2, &["SET a 2"]);
        assert_eq!(exec(&mut e, &watched, 3, &["GET a"]), "[2]");
        let cmds = vec![c("SET a 3")];
        e.apply(4, &LogCommand::run(4, 1, cmds));
        assert_eq!(exec(&mut e, &watched, 5, &["GET a"]), "(nil-array)");
    }

    #[test]
    fn the_table_of_changes_travels_in_snapshots() {
        let mut e = Engine::new();
        entry(&mut e, 1, &["SET a 1"]);
        let watched = watch(&e, 0, &["a"]);
        entry(&mut e, 2, &["SET a 2"]);
        let mut restored = Engine::decode_snapshot(&e.encode_snapshot()).unwrap();
        assert_eq!(restored, e);
        assert_eq!(restored.watch_point(), e.watch_point());
        assert_eq!(exec(&mut restored, &watched, 3, &["GET a"]), "(nil-array)");
        assert_eq!(exec(&mut e, &watched, 3, &["GET a"]), "(nil-array)");
        assert_eq!(restored.encode_snapshot(), e.encode_snapshot());
    }

    #[test]
    fn clients_cannot_send_the_internal_command_and_a_malformed_one_is_refused() {
        let internal: Vec<&str> = super::INTERNAL.iter().map(|spec| spec.name).collect();
        assert_eq!(internal, [TRANSACTION_COMMAND]);
        let Err(unknown) = table::resolve(&c("multi-exec 0")) else {
            panic!("a client reached the internal command");
        };
        assert!(
            show(&unknown).starts_with("ERR unknown command"),
            "{unknown:?}"
        );
        let mut e = Engine::new();
        assert_eq!(
            entry(&mut e, 1, &["multi-exec 2 0 a"]),
            ["ERR malformed transaction"]
        );
        assert_eq!(
            entry(&mut e, 2, &["multi-exec 0 2 GET"]),
            ["ERR malformed transaction"]
        );
        assert_eq!(entry(&mut e, 3, &["multi-exec 0"]), ["[]"]);
    }
}
