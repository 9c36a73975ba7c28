//! Tasks that run on the first HTTP worker's thread, beside the sockets.
//!
//! Why: the hub wakes a socket's writer on every tick of a busy room. From
//! a thread of its own, each of those wakes goes through the worker
//! runtime's cross-thread queue and a syscall (tokio's current-thread
//! runtime writes its eventfd for every remote wake-up): a perf profile of
//! the fan-out benchmark put a third of the hub's time there. On the
//! sockets' own thread a wake is a push onto the local run queue. actix
//! runs one worker on a one-core server, so every socket is there; with
//! more workers, the first worker's sockets are.
//!
//! Only tasks that end before the HTTP server stops belong here (the hub
//! does: it shuts down first), since stopping a worker drops its tasks.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use tokio::sync::oneshot;

type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Futures waiting for the first HTTP worker to start them.
#[derive(Default)]
pub struct WorkerTasks {
    waiting: Mutex<Vec<Task>>,
}

/// Resolves once its task has ended (or was dropped with its worker).
pub type Finished = oneshot::Receiver<()>;

impl WorkerTasks {
    /// Queues `task` for the first worker; the result tells when it ended.
    pub fn add(&self, task: impl Future<Output = ()> + Send + 'static) -> Finished {
        let (done, finished) = oneshot::channel();
        self.lock().push(Box::pin(async move {
            task.await;
            let _ = done.send(());
        }));
        finished
    }

    /// Starts every queued task on the current thread's runtime: called
    /// by each worker as it starts, only the first finds any.
    pub fn start_here(&self) {
        for task in std::mem::take(&mut *self.lock()) {
            actix_web::rt::spawn(task);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Task>> {
        // Pushing or taking a Vec cannot leave it half-changed: go on with
        // it if a panic elsewhere poisoned the lock.
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}
