//! Single-node presence: the record is this node's own map.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{OnlineUser, Presence, PresenceError, Snapshot};
use crate::bus::NodeId;

pub struct MemoryPresence {
    node: NodeId,
    online: Mutex<HashMap<String, OnlineUser>>,
}

impl MemoryPresence {
    pub fn new(node: NodeId) -> Self {
        Self {
            node,
            online: Mutex::new(HashMap::new()),
        }
    }

    fn online(&self) -> std::sync::MutexGuard<'_, HashMap<String, OnlineUser>> {
        self.online.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl Presence for MemoryPresence {
    async fn set_online(
        &self,
        user_id: &str,
        entry: Option<&OnlineUser>,
    ) -> Result<(), PresenceError> {
        let mut online = self.online();
        match entry {
            Some(e) => online.insert(user_id.to_owned(), e.clone()),
            None => online.remove(user_id),
        };
        Ok(())
    }

    async fn heartbeat(&self) -> Result<(), PresenceError> {
        Ok(())
    }

    async fn snapshot(&self) -> Result<Snapshot, PresenceError> {
        let users = self.online().values().cloned().collect();
        Ok(Snapshot {
            nodes: HashMap::from([(self.node.clone(), users)]),
        })
    }

    async fn retire(&self) {
        self.online().clear();
    }
}
