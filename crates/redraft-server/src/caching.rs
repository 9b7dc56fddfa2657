//! The session's side of client-side caching: CLIENT TRACKING, CACHING, GETREDIR and
//! TRACKINGINFO, and the registration of the keys a tracking client reads (tracking.rs keeps
//! the node's table and sends the invalidations).

use redraft_engine::args::parse_i64;
use redraft_engine::{resolve, Reply};

use crate::cluster::Cluster;
use crate::encode::Protocol;
use crate::session::Session;
use crate::tracking::{self, Tracker};

/// A session's tracking options besides its node's table entry.
#[derive(Clone, Copy, Debug, Default)]
pub struct CachingOptions {
    pub optin: bool,
    pub optout: bool,
    /// CLIENT CACHING YES|NO, for the next command only.
    pub caching: Option<bool>,
}

/// CLIENT TRACKING's options as parsed.
#[derive(Default)]
struct Request {
    on: bool,
    redirect: Option<i64>,
    bcast: bool,
    prefixes: Vec<Vec<u8>>,
    optin: bool,
    optout: bool,
}

fn error(text: &str) -> Reply {
    Reply::error(format!("ERR {text}"))
}

fn parse(argv: &[Vec<u8>]) -> Result<Request, Reply> {
    let on = match argv[2].to_ascii_lowercase().as_slice() {
        b"on" => true,
        b"off" => false,
        _ => return Err(error("syntax error")),
    };
    let mut request = Request {
        on,
        ..Request::default()
    };
    let mut args = argv[3..].iter();
    while let Some(option) = args.next() {
        match option.to_ascii_lowercase().as_slice() {
            b"redirect" => {
                let id = args.next().ok_or_else(|| error("syntax error"))?;
                let id = parse_i64(id)
                    .ok_or_else(|| error("value is not an integer or out of range"))?;
                request.redirect = Some(id);
            }
            b"prefix" => request
                .prefixes
                .push(args.next().ok_or_else(|| error("syntax error"))?.clone()),
            b"bcast" => request.bcast = true,
            b"optin" => request.optin = true,
            b"optout" => request.optout = true,
            b"noloop" => {
                return Err(error(
                    "NOLOOP is not supported by redraft (docs/commands.md, client)",
                ))
            }
            _ => return Err(error("syntax error")),
        }
    }
    Ok(request)
}

impl<C: Cluster> Session<C> {
    /// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT].
    pub fn client_tracking(&mut self, argv: &[Vec<u8>]) -> Reply {
        match self.try_client_tracking(argv) {
            Ok(()) => Reply::ok(),
            Err(reply) => reply,
        }
    }

    fn try_client_tracking(&mut self, argv: &[Vec<u8>]) -> Result<(), Reply> {
        let request = parse(argv)?;
        if !request.on {
            self.stop_tracking();
            return Ok(());
        }
        self.check_tracking(&request)?;
        let target = match request.redirect {
            None | Some(0) => self.id,
            Some(id) => match u64::try_from(id)
                .ok()
                .filter(|&id| self.server.is_client(id))
            {
                Some(id) => id,
                None => return Err(error("The client ID you want redirect to does not exist")),
            },
        };
        let bcast = match request.bcast {
            true => Some(self.bcast_prefixes(&request.prefixes)?),
            false => None,
        };
        if target == self.id {
            self.outbox();
        }
        let tracker = Tracker { target, bcast };
        self.server.tracking.enable(self.id, tracker);
        self.server.cluster.track_modified_keys(true);
        self.caching_options = CachingOptions {
            optin: request.optin,
            optout: request.optout,
            caching: None,
        };
        Ok(())
    }

    /// The BCAST prefixes after adding `new` to those the client has (sorted, as Redis lists
    /// them; none means every key); Redis's error when two overlap.
    fn bcast_prefixes(&self, new: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Reply> {
        let current = self.server.tracking.tracker(self.id).and_then(|t| t.bcast);
        let current: Vec<Vec<u8>> = current.unwrap_or_default();
        let overlap = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
        for (i, prefix) in new.iter().enumerate() {
            let clash = |other: &Vec<u8>, whose: &str| {
                error(&format!(
                    "Prefix '{}' overlaps with {whose} prefix '{}'. Prefixes for a single client \
                     must not overlap.",
                    String::from_utf8_lossy(prefix),
                    String::from_utf8_lossy(other)
                ))
            };
            let existing = current.iter().filter(|p| !p.is_empty() && p != &prefix);
            if let Some(other) = existing.into_iter().find(|p| overlap(p, prefix)) {
                return Err(clash(other, "an existing"));
            }
            if let Some(other) = new[i + 1..].iter().find(|p| overlap(p, prefix)) {
                return Err(clash(other, "another provided"));
            }
        }
        let mut prefixes: Vec<Vec<u8>> = current.into_iter().chain(new.iter().cloned()).collect();
        prefixes.sort();
        prefixes.dedup();
        if prefixes.len() > 1 {
            prefixes.retain(|p| !p.is_empty());
        }
        if prefixes.is_empty() {
            prefixes.push(Vec::new());
        }
        Ok(prefixes)
    }

    /// Redis's checks of a CLIENT TRACKING ON against the client's current mode.
    fn check_tracking(&self, request: &Request) -> Result<(), Reply> {
        let current = self.server.tracking.tracker(self.id);
        if current
            .as_ref()
            .is_some_and(|tracker| tracker.bcast.is_some() != request.bcast)
        {
            return Err(error(
                "You can't switch BCAST mode on/off before disabling tracking for this client, \
                 and then re-enabling it with a different mode.",
            ));
        }
        if request.bcast && (request.optin || request.optout) {
            return Err(error("OPTIN and OPTOUT are not compatible with BCAST"));
        }
        if request.optin && request.optout {
            return Err(error("You can't specify both OPTIN mode and OPTOUT mode"));
        }
        let options = self.caching_options;
        if current.is_some()
            && ((request.optin && options.optout) || (request.optout && options.optin))
        {
            return Err(error(
                "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, \
                 and then re-enabling it with a different mode.",
            ));
        }
        if !request.prefixes.is_empty() && !request.bcast {
            return Err(error("PREFIX option requires BCAST mode to be enabled"));
        }
        Ok(())
    }

    /// Stops tracking (CLIENT TRACKING OFF, or the session ends).
    pub fn stop_tracking(&mut self) {
        self.server.tracking.disable(self.id);
        self.caching_options = CachingOptions::default();
        if !self.server.tracking.any() {
            self.server.cluster.track_modified_keys(false);
        }
    }

    /// CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT).
    pub fn client_caching(&mut self, argv: &[Vec<u8>]) -> Reply {
        let options = self.caching_options;
        let tracking = self.server.tracking.tracker(self.id).is_some();
        if !tracking || !(options.optin || options.optout) {
            return error(
                "CLIENT CACHING can be called only when the client is in tracking mode with \
                 OPTIN or OPTOUT mode enabled",
            );
        }
        match argv[2].to_ascii_lowercase().as_slice() {
            b"yes" if options.optin => self.caching_options.caching = Some(true),
            b"yes" => {
                return error(
                    "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
                )
            }
            b"no" if options.optout => self.caching_options.caching = Some(false),
            b"no" => {
                return error(
                    "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
                )
            }
            _ => return error("syntax error"),
        }
        Reply::ok()
    }

    /// CLIENT GETREDIR: -1 when not tracking, 0 without a redirect, else the client's id.
    pub fn client_getredir(&self) -> Reply {
        match self.server.tracking.tracker(self.id) {
            None => Reply::Integer(-1),
            Some(tracker) if tracker.target == self.id => Reply::Integer(0),
            Some(tracker) => Reply::Integer(tracker.target as i64),
        }
    }

    /// CLIENT TRACKINGINFO: flags, redirect and prefixes, as Redis answers.
    pub fn client_trackinginfo(&self) -> Reply {
        let tracker = self.server.tracking.tracker(self.id);
        let options = self.caching_options;
        let mut flags = vec![if tracker.is_some() { "on" } else { "off" }];
        if tracker.as_ref().is_some_and(|t| t.bcast.is_some()) {
            flags.push("bcast");
        }
        for (set, name) in [(options.optin, "optin"), (options.optout, "optout")] {
            if set {
                flags.push(name);
            }
        }
        match options.caching {
            Some(true) => flags.push("caching-yes"),
            Some(false) => flags.push("caching-no"),
            None => {}
        }
        let prefixes = tracker
            .as_ref()
            .and_then(|t| t.bcast.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|prefix| !prefix.is_empty())
            .map(Reply::Bulk);
        let flags = flags.into_iter().map(Reply::bulk).collect();
        Reply::Map(vec![
            (Reply::bulk("flags"), Reply::Set(flags)),
            (Reply::bulk("redirect"), self.client_getredir()),
            (Reply::bulk("prefixes"), Reply::Array(prefixes.collect())),
        ])
    }

    /// The keys of read `argv` to track for this client (none unless it tracks in the
    /// default mode and, with OPTIN/OPTOUT, CLIENT CACHING says so).
    pub fn keys_to_track<'a>(&self, argv: &'a [Vec<u8>], caching: Option<bool>) -> Vec<&'a [u8]> {
        let Some(tracker) = self.server.tracking.tracker(self.id) else {
            return Vec::new();
        };
        let options = self.caching_options;
        let wanted = tracker.bcast.is_none()
            && (!options.optin || caching == Some(true))
            && (!options.optout || caching != Some(false));
        match (wanted, resolve(argv)) {
            (true, Ok(spec)) => spec.keys(argv),
            _ => Vec::new(),
        }
    }

    /// A read that tracks `keys`: registered before it runs, settled with the state it read.
    pub fn tracked_read(
        &self,
        argv: &[Vec<u8>],
        keys: &[&[u8]],
        context: redraft_engine::ReadContext,
    ) -> Reply {
        let tracking = &self.server.tracking;
        let evicted = tracking.begin_read(self.id, keys);
        tracking::send(&self.server.hub, evicted);
        let (reply, at) = self.server.cluster.read_indexed(self.db, argv, context);
        let due = tracking.end_read(self.id, keys, at);
        tracking::send(&self.server.hub, due);
        reply
    }

    /// The protocol changed (HELLO): invalidations reach the client in its new form.
    pub fn protocol_changed(&self) {
        if let Some(outbox) = &self.outbox {
            outbox.set_resp3(self.protocol == Protocol::Resp3);
        }
    }
}
