//! Building and running the application: `Application::build` binds the
//! listener (port 0 works, for tests), and `run_until_stopped` serves until
//! the given shutdown future resolves, then shuts down in order.

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::{web, App};
use tokio::sync::Semaphore;

use confab_engine::bus::local::LocalBroker;
use confab_engine::bus::{Broker, NodeId};
use confab_engine::flood::memory::MemoryFloodGate;
use confab_engine::flood::redis::RedisFloodGate;
use confab_engine::flood::{FloodGate, SendRate};
use confab_engine::presence::memory::MemoryPresence;
use confab_engine::presence::Presence;
use confab_engine::store::sqlite::SqliteStore;
use confab_engine::store::{Store, StoreError};

use crate::background;
use crate::chat::Chat;
use crate::configuration::Settings;
use crate::hub;
use crate::limits::conns::ConnectionCaps;
use crate::limits::http::{limit_requests, HttpLimits};
use crate::metrics::Metrics;
use crate::online::OnlineBoard;
use crate::routes;
use crate::state::AppState;
use crate::upload_files;
use crate::worker_tasks::{Finished, WorkerTasks};
use crate::writer;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("--admin {0:?} is not a valid user name: {1}")]
    Admin(String, String),
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST:PORT/DB")]
    UnsupportedDatabase(String),
    #[error(
        "--redis-url needs a PostgreSQL database (--database-url postgres://...): \
         a SQLite file cannot be shared by the nodes of a cluster"
    )]
    RedisNeedsPostgres,
    #[error("cannot reach Redis: {0}")]
    Redis(String),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// The longest a shutdown waits for the real-time connections to close.
const CONNECTIONS_CLOSE: std::time::Duration = std::time::Duration::from_secs(6);

pub struct Application {
    listener: TcpListener,
    state: web::Data<AppState>,
    tasks: Tasks,
}

/// The background tasks, stopped in order at shutdown.
struct Tasks {
    /// The hub, waiting for the first HTTP worker ([`WorkerTasks`]).
    on_worker: Arc<WorkerTasks>,
    hub: Finished,
    writer: tokio::task::JoinHandle<()>,
    background: tokio::task::JoinHandle<()>,
    /// The periodic orphan-upload sweep: aborted at shutdown.
    sweeper: tokio::task::JoinHandle<()>,
    /// Deletes idle sessions (none when sessions never expire).
    session_sweeper: Option<tokio::task::JoinHandle<()>>,
    /// Frees the names of accounts deleted long enough ago.
    names_sweeper: tokio::task::JoinHandle<()>,
}

/// Opens the store named by the settings.
pub async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, StartupError> {
    let url = settings.database_url();
    if settings.is_postgres() {
        return Ok(Arc::new(
            confab_engine::store::postgres::PgStore::open(&url).await?,
        ));
    }
    if !url.starts_with("sqlite:") {
        return Err(StartupError::UnsupportedDatabase(url));
    }
    if settings.redis_url.is_some() {
        return Err(StartupError::RedisNeedsPostgres);
    }
    Ok(Arc::new(SqliteStore::open(&url).await?))
}

/// The broker and presence record: in-process for one node, Redis for a
/// cluster.
async fn open_engine(
    settings: &Settings,
    node: NodeId,
) -> Result<(Arc<dyn Broker>, Arc<dyn Presence>), StartupError> {
    match &settings.redis_url {
        None => Ok((
            Arc::new(LocalBroker::new(node.clone())),
            Arc::new(MemoryPresence::new(node)),
        )),
        Some(url) => {
            let broker = confab_engine::bus::redis::RedisBroker::connect(url, node.clone())
                .await
                .map_err(|e| StartupError::Redis(e.to_string()))?;
            let presence = confab_engine::presence::redis::RedisPresence::connect(url, node)
                .await
                .map_err(|e| StartupError::Redis(e.to_string()))?;
            Ok((Arc::new(broker), Arc::new(presence)))
        }
    }
}

/// Each user's send allowance ([`Settings::send_rate`]): kept in this
/// process on one node, in Redis for a cluster (so a user's sends count
/// the same on every node).
fn flood_gate(settings: &Settings) -> Result<Arc<dyn FloodGate>, StartupError> {
    let rate = SendRate {
        rate: settings.send_rate,
        burst: settings.send_burst,
    };
    Ok(match (&settings.redis_url, rate.rate) {
        (_, 0) => Arc::new(confab_engine::flood::Open),
        (None, _) => Arc::new(MemoryFloodGate::new(rate)),
        (Some(url), _) => Arc::new(
            RedisFloodGate::new(url, "confab:", rate)
                .map_err(|e| StartupError::Redis(e.to_string()))?,
        ),
    })
}

impl Application {
    /// Opens the store, starts the hub and binds the listener; nothing is
    /// served until [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let dirs = std::iter::once(settings.data_dir.clone()).chain(settings.uploads_dir());
        for dir in dirs {
            std::fs::create_dir_all(&dir).map_err(|source| StartupError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let store = open_store(&settings).await?;
        // What an earlier run left half-done (a `.part` file, an upload whose
        // message failed) goes before anything is served.
        let uploads_dir = settings.uploads_dir();
        upload_files::sweep(
            store.as_ref(),
            uploads_dir.as_deref(),
            upload_files::SWEEP_GRACE,
        )
        .await;
        let uploads_freed = Arc::new(tokio::sync::Notify::new());
        let sweeper = tokio::spawn(upload_files::sweep_periodically(
            store.clone(),
            uploads_dir,
            uploads_freed.clone(),
        ));
        let listener =
            TcpListener::bind(&settings.listen).map_err(|source| StartupError::Listen {
                addr: settings.listen.clone(),
                source,
            })?;
        let metrics = Arc::new(Metrics::default());
        let node: NodeId = uuid::Uuid::new_v4().simple().to_string().into();
        let (broker, presence) = open_engine(&settings, node.clone()).await?;
        // The hub delivers what is committed from now on; resuming clients
        // read older entries from the store.
        let delivered = store.last_pos().await?;
        let (requests_tx, requests_rx) = tokio::sync::mpsc::channel(background::REQUEST_QUEUE);
        let (hub, hub_task) = hub::build(broker.clone(), metrics.clone(), delivered, requests_tx);
        let on_worker = Arc::new(WorkerTasks::default());
        let hub_task = on_worker.add(hub_task);
        let (writer, writer_task) = writer::spawn(
            store.clone(),
            broker.clone(),
            metrics.clone(),
            uploads_freed,
        );
        let sweep = settings.room_sweep().map(|every| (every, metrics.clone()));
        let online = Arc::new(OnlineBoard::default());
        let background = background::spawn(
            store.clone(),
            presence,
            hub.clone(),
            online.clone(),
            requests_rx,
            sweep,
        );
        let session_sweeper = crate::auth::session_ttl(&settings)
            .map(|ttl| background::sweep_sessions(store.clone(), ttl));
        let names_sweeper =
            background::sweep_deleted_names(store.clone(), crate::routes::NAME_RESERVED);
        tracing::info!(%node, "node started");
        let chat = Chat {
            store: store.clone(),
            writer,
            hub: hub.clone(),
            broker: broker.clone(),
            metrics: metrics.clone(),
            max_rooms_per_user: settings.max_rooms_per_user,
            flood: flood_gate(&settings)?,
            admins: crate::moderation::Admins::parse(&settings.admins)?,
            room_passwords: Default::default(),
        };
        let state = web::Data::new(AppState {
            store,
            hub,
            chat,
            broker,
            connections: Arc::new(Semaphore::new(settings.max_connections)),
            conn_caps: ConnectionCaps::new(
                settings.max_connections_per_user,
                settings.max_connections_per_ip,
            ),
            http_limits: HttpLimits::new(&settings),
            logins: Default::default(),
            online,
            settings: Arc::new(settings),
            metrics,
        });
        Ok(Self {
            listener,
            state,
            tasks: Tasks {
                on_worker,
                hub: hub_task,
                writer: writer_task,
                background,
                sweeper,
                session_sweeper,
                names_sweeper,
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Serves until `shutdown` resolves, then: every socket gets a system
    /// notice and close code 1001 (after what was already queued for it),
    /// HTTP requests in flight finish, and the store is closed. Messages are
    /// only ever acknowledged after their commit, so none is lost.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), StartupError> {
        let Self {
            listener,
            state,
            tasks,
        } = self;
        let app_state = state.clone();
        let site_dir = state.settings.site_dir.clone();
        let on_worker = tasks.on_worker.clone();
        let make_app = move || {
            on_worker.start_here();
            // The last `wrap` is the outermost: request bodies are held
            // around everything, ids are given before rate limiting.
            App::new()
                .app_data(app_state.clone())
                .configure(|cfg| routes::configure(cfg, site_dir.as_deref()))
                .wrap(actix_web::middleware::from_fn(limit_requests))
                .wrap(actix_web::middleware::from_fn(
                    crate::request_id::middleware,
                ))
                .wrap(actix_web::middleware::from_fn(
                    crate::unread_body::middleware,
                ))
        };
        let server = crate::upgrade::server(listener, make_app, state.clone())?;
        let handle = server.handle();
        let mut server_task = tokio::spawn(server);
        tracing::info!(addr = %state.settings.listen, "confab is serving");

        tokio::select! {
            () = shutdown => tracing::info!("shutting down"),
            ended = &mut server_task => {
                tracing::error!(?ended, "the HTTP server stopped on its own");
            }
        }
        tasks.sweeper.abort();
        tasks.names_sweeper.abort();
        state.hub.shutdown().await;
        // WebSockets are not actix's connections once upgraded
        // (crate::upgrade), so its graceful stop would not wait for them:
        // wait here until every connection has given its place back (each
        // socket answers what it was sent and closes with 1001, within
        // about 5 s), as actix waits for HTTP requests in flight. The
        // places are kept until the server has stopped: a connection
        // arriving meanwhile is refused (503) instead of opened for nothing.
        let every_place = u32::try_from(state.settings.max_connections).unwrap_or(u32::MAX);
        let _every_place_held = tokio::time::timeout(
            CONNECTIONS_CLOSE,
            state.connections.clone().acquire_many_owned(every_place),
        )
        .await;
        if let Some(sweeper) = &tasks.session_sweeper {
            sweeper.abort();
        }
        handle.stop(true).await;
        let _ = server_task.await;
        let _ = tasks.hub.await;
        // The last handles on the writer go with the app state: it commits
        // what is still queued (acked or answered, never dropped), then ends.
        let store = state.store.clone();
        drop(state);
        let _ = tasks.writer.await;
        let _ = tasks.background.await;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}
