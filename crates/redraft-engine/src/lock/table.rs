//! The replicated table of locks (LOCK.*): each lock's permits and holders, the last fencing
//! token granted, and how recently ended tokens ended (for clear errors). Locks live apart
//! from the databases: a lock named "x" and a key named "x" never meet.

use std::collections::BTreeMap;

use crate::reply::Reply;
use crate::wire::{put_bytes, Reader, SnapshotError};

/// How many ended tokens the table remembers, to say "expired" or "released" rather than
/// "not the holder"; the oldest are forgotten first.
const ENDED_REMEMBERED: usize = 10_000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Locks {
    by_name: BTreeMap<Vec<u8>, Lock>,
    /// The last fencing token granted: every grant takes the next one, so tokens strictly
    /// increase over the cluster's whole history (this travels in snapshots).
    last_token: u64,
    /// The last lease number given (see [`Holder::lease`]).
    last_lease: u64,
    /// Tokens that ended, with their lock's name and how.
    ended: BTreeMap<u64, (Vec<u8>, Ended)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lock {
    /// How many holders it takes at once (1: a mutex; more: a counting semaphore).
    pub permits: u32,
    /// In grant order.
    pub holders: Vec<Holder>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    pub owner: Vec<u8>,
    pub token: u64,
    pub ttl_ms: u64,
    /// The number of the grant or renewal that set the lease as it stands (every grant and
    /// renewal takes the next number): a lease ends only by an expiry naming this number, so
    /// a renewal in between — even in the same entry — voids it.
    pub lease: u64,
    /// That entry's time (for LOCK.INFO's remaining lease, an estimate).
    pub since_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Released,
    Expired,
}

/// A lease asked for: by whom, for how long, at what entry time.
pub struct Lease<'a> {
    pub owner: &'a [u8],
    pub ttl_ms: u64,
    pub now_ms: u64,
}

/// A permit granted: its token, and the number of the lease as granted (for an expiry of
/// exactly this grant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub token: u64,
    pub lease: u64,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Locks {
    /// Grants a permit of `name` to `lease.owner` if one is free: its token. The owner that
    /// already holds it gets its lease renewed and the same token. None: every permit is held.
    pub fn acquire(
        &mut self,
        name: &[u8],
        permits: u32,
        lease: &Lease,
    ) -> Result<Option<Grant>, Reply> {
        let next = self.last_token + 1;
        let number = self.last_lease + 1;
        let lock = self.by_name.entry(name.to_vec()).or_insert(Lock {
            permits,
            holders: Vec::new(),
        });
        if lock.permits != permits {
            return Err(Reply::error(format!(
                "ERR lock '{}' has {} permits, not {permits}",
                text(name),
                lock.permits
            )));
        }
        if let Some(holder) = lock.holders.iter_mut().find(|h| h.owner == lease.owner) {
            holder.renew(lease, number);
            self.last_lease = number;
            return Ok(Some(Grant {
                token: holder.token,
                lease: number,
            }));
        }
        if lock.holders.len() >= permits as usize {
            return Ok(None);
        }
        lock.holders.push(Holder {
            owner: lease.owner.to_vec(),
            token: next,
            ttl_ms: lease.ttl_ms,
            lease: number,
            since_ms: lease.now_ms,
        });
        self.last_token = next;
        self.last_lease = number;
        Ok(Some(Grant {
            token: next,
            lease: number,
        }))
    }

    /// Renews the lease of `token` on `name`.
    pub fn renew(&mut self, name: &[u8], token: u64, lease: &Lease) -> Result<(), Reply> {
        let number = self.last_lease + 1;
        let holder = self.holder_mut(name, token)?;
        holder.renew(lease, number);
        self.last_lease = number;
        Ok(())
    }

    /// Ends the lease of `token` on `name` (LOCK.RELEASE).
    pub fn release(&mut self, name: &[u8], token: u64) -> Result<(), Reply> {
        self.holder_mut(name, token)?;
        self.end(name, token, Ended::Released);
        Ok(())
    }

    /// Ends the lease of `token` on `name` if it still stands as lease number `lease` (a
    /// leader's expiry, or a grant given back); whether it ended.
    pub fn expire(&mut self, name: &[u8], token: u64, lease: u64) -> bool {
        let current = self
            .by_name
            .get(name)
            .and_then(|lock| lock.holders.iter().find(|h| h.token == token))
            .is_some_and(|holder| holder.lease == lease);
        if current {
            self.end(name, token, Ended::Expired);
        }
        current
    }

    /// Ok when `token` holds `name` now (FENCED's check); else why not.
    pub fn check(&self, name: &[u8], token: u64) -> Result<(), Reply> {
        let held = self
            .by_name
            .get(name)
            .is_some_and(|lock| lock.holders.iter().any(|h| h.token == token));
        match held {
            true => Ok(()),
            false => Err(self.why_not(name, token)),
        }
    }

    pub fn get(&self, name: &[u8]) -> Option<&Lock> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.by_name.keys()
    }

    /// Every lease, as (name, token, lease number, ttl_ms): what a leader times.
    pub fn leases(&self) -> Vec<(Vec<u8>, u64, u64, u64)> {
        let mut leases = Vec::new();
        for (name, lock) in &self.by_name {
            for h in &lock.holders {
                leases.push((name.clone(), h.token, h.lease, h.ttl_ms));
            }
        }
        leases
    }

    /// Forgets a lock nobody holds (its permits are then free to be chosen again).
    pub fn drop_if_free(&mut self, name: &[u8]) {
        if self
            .by_name
            .get(name)
            .is_some_and(|lock| lock.holders.is_empty())
        {
            self.by_name.remove(name);
        }
    }

    fn holder_mut(&mut self, name: &[u8], token: u64) -> Result<&mut Holder, Reply> {
        let found = self
            .by_name
            .get(name)
            .is_some_and(|lock| lock.holders.iter().any(|h| h.token == token));
        if !found {
            return Err(self.why_not(name, token));
        }
        let lock = self.by_name.get_mut(name).expect("the lock was just found");
        Ok(lock
            .holders
            .iter_mut()
            .find(|h| h.token == token)
            .expect("the holder was just found"))
    }

    fn end(&mut self, name: &[u8], token: u64, how: Ended) {
        if let Some(lock) = self.by_name.get_mut(name) {
            lock.holders.retain(|h| h.token != token);
        }
        self.drop_if_free(name);
        self.ended.insert(token, (name.to_vec(), how));
        while self.ended.len() > ENDED_REMEMBERED {
            self.ended.pop_first();
        }
    }

    /// Why `token` does not hold `name`, as an error reply.
    fn why_not(&self, name: &[u8], token: u64) -> Reply {
        let name_text = text(name);
        match self.ended.get(&token) {
            Some((ended_on, Ended::Expired)) if ended_on == name => Reply::error(format!(
                "EXPIRED the lease of token {token} on lock '{name_text}' expired"
            )),
            Some((ended_on, Ended::Released)) if ended_on == name => Reply::error(format!(
                "NOTHOLDER token {token} released lock '{name_text}'"
            )),
            _ if !self.by_name.contains_key(name) => {
                Reply::error(format!("NOLOCK no lock '{name_text}' is held"))
            }
            _ => Reply::error(format!(
                "NOTHOLDER token {token} does not hold lock '{name_text}'"
            )),
        }
    }

    /// Snapshot form: the last token and the last lease number (u64 each); the lock count (u64), then each lock in name order
    /// as name, permits (u32), holder count (u32) and each holder as owner, token, ttl,
    /// lease number and since time (u64 each); the ended count (u64), then each as token (u64),
    /// name and how (u8: 0 released, 1 expired).
    pub(crate) fn encode_snapshot(&self, out: &mut Vec<u8>) {
        let u64s = |out: &mut Vec<u8>, values: &[u64]| {
            for value in values {
                out.extend_from_slice(&value.to_le_bytes());
            }
        };
        u64s(
            out,
            &[self.last_token, self.last_lease, self.by_name.len() as u64],
        );
        for (name, lock) in &self.by_name {
            put_bytes(out, name);
            out.extend_from_slice(&lock.permits.to_le_bytes());
            out.extend_from_slice(&(lock.holders.len() as u32).to_le_bytes());
            for h in &lock.holders {
                put_bytes(out, &h.owner);
                u64s(out, &[h.token, h.ttl_ms, h.lease, h.since_ms]);
            }
        }
        u64s(out, &[self.ended.len() as u64]);
        for (token, (name, how)) in &self.ended {
            u64s(out, &[*token]);
            put_bytes(out, name);
            out.push(match how {
                Ended::Released => 0,
                Ended::Expired => 1,
            });
        }
    }

    pub(crate) fn decode_snapshot(reader: &mut Reader) -> Result<Locks, SnapshotError> {
        let mut locks = Locks {
            last_token: reader.u64()?,
            last_lease: reader.u64()?,
            ..Locks::default()
        };
        for _ in 0..reader.u64()? {
            let name = reader.bytes()?.to_vec();
            let lock = decode_lock(reader, &locks)?;
            if locks.by_name.insert(name, lock).is_some() {
                return Err(SnapshotError::OutOfRange);
            }
        }
        for _ in 0..reader.u64()? {
            let token = reader.u64()?;
            let name = reader.bytes()?.to_vec();
            let how = match reader.u8()? {
                0 => Ended::Released,
                1 => Ended::Expired,
                _ => return Err(SnapshotError::OutOfRange),
            };
            locks.ended.insert(token, (name, how));
        }
        Ok(locks)
    }
}

fn decode_lock(reader: &mut Reader, locks: &Locks) -> Result<Lock, SnapshotError> {
    let permits = reader.u32()?;
    let count = reader.u32()?;
    if permits == 0 || count == 0 || count > permits {
        return Err(SnapshotError::OutOfRange);
    }
    let mut holders = Vec::new();
    for _ in 0..count {
        let owner = reader.bytes()?.to_vec();
        let holder = Holder {
            owner,
            token: reader.u64()?,
            ttl_ms: reader.u64()?,
            lease: reader.u64()?,
            since_ms: reader.u64()?,
        };
        let numbered = holder.lease >= 1 && holder.lease <= locks.last_lease;
        if holder.token == 0 || holder.token > locks.last_token || !numbered {
            return Err(SnapshotError::OutOfRange);
        }
        holders.push(holder);
    }
    Ok(Lock { permits, holders })
}

impl Holder {
    fn renew(&mut self, lease: &Lease, number: u64) {
        self.ttl_ms = lease.ttl_ms;
        self.lease = number;
        self.since_ms = lease.now_ms;
    }
}
