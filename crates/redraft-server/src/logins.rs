//! Which of this node's connections are logged in as which user, so that a user's logins end
//! on every node when the log removes the user (ACL DELUSER) or replaces it (ACL LOAD): each
//! node sees the engine's `LoginsRevoked` event when it applies the entry, and ends its own
//! connections: an idle connection is closed at once, one that is running a command when its
//! next command would start (without a reply); a subscriber through its outbox.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::pubsub::Hub;

type Table = HashMap<Vec<u8>, HashMap<u64, Arc<Revocation>>>;

/// Whether a login was revoked, and a wake-up for the session waiting on its client.
#[derive(Default)]
struct Revocation {
    revoked: AtomicBool,
    wake: Notify,
}

/// This node's logins by user, then by client id.
#[derive(Default)]
pub struct Logins {
    table: Arc<Mutex<Table>>,
}

/// One connection's login; leaves the table when dropped (re-authentication, the session's
/// end).
pub struct Login {
    table: Arc<Mutex<Table>>,
    user: Vec<u8>,
    client: u64,
    revocation: Arc<Revocation>,
}

impl Logins {
    /// Client `client` logged in as `user`.
    pub fn enter(&self, user: &[u8], client: u64) -> Login {
        let revocation = Arc::new(Revocation::default());
        let mut table = lock(&self.table);
        let clients = table.entry(user.to_vec()).or_default();
        clients.insert(client, revocation.clone());
        Login {
            table: self.table.clone(),
            user: user.to_vec(),
            client,
            revocation,
        }
    }

    /// Ends every login of `users`: each connection closes at its next command, a subscriber
    /// at once.
    pub fn revoke(&self, users: &[Vec<u8>], hub: &Hub) {
        let table = lock(&self.table);
        for clients in users.iter().filter_map(|user| table.get(user)) {
            for (client, revocation) in clients {
                revocation.revoked.store(true, Ordering::Relaxed);
                revocation.wake.notify_waiters();
                if let Some(outbox) = hub.outbox_of(*client) {
                    outbox.close("its user was deleted");
                }
            }
        }
    }

    /// How many connections are logged in as `user`.
    pub fn count(&self, user: &[u8]) -> usize {
        lock(&self.table).get(user).map_or(0, HashMap::len)
    }
}

impl Login {
    pub fn is_revoked(&self) -> bool {
        self.revocation.revoked.load(Ordering::Relaxed)
    }

    /// Returns once the login is revoked.
    pub async fn revoked(&self) {
        let wake = self.revocation.wake.notified();
        tokio::pin!(wake);
        // Registered before the check, so a revocation between the two is not missed.
        wake.as_mut().enable();
        if !self.is_revoked() {
            wake.await;
        }
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        let mut table = lock(&self.table);
        if let Some(clients) = table.get_mut(&self.user) {
            // Only its own entry: a connection that logged in again as the same user holds a
            // newer one, entered before this login was dropped.
            let own = clients
                .get(&self.client)
                .is_some_and(|entry| Arc::ptr_eq(entry, &self.revocation));
            if own {
                clients.remove(&self.client);
            }
            if clients.is_empty() {
                table.remove(&self.user);
            }
        }
    }
}

fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoking_a_user_ends_its_logins_only_and_a_dropped_login_leaves_the_table() {
        let logins = Logins::default();
        let hub = Hub::default();
        let a1 = logins.enter(b"a", 1);
        let a2 = logins.enter(b"a", 2);
        let b = logins.enter(b"b", 3);
        logins.revoke(&[b"a".to_vec(), b"nobody".to_vec()], &hub);
        assert!(a1.is_revoked() && a2.is_revoked() && !b.is_revoked());
        drop(a1);
        assert_eq!(logins.count(b"a"), 1);
        drop(a2);
        assert_eq!(logins.count(b"a"), 0);
        assert!(lock(&logins.table).get(b"a".as_slice()).is_none());
    }

    #[test]
    fn logging_in_again_as_the_same_user_stays_revocable() {
        let logins = Logins::default();
        let hub = Hub::default();
        let first = logins.enter(b"a", 1);
        // AUTH again on connection 1: the new login is entered before the old one goes.
        let second = logins.enter(b"a", 1);
        drop(first);
        assert_eq!(logins.count(b"a"), 1);
        logins.revoke(&[b"a".to_vec()], &hub);
        assert!(second.is_revoked());
    }
}
