//! The writer: the one place changes are committed, then published.
//!
//! Sessions hand it [`Job`]s (a post, a join, a leave) through a bounded
//! queue. It takes whatever is queued (up to [`MAX_BATCH`] writes) into one
//! transaction, so under load one fsync covers many messages (group commit).
//! Only after the commit does it publish each new log entry on the broker
//! (the frame serialized here, once, for every node) and answer the job:
//! an `ack` therefore always means "durably stored", and the hub, which
//! only routes what the broker brings, never waits on the database.
//!
//! If the commit fails (the database is down), every job of the batch is
//! answered `unavailable`; nothing is acked and nothing is published.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use confab_engine::bus::{Broker, BusBody, BusEvent, ConnId};
use confab_engine::store::{LogBody, LogEntry, Outcome, Store, Write};
use confab_shared::{ClientId, EntryKind, RoomId, ServerMsg, ServerMsgKind};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use crate::error::AppError;
use crate::metrics::Metrics;
use crate::outbox::{Frame, Outbox, Ticket};

/// Jobs waiting for the writer at most; sessions wait beyond that, which
/// slows the fastest senders instead of growing memory.
const QUEUE_CAPACITY: usize = 8192;
/// Writes committed in one transaction at most.
pub const MAX_BATCH: usize = 512;

/// Where the answer to a job goes.
pub enum Reply {
    /// A socket's post: the `ack` (or the `error`) goes to its outbox.
    Conn {
        conn: ConnId,
        outbox: Outbox,
        client_id: Option<ClientId>,
        /// Dropped once the answer is queued (or unanswered, if the writer
        /// is gone): a socket that shuts down waits for it.
        owed: Ticket,
    },
    /// Someone waiting for the outcome of the job's last write.
    Wait(oneshot::Sender<Result<Outcome, AppError>>),
}

/// Writes committed together (a DM's two joins and its post), answered by
/// the outcome of the last one.
pub struct Job {
    pub writes: Vec<Write>,
    pub reply: Reply,
}

impl Job {
    /// A moderation job, committed in a batch of its own.
    fn is_moderation(&self) -> bool {
        self.writes.iter().any(|w| matches!(w, Write::Moderate(_)))
    }
}

/// The writer has stopped (the server is shutting down).
fn gone() -> AppError {
    AppError::Unavailable("the server is shutting down; send it again".into())
}

/// Cheap to clone; sessions hold one.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Job>,
}

impl WriterHandle {
    /// Queues a job whose answer goes to a socket's outbox.
    pub async fn submit(&self, job: Job) -> Result<(), AppError> {
        self.tx.send(job).await.map_err(|_| gone())
    }

    /// Commits `writes` and waits for the outcome of the last one.
    pub async fn commit(&self, writes: Vec<Write>) -> Result<Outcome, AppError> {
        let (tx, rx) = oneshot::channel();
        self.submit(Job {
            writes,
            reply: Reply::Wait(tx),
        })
        .await?;
        rx.await.map_err(|_| gone())?
    }
}

pub fn spawn(
    store: Arc<dyn Store>,
    broker: Arc<dyn Broker>,
    metrics: Arc<Metrics>,
    uploads_freed: Arc<Notify>,
) -> (WriterHandle, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    let writer = Writer {
        store,
        broker,
        metrics,
        uploads_freed,
    };
    (WriterHandle { tx }, tokio::spawn(writer.run(rx)))
}

struct Writer {
    store: Arc<dyn Store>,
    broker: Arc<dyn Broker>,
    metrics: Arc<Metrics>,
    /// Signalled after a committed deletion: the upload sweeper removes the
    /// uploads no message refers to any more.
    uploads_freed: Arc<Notify>,
}

impl Writer {
    /// Runs until every handle is gone, committing what is still queued:
    /// at shutdown every frame already received is stored and acked, or
    /// answered with an error, never dropped.
    async fn run(self, mut rx: mpsc::Receiver<Job>) {
        let mut jobs: Vec<Job> = Vec::new();
        // A moderation job taken while gathering a batch: committed alone,
        // right after the batch (the stores want it in a batch of its own).
        let mut next: Option<Job> = None;
        loop {
            let job = match next.take() {
                Some(job) => job,
                None => match rx.recv().await {
                    Some(job) => job,
                    None => break,
                },
            };
            let alone = job.is_moderation();
            let mut writes = job.writes.len();
            jobs.push(job);
            while writes < MAX_BATCH && !alone {
                match rx.try_recv() {
                    Ok(job) if job.is_moderation() => {
                        next = Some(job);
                        break;
                    }
                    Ok(job) => {
                        writes += job.writes.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.commit(std::mem::take(&mut jobs)).await;
        }
    }

    async fn commit(&self, jobs: Vec<Job>) {
        // The writes move into the batch; each job keeps its reply, how
        // many writes were its, and the room of its post (for a refusal).
        let mut batch: Vec<Write> = Vec::with_capacity(jobs.len());
        let mut answers = Vec::with_capacity(jobs.len());
        for job in jobs {
            let room = match job.writes.last() {
                Some(Write::Post(new)) => Some(new.room.clone()),
                Some(Write::Moderate(m)) => Some(m.room.clone()),
                _ => None,
            };
            answers.push((job.reply, job.writes.len(), room));
            batch.extend(job.writes);
        }
        let count = batch.len();
        let started = Instant::now();
        let result = self.store.commit(batch).await;
        self.metrics.observe_store(started.elapsed());
        let outcomes = match result {
            Ok(outcomes) if outcomes.len() == count => outcomes,
            Ok(outcomes) => {
                tracing::error!(
                    got = outcomes.len(),
                    want = count,
                    "the store answered a batch with the wrong number of outcomes"
                );
                self.fail_all(answers, || {
                    AppError::Internal("the store answered a batch wrongly".into())
                });
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, writes = count, "commit failed");
                self.metrics.commits_failed.fetch_add(1, Relaxed);
                self.fail_all(answers, || {
                    AppError::Unavailable("the message store is unavailable; send it again".into())
                });
                return;
            }
        };
        let mut outcomes = outcomes.into_iter();
        for (reply, writes, room) in answers {
            let origin = match &reply {
                Reply::Conn { conn, .. } => Some(*conn),
                Reply::Wait(_) => None,
            };
            let (mut last, mut last_json) = (None, None);
            for _ in 0..writes {
                let Some(outcome) = outcomes.next() else {
                    break;
                };
                last_json = match &outcome {
                    Outcome::Logged(entry) => self.logged(entry, origin),
                    Outcome::Moderated { entry, left } => {
                        let json = self.logged(entry, origin);
                        if let Some(left) = left {
                            self.publish(left, None);
                        }
                        json
                    }
                    _ => None,
                };
                last = Some(outcome);
            }
            let result = last.ok_or_else(gone);
            let settled = Settled {
                result,
                message_json: last_json,
            };
            answer(reply, settled, room.as_ref(), &self.metrics);
        }
    }

    /// Publishes a committed entry (waking the upload sweep after a
    /// deletion); for a message, its JSON.
    fn logged(&self, entry: &LogEntry, origin: Option<ConnId>) -> Option<String> {
        if matches!(&entry.body,
            LogBody::Message { message, .. } if message.kind == EntryKind::Delete)
        {
            self.uploads_freed.notify_one();
        }
        self.publish(entry, origin)
    }

    /// Publishes `entry`; for a message, its JSON (serialized once, for
    /// its `message` frame here and its sender's `ack`).
    fn publish(&self, entry: &LogEntry, origin: Option<ConnId>) -> Option<String> {
        // Membership changes carry no frame: each hub renders them with its
        // own view of who is online.
        let (frame, message_json) = match &entry.body {
            LogBody::Message { message, .. } => {
                self.metrics.messages_stored.fetch_add(1, Relaxed);
                // A message is strings and numbers, which serde always writes.
                let json = serde_json::to_string(message).unwrap_or_default();
                (ServerMsg::message_json(&json).into(), Some(json))
            }
            LogBody::Member { .. } => (bytestring::ByteString::new(), None),
        };
        self.broker.publish(BusEvent {
            node: self.broker.node().clone(),
            body: BusBody::Logged {
                entry: entry.clone(),
                frame,
                origin,
            },
        });
        message_json
    }

    /// Answers every job of a batch that was not committed.
    fn fail_all(&self, answers: Vec<(Reply, usize, Option<RoomId>)>, error: fn() -> AppError) {
        for (reply, _, _) in answers {
            let settled = Settled {
                result: Err(error()),
                message_json: None,
            };
            answer(reply, settled, None, &self.metrics);
        }
    }
}

/// How a job's last write ended, and the JSON of the message it stored.
struct Settled {
    result: Result<Outcome, AppError>,
    message_json: Option<String>,
}

/// Sends a job's answer: an `ack` or `error` frame to a socket, or the
/// outcome to whoever waits.
fn answer(reply: Reply, settled: Settled, room: Option<&RoomId>, metrics: &Metrics) {
    let Settled {
        result,
        message_json,
    } = settled;
    match reply {
        // Whoever waits answers (and logs) the error.
        Reply::Wait(tx) => {
            let _ = tx.send(result);
        }
        Reply::Conn {
            outbox,
            client_id,
            owed,
            ..
        } => {
            let frame = match (result.and_then(|o| posted(o, room)), message_json) {
                // Stored now: the ack splices the JSON the broadcast has.
                (Ok(_), Some(json)) => Frame {
                    kind: ServerMsgKind::Ack.into(),
                    json: ServerMsg::ack_json(client_id.as_ref(), &json).into(),
                    pos: None,
                },
                // Stored before (a duplicate).
                (Ok(message), None) => Frame::new(&ServerMsg::Ack { client_id, message }),
                (Err(e), _) => {
                    e.log();
                    Frame::new(&e.frame(client_id.map(|c| c.as_str().to_owned())))
                }
            };
            // A full outbox closes the connection (1013); it resumes and
            // finds the message stored.
            if outbox.push(frame).is_ok() {
                metrics.frames_out.fetch_add(1, Relaxed);
            }
            // Only now: the answer is queued before the socket may close.
            drop(owed);
        }
    }
}

/// The message a post's outcome stands for, or the error it was refused with.
pub fn posted(outcome: Outcome, room: Option<&RoomId>) -> Result<confab_shared::Message, AppError> {
    match outcome {
        Outcome::Logged(LogEntry {
            body: LogBody::Message { message, .. },
            ..
        })
        | Outcome::Duplicate { message, .. } => Ok(message),
        Outcome::Moderated { entry, .. } => match entry.body {
            LogBody::Message { message, .. } => Ok(message),
            other => Err(AppError::Internal(format!("a moderation logged {other:?}"))),
        },
        Outcome::Refused(refusal) => Err(AppError::refused(refusal, room)),
        other => Err(AppError::Internal(format!("a post ended as {other:?}"))),
    }
}
