//! This node's connections, as CLIENT LIST, CLIENT INFO and CLIENT KILL see them.
//!
//! Each session registers its connection here and publishes what CLIENT LIST shows of it (name,
//! database, user, last command ...) when a command starts and when a batch of commands ends:
//! one uncontended lock each. What other registries already know (subscriptions, tracking) is
//! read from them when a list is asked for. CLIENT KILL marks a connection killed and wakes
//! it: an idle connection closes at once, one running a command before its next command starts
//! (as a deleted user's connections do, logins.rs), a subscriber or a monitor through its
//! outbox.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use redraft_engine::args::parse_i64;
use redraft_engine::{resolve, CommandSpec, Reply};
use tokio::sync::Notify;

use crate::cluster::Cluster;
use crate::encode::Protocol;
use crate::pubsub::Hub;
use crate::session::{queueing, Route, Session};
use crate::tracking::Tracking;

/// This node's connected clients, by id (CLIENT LIST shows them in this order, oldest first).
#[derive(Default)]
pub struct Clients {
    table: Mutex<BTreeMap<u64, Arc<Client>>>,
}

/// One connection: what is fixed at accept, what its session last published, whether it was
/// killed.
pub struct Client {
    pub id: u64,
    pub addr: SocketAddr,
    /// The address the client connected to (None if the socket could not tell).
    pub laddr: Option<SocketAddr>,
    /// The socket's file descriptor, -1 where there is none to show.
    pub fd: i64,
    connected: Instant,
    shown: Mutex<Shown>,
    killed: AtomicBool,
    wake: Notify,
}

/// What a session publishes about itself for CLIENT LIST.
#[derive(Clone, Debug)]
pub struct Shown {
    pub name: Option<Vec<u8>>,
    pub db: u32,
    pub resp3: bool,
    /// None before the connection authenticated (shown as `default`, as Redis does).
    pub user: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    /// Commands queued in MULTI, -1 outside a transaction.
    pub multi: i64,
    /// The last command's full name (`client|list`); `NULL` before the first, as in Redis.
    pub cmd: &'static str,
    pub last_interaction: Instant,
    pub blocked: bool,
    pub no_evict: bool,
    pub no_touch: bool,
    pub monitor: bool,
}

/// A session's own switches: CLIENT REPLY, NO-EVICT, NO-TOUCH, MONITOR.
#[derive(Clone, Copy, Debug, Default)]
pub struct Control {
    /// CLIENT REPLY OFF.
    pub replies_off: bool,
    /// CLIENT REPLY SKIP: the next command's replies are not sent.
    pub skip_next: bool,
    /// The command running is CLIENT REPLY OFF or SKIP, which is not answered.
    pub silent: bool,
    pub no_evict: bool,
    pub no_touch: bool,
    pub monitor: bool,
}

/// Where the replies of the command running began, for CLIENT REPLY (see
/// [`Session::begin_command`]).
#[derive(Default)]
pub struct Marks {
    current: Option<Mark>,
}

struct Mark {
    start: usize,
    name: &'static str,
    skip: bool,
}

/// The client types of CLIENT LIST TYPE and CLIENT KILL TYPE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientType {
    Normal,
    Master,
    Replica,
    Pubsub,
}

impl ClientType {
    fn parse(arg: &[u8]) -> Result<ClientType, Reply> {
        match arg.to_ascii_lowercase().as_slice() {
            b"normal" => Ok(ClientType::Normal),
            b"master" => Ok(ClientType::Master),
            b"replica" | b"slave" => Ok(ClientType::Replica),
            b"pubsub" => Ok(ClientType::Pubsub),
            _ => Err(Reply::error(format!(
                "ERR Unknown client type '{}'",
                String::from_utf8_lossy(arg)
            ))),
        }
    }
}

impl Clients {
    /// Client `id` connected from `addr` to `laddr`.
    pub fn register(
        &self,
        id: u64,
        addr: SocketAddr,
        laddr: Option<SocketAddr>,
        fd: i64,
    ) -> Arc<Client> {
        let now = Instant::now();
        let client = Arc::new(Client {
            id,
            addr,
            laddr,
            fd,
            connected: now,
            shown: Mutex::new(Shown {
                name: None,
                db: 0,
                resp3: false,
                user: None,
                lib_name: None,
                lib_ver: None,
                multi: -1,
                cmd: "NULL",
                last_interaction: now,
                blocked: false,
                no_evict: false,
                no_touch: false,
                monitor: false,
            }),
            killed: AtomicBool::new(false),
            wake: Notify::new(),
        });
        lock(&self.table).insert(id, client.clone());
        client
    }

    pub fn remove(&self, id: u64) {
        lock(&self.table).remove(&id);
    }

    pub fn contains(&self, id: u64) -> bool {
        lock(&self.table).contains_key(&id)
    }

    /// Every connected client, oldest first.
    pub fn all(&self) -> Vec<Arc<Client>> {
        lock(&self.table).values().cloned().collect()
    }
}

impl Client {
    pub fn shown(&self) -> Shown {
        lock(&self.shown).clone()
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// Ends the connection: when idle at once, otherwise before its next command; a
    /// subscriber or a monitor through its outbox.
    pub fn kill(&self, hub: &Hub) {
        self.killed.store(true, Ordering::Relaxed);
        self.wake.notify_waiters();
        if let Some(outbox) = hub.outbox_of(self.id) {
            outbox.close("killed by CLIENT KILL");
        }
    }

    /// Returns once the connection is killed.
    pub async fn killed(&self) {
        let wake = self.wake.notified();
        tokio::pin!(wake);
        // Registered before the check, so that a kill between the two is not missed.
        wake.as_mut().enable();
        if !self.is_killed() {
            wake.await;
        }
    }

    /// Whole seconds since the connection was accepted.
    pub fn age_secs(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.connected).as_secs()
    }

    fn client_type(&self, hub: &Hub) -> ClientType {
        match hub.is_subscribed(self.id) {
            true => ClientType::Pubsub,
            false => ClientType::Normal,
        }
    }
}

/// What the node's other registries know of a client, read when a line is written.
struct Live {
    subscriptions: [usize; 3],
    tracking: bool,
    bcast: bool,
    redir: i64,
}

impl Live {
    fn of(id: u64, hub: &Hub, tracking: &Tracking) -> Live {
        let tracker = tracking.tracker(id);
        Live {
            subscriptions: hub.counts(id),
            tracking: tracker.is_some(),
            bcast: tracker.as_ref().is_some_and(|t| t.bcast.is_some()),
            redir: tracker.map_or(-1, |t| if t.target == id { 0 } else { t.target as i64 }),
        }
    }
}

/// One line of CLIENT LIST, with Redis 7.0's fields in its order (and 7.2's lib-name and
/// lib-ver after them). The buffer and memory fields have no counterpart here and read 0
/// (docs/commands.md); rbs is the size the session's read buffer starts with.
fn line(client: &Client, shown: &Shown, live: &Live, now: Instant) -> String {
    let text = |bytes: &Option<Vec<u8>>| {
        bytes
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let mut flags = String::new();
    for (on, flag) in [
        (shown.monitor, 'O'),
        (live.subscriptions.iter().any(|&n| n > 0), 'P'),
        (shown.multi >= 0, 'x'),
        (shown.blocked, 'b'),
        (live.tracking, 't'),
        (live.bcast, 'B'),
        (client.is_killed(), 'A'),
        (shown.no_evict, 'e'),
        (shown.no_touch, 'T'),
    ] {
        if on {
            flags.push(flag);
        }
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let laddr = client.laddr.map(|a| a.to_string()).unwrap_or_default();
    let idle = now
        .saturating_duration_since(shown.last_interaction)
        .as_secs();
    let user = shown.user.as_deref().unwrap_or(crate::auth::DEFAULT_USER);
    let [sub, psub, ssub] = live.subscriptions;
    format!(
        "id={} addr={} laddr={laddr} fd={} name={} age={} idle={idle} flags={flags} db={} \
         sub={sub} psub={psub} ssub={ssub} multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 \
         rbs={READ_BUFFER_BYTES} rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user={} \
         redir={} resp={} lib-name={} lib-ver={}",
        client.id,
        client.addr,
        client.fd,
        text(&shown.name),
        client.age_secs(now),
        shown.db,
        shown.multi,
        shown.cmd,
        String::from_utf8_lossy(user),
        live.redir,
        if shown.resp3 { 3 } else { 2 },
        text(&shown.lib_name),
        text(&shown.lib_ver),
    )
}

/// The capacity the session's input buffer starts with (session.rs).
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// CLIENT LIST's filters: one TYPE, or ID with one id or more.
#[derive(Debug, PartialEq)]
enum ListFilter {
    All,
    Type(ClientType),
    Ids(Vec<i64>),
}

fn parse_list(args: &[Vec<u8>]) -> Result<ListFilter, Reply> {
    match args {
        [] => Ok(ListFilter::All),
        [option, kind] if option.eq_ignore_ascii_case(b"type") => {
            ClientType::parse(kind).map(ListFilter::Type)
        }
        [option, ids @ ..] if option.eq_ignore_ascii_case(b"id") && !ids.is_empty() => ids
            .iter()
            .map(|id| parse_i64(id).ok_or_else(|| Reply::error("ERR Invalid client ID")))
            .collect::<Result<Vec<_>, _>>()
            .map(ListFilter::Ids),
        _ => Err(syntax_error()),
    }
}

/// CLIENT KILL's filters (new form); every one given must match.
#[derive(Debug, Default, PartialEq)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    user: Option<Vec<u8>>,
    kind: Option<ClientType>,
    /// Only clients connected at least this many seconds (Redis 7.4's MAXAGE).
    max_age: Option<u64>,
    skip_me: bool,
}

/// How CLIENT KILL was called.
#[derive(Debug, PartialEq)]
enum Kill {
    /// `CLIENT KILL addr:port`: +OK, or an error when no client has that address.
    Addr(Vec<u8>),
    /// `CLIENT KILL option value ...`: the number of clients killed.
    Filter(KillFilter),
}

fn parse_kill(args: &[Vec<u8>]) -> Result<Kill, Reply> {
    if let [addr] = args {
        return Ok(Kill::Addr(addr.clone()));
    }
    if !args.len().is_multiple_of(2) {
        return Err(syntax_error());
    }
    let mut filter = KillFilter {
        skip_me: true,
        ..KillFilter::default()
    };
    for pair in args.chunks(2) {
        let (option, value) = (pair[0].to_ascii_lowercase(), &pair[1]);
        match option.as_slice() {
            b"id" => {
                let id = parse_i64(value).filter(|&id| id > 0);
                let id =
                    id.ok_or_else(|| Reply::error("ERR client-id should be greater than 0"))?;
                filter.id = Some(id as u64);
            }
            b"type" => filter.kind = Some(ClientType::parse(value)?),
            b"addr" => filter.addr = Some(value.clone()),
            b"laddr" => filter.laddr = Some(value.clone()),
            b"user" => filter.user = Some(value.clone()),
            b"skipme" if value.eq_ignore_ascii_case(b"yes") => filter.skip_me = true,
            b"skipme" if value.eq_ignore_ascii_case(b"no") => filter.skip_me = false,
            b"maxage" => {
                let age = parse_i64(value)
                    .filter(|&age| age >= 0)
                    .ok_or_else(|| Reply::error("ERR maxage is not an integer or out of range"))?;
                filter.max_age = Some(age as u64);
            }
            _ => return Err(syntax_error()),
        }
    }
    Ok(Kill::Filter(filter))
}

fn syntax_error() -> Reply {
    Reply::error("ERR syntax error")
}

impl<C: Cluster> Session<C> {
    /// CLIENT LIST [TYPE type | ID id [id ...]]: this node's connections.
    pub(crate) fn client_list(&self, argv: &[Vec<u8>]) -> Reply {
        let filter = match parse_list(&argv[2..]) {
            Ok(filter) => filter,
            Err(refusal) => return refusal,
        };
        self.publish(None);
        let server = &self.server;
        let now = Instant::now();
        let mut text = String::new();
        for client in server.clients.all() {
            let wanted = match &filter {
                ListFilter::All => true,
                ListFilter::Type(kind) => client.client_type(&server.hub) == *kind,
                ListFilter::Ids(ids) => ids.contains(&(client.id as i64)),
            };
            if wanted {
                let live = Live::of(client.id, &server.hub, &server.tracking);
                text += &line(&client, &client.shown(), &live, now);
                text.push('\n');
            }
        }
        Reply::bulk(text)
    }

    /// This connection as one line of CLIENT LIST (CLIENT INFO, ACL LOG's client-info).
    pub(crate) fn client_line(&self) -> String {
        self.publish(None);
        let live = Live::of(self.id, &self.server.hub, &self.server.tracking);
        line(&self.client, &self.client.shown(), &live, Instant::now())
    }

    /// CLIENT KILL addr:port | CLIENT KILL [ID id] [TYPE type] [ADDR addr] [LADDR addr]
    /// [USER user] [SKIPME yes|no] [MAXAGE seconds].
    pub(crate) fn client_kill(&self, argv: &[Vec<u8>]) -> Reply {
        let kill = match parse_kill(&argv[2..]) {
            Ok(kill) => kill,
            Err(refusal) => return refusal,
        };
        let server = &self.server;
        let now = Instant::now();
        match kill {
            Kill::Addr(addr) => {
                // A killed connection is gone for Redis at once; here its session may still be
                // closing, and must not be found (and "killed") a second time.
                let found = server.clients.all().into_iter().find(|client| {
                    !client.is_killed() && client.addr.to_string().as_bytes() == addr.as_slice()
                });
                match found {
                    Some(client) => {
                        client.kill(&server.hub);
                        Reply::ok()
                    }
                    None => Reply::error("ERR No such client"),
                }
            }
            Kill::Filter(filter) => {
                if let Some(user) = &filter.user {
                    if !server.cluster.access().has_user(user) {
                        return Reply::error(format!(
                            "ERR No such user '{}'",
                            String::from_utf8_lossy(user)
                        ));
                    }
                }
                let mut killed = 0;
                for client in server.clients.all() {
                    if !client.is_killed() && self.kill_matches(&filter, &client, now) {
                        client.kill(&server.hub);
                        killed += 1;
                    }
                }
                Reply::Integer(killed)
            }
        }
    }

    fn kill_matches(&self, filter: &KillFilter, client: &Client, now: Instant) -> bool {
        let text_is = |wanted: &Option<Vec<u8>>, actual: Option<String>| {
            wanted
                .as_ref()
                .is_none_or(|w| actual.is_some_and(|a| a.as_bytes() == w.as_slice()))
        };
        let user_is = |wanted: &Vec<u8>| {
            let shown = client.shown();
            shown.user.as_deref().unwrap_or(crate::auth::DEFAULT_USER) == wanted.as_slice()
        };
        !(filter.skip_me && client.id == self.id)
            && filter.id.is_none_or(|id| id == client.id)
            && text_is(&filter.addr, Some(client.addr.to_string()))
            && text_is(&filter.laddr, client.laddr.map(|a| a.to_string()))
            && filter.user.as_ref().is_none_or(user_is)
            && filter
                .kind
                .is_none_or(|kind| client.client_type(&self.server.hub) == kind)
            && filter.max_age.is_none_or(|age| client.age_secs(now) >= age)
    }

    /// CLIENT REPLY ON|OFF|SKIP.
    pub(crate) fn client_reply(&mut self, mode: &[u8]) -> Reply {
        let control = &mut self.control;
        match mode.to_ascii_lowercase().as_slice() {
            b"on" => {
                control.replies_off = false;
                control.skip_next = false;
            }
            b"off" => {
                control.replies_off = true;
                control.silent = true;
            }
            b"skip" => {
                control.skip_next = !control.replies_off;
                control.silent = true;
            }
            _ => return syntax_error(),
        }
        Reply::ok()
    }

    /// CLIENT NO-EVICT on|off and CLIENT NO-TOUCH on|off: kept and shown (flags `e`, `T`);
    /// nothing is evicted here, and key access times are not kept.
    pub(crate) fn client_switch(&mut self, name: &str, value: &[u8]) -> Reply {
        let on = match value.to_ascii_lowercase().as_slice() {
            b"on" => true,
            b"off" => false,
            _ => return syntax_error(),
        };
        match name {
            "client|no-evict" => self.control.no_evict = on,
            _ => self.control.no_touch = on,
        }
        Reply::ok()
    }

    /// Publishes this session's state for CLIENT LIST; `cmd`, when a command starts.
    pub(crate) fn publish(&self, cmd: Option<(&'static str, bool)>) {
        let mut shown = lock(&self.client.shown);
        if shown.name != self.name {
            shown.name.clone_from(&self.name);
        }
        if shown.user != self.user {
            shown.user.clone_from(&self.user);
        }
        if shown.lib_name != self.lib_name || shown.lib_ver != self.lib_ver {
            shown.lib_name.clone_from(&self.lib_name);
            shown.lib_ver.clone_from(&self.lib_ver);
        }
        shown.db = self.db;
        shown.resp3 = self.protocol == Protocol::Resp3;
        shown.multi = self
            .transaction
            .as_ref()
            .map_or(-1, |transaction| transaction.len() as i64);
        shown.no_evict = self.control.no_evict;
        shown.no_touch = self.control.no_touch;
        shown.monitor = self.control.monitor;
        shown.last_interaction = Instant::now();
        match cmd {
            Some((name, blocked)) => {
                shown.cmd = name;
                shown.blocked = blocked;
            }
            None => shown.blocked = false,
        }
    }

    /// Called as each command of a batch starts, once it is routed: ends the previous
    /// command's turn (CLIENT REPLY), notes this one for CLIENT LIST, waits out CLIENT PAUSE,
    /// and shows it to this node's monitors.
    pub(crate) async fn begin_command(
        &mut self,
        argv: &[Vec<u8>],
        spec: Option<&'static CommandSpec>,
        routed: &Route,
        replies: &mut Vec<Reply>,
        marks: &mut Marks,
    ) {
        self.settle_replies(replies, marks);
        let name = spec.map_or("NULL", |spec| spec.name);
        marks.current = Some(Mark {
            start: replies.len(),
            name,
            skip: std::mem::take(&mut self.control.skip_next),
        });
        self.publish(Some((name, matches!(routed, Route::Block))));
        let Some(spec) = spec else {
            return;
        };
        if matches!(
            routed,
            Route::Immediate(_) | Route::Revoked | Route::ExecRefused(_)
        ) {
            return;
        }
        let client = self.client.clone();
        tokio::select! {
            () = self.server.pause.wait(crate::pause::held_when_writes_pause(spec)) => {}
            () = client.killed() => return,
        }
        let queued = self.transaction.is_some() && queueing(routed, argv).is_some();
        if !queued && self.server.monitors.any() {
            if spec.name == "exec" {
                if let Some(transaction) = self.transaction.as_ref().filter(|t| !t.is_doomed()) {
                    for item in transaction.queued() {
                        self.show_to_monitors(&item.argv);
                    }
                }
            }
            self.show_to_monitors(argv);
        }
    }

    /// A command joins a run of reads or writes started by an earlier one: noted, and shown
    /// to monitors, as the run's first was.
    pub(crate) fn joined_run(&self, argv: &[Vec<u8>]) {
        let Ok(spec) = resolve(argv) else {
            return;
        };
        lock(&self.client.shown).cmd = spec.name;
        if self.server.monitors.any() {
            self.show_to_monitors(argv);
        }
    }

    /// The batch ended: the last command's replies settled, the state after it published.
    pub(crate) fn end_commands(&mut self, replies: &mut Vec<Reply>, marks: &mut Marks) {
        self.settle_replies(replies, marks);
        self.publish(None);
    }

    /// Drops the replies of the command that just ran when CLIENT REPLY says so.
    fn settle_replies(&mut self, replies: &mut Vec<Reply>, marks: &mut Marks) {
        let Some(mark) = marks.current.take() else {
            return;
        };
        let start = mark.start.min(replies.len());
        if std::mem::take(&mut self.control.silent) || self.control.replies_off {
            // A run's later commands run under the same switch as its first.
            replies.truncate(start);
        } else if mark.skip && start < replies.len() {
            // SKIP is for one command: the first of a run, all of a subscription's replies.
            match redraft_engine::SUBSCRIPTION_COMMANDS.contains(&mark.name) {
                true => replies.truncate(start),
                false => {
                    replies.remove(start);
                }
            }
        }
    }

    /// Resolves once the connection is killed or its login revoked.
    pub(crate) async fn ended(&self) {
        let revoked = async {
            match &self.login {
                Some(login) => login.revoked().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = revoked => {}
            () = self.client.killed() => {}
        }
    }

    /// RESET: the connection as new (Redis 7's list): out of MULTI and WATCH, database 0,
    /// RESP2, no name, tracking off, no subscriptions, not monitoring, replies on, and
    /// authenticated as the default user only when that user needs no password.
    pub(crate) async fn reset(&mut self) -> Reply {
        self.transaction = None;
        self.watched.clear();
        self.db = 0;
        self.name = None;
        self.stop_tracking();
        if self.subscribed() {
            for name in ["unsubscribe", "punsubscribe", "sunsubscribe"] {
                let argv = [name.as_bytes().to_vec()];
                self.subscription(name, &argv).await;
            }
        }
        self.protocol = Protocol::Resp2;
        self.protocol_changed();
        if self.control.monitor {
            self.server.monitors.remove(self.id);
        }
        self.control = Control {
            no_evict: self.control.no_evict,
            ..Control::default()
        };
        self.login = None;
        let access = self.server.cluster.access();
        self.user =
            (!access.default_user_requires_password()).then(|| crate::auth::DEFAULT_USER.to_vec());
        Reply::Simple("RESET".into())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn list_filters_parse_with_redis_errors() {
        assert_eq!(parse_list(&[]), Ok(ListFilter::All));
        assert_eq!(
            parse_list(&args(&["type", "PUBSUB"])),
            Ok(ListFilter::Type(ClientType::Pubsub))
        );
        assert_eq!(
            parse_list(&args(&["type", "slave"])),
            Ok(ListFilter::Type(ClientType::Replica))
        );
        assert_eq!(
            parse_list(&args(&["ID", "3", "-1", "0"])),
            Ok(ListFilter::Ids(vec![3, -1, 0]))
        );
        assert_eq!(
            parse_list(&args(&["type", "foo"])),
            Err(Reply::error("ERR Unknown client type 'foo'"))
        );
        let invalid = Err(Reply::error("ERR Invalid client ID"));
        assert_eq!(parse_list(&args(&["id", "1", "x"])), invalid);
        assert_eq!(parse_list(&args(&["id", "99999999999999999999"])), invalid);
        for bad in [
            &["id"][..],
            &["type"],
            &["foo"],
            &["type", "pubsub", "id", "1"],
        ] {
            assert_eq!(parse_list(&args(bad)), Err(syntax_error()), "{bad:?}");
        }
    }

    #[test]
    fn kill_has_an_old_form_and_filters_with_redis_errors() {
        assert_eq!(
            parse_kill(&args(&["1.2.3.4:5"])),
            Ok(Kill::Addr(b"1.2.3.4:5".to_vec()))
        );
        // One argument is always the old form, whatever it says.
        assert_eq!(parse_kill(&args(&["id"])), Ok(Kill::Addr(b"id".to_vec())));
        let Ok(Kill::Filter(filter)) = parse_kill(&args(&[
            "ID", "7", "type", "normal", "SKIPME", "no", "maxage", "10", "user", "u",
        ])) else {
            panic!("filters");
        };
        assert_eq!(filter.id, Some(7));
        assert_eq!(filter.kind, Some(ClientType::Normal));
        assert!(!filter.skip_me);
        assert_eq!(filter.max_age, Some(10));
        assert_eq!(filter.user.as_deref(), Some(&b"u"[..]));
        let Ok(Kill::Filter(filter)) = parse_kill(&args(&["addr", "x"])) else {
            panic!("addr");
        };
        assert!(filter.skip_me, "SKIPME defaults to yes");
        let id = Err(Reply::error("ERR client-id should be greater than 0"));
        for bad in ["0", "-1", "x", "99999999999999999999"] {
            assert_eq!(parse_kill(&args(&["id", bad])), id, "{bad}");
        }
        for bad in [
            &["id", "1", "skipme"][..],
            &["foo", "bar"],
            &["skipme", "maybe"],
        ] {
            assert_eq!(parse_kill(&args(bad)), Err(syntax_error()), "{bad:?}");
        }
        assert_eq!(
            parse_kill(&args(&["type", "foo"])),
            Err(Reply::error("ERR Unknown client type 'foo'"))
        );
    }

    #[test]
    fn a_line_has_redis_fields_in_order_and_flags_for_what_the_client_does() {
        let clients = Clients::default();
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let laddr: SocketAddr = "127.0.0.1:6379".parse().unwrap();
        let client = clients.register(9, addr, Some(laddr), 12);
        let mut shown = client.shown();
        let live = Live {
            subscriptions: [0; 3],
            tracking: false,
            bcast: false,
            redir: -1,
        };
        let now = Instant::now();
        let text = line(&client, &shown, &live, now);
        let fields: Vec<&str> = text
            .split(' ')
            .map(|field| field.split('=').next().unwrap())
            .collect();
        assert_eq!(
            fields.join(" "),
            "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free \
             argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp \
             lib-name lib-ver"
        );
        assert!(text.starts_with("id=9 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=12 name= "));
        assert!(text.contains(" flags=N db=0 "));
        assert!(text.contains(" cmd=NULL user=default redir=-1 resp=2 "));
        shown.multi = 2;
        shown.monitor = true;
        shown.no_evict = true;
        shown.name = Some(b"app".to_vec());
        let live = Live {
            subscriptions: [1, 2, 0],
            tracking: true,
            bcast: true,
            redir: 4,
        };
        let text = line(&client, &shown, &live, now);
        assert!(text.contains(" name=app "));
        assert!(text.contains(" flags=OPxtBe db=0 sub=1 psub=2 ssub=0 multi=2 "));
        assert!(text.contains(" redir=4 "));
        client.kill(&Hub::default());
        assert!(line(&client, &shown, &live, now).contains(" flags=OPxtBAe "));
        clients.remove(9);
        assert!(!clients.contains(9));
    }
}
