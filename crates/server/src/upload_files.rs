//! Upload files on disk (or blobs in the database): durable writes, removal
//! of what no message ended up referring to, and the sweep that catches
//! what a crash or a failed post left behind.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use confab_engine::store::Store;
use confab_shared::Timestamp;
use tokio::io::AsyncWriteExt as _;

use crate::image_kind::ImageKind;

/// How old an unreferenced file or `.part` must be before the sweep takes
/// it: younger ones may be an upload still on its way to its message (on
/// this node or another sharing the directory).
pub const SWEEP_GRACE: Duration = Duration::from_secs(10 * 60);
/// How often the sweep runs after the one at startup.
pub const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);
/// Orphan records handled per store query.
const SWEEP_BATCH: u32 = 500;

/// The image kind of a name the server itself chose (`<32 lowercase
/// hex>.<ext>`), or `None` for any other name.
pub fn upload_name(name: &str) -> Option<ImageKind> {
    let (stem, ext) = name.split_once('.')?;
    let ours = stem.len() == 32
        && stem
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if !ours {
        return None;
    }
    ImageKind::from_extension(ext)
}

/// Writes the file durably before the message that points at it can be
/// acknowledged: temp name, fsync, rename, then fsync of the directory so
/// the rename itself survives a crash. Nothing is left behind on failure.
pub async fn store_file(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.part"));
    let written = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(data).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, dir.join(name)).await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    sync_dir(dir).await
}

async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
        .await
        .map_err(std::io::Error::other)?
}

/// Removes an upload no message refers to: its file (if kept on disk) and
/// its record and blob.
pub async fn discard(store: &dyn Store, dir: Option<&Path>, name: &str) {
    if let Some(dir) = dir {
        match tokio::fs::remove_file(dir.join(name)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, name, "cannot remove an unused upload"),
        }
    }
    if let Err(e) = store.forget_upload(name).await {
        tracing::warn!(error = %e, name, "cannot forget an unused upload");
    }
}

fn older_than(meta: &std::fs::Metadata, grace: Duration) -> bool {
    meta.modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_some_and(|age| age > grace)
}

/// Removes what no message refers to and is older than `grace`: recorded
/// uploads without a message, `.part` files of interrupted writes, and
/// files the server named but never recorded. Returns how many it removed.
pub async fn sweep(store: &dyn Store, dir: Option<&Path>, grace: Duration) -> usize {
    let mut removed = sweep_records(store, dir, grace).await;
    if let Some(dir) = dir {
        removed += sweep_dir(store, dir, grace).await;
    }
    if removed > 0 {
        tracing::info!(removed, "removed orphan uploads");
    }
    removed
}

/// The recorded part of [`sweep`]: uploads no message refers to, older
/// than `grace` or removed with their last message (whatever their age).
async fn sweep_records(store: &dyn Store, dir: Option<&Path>, grace: Duration) -> usize {
    let mut removed = 0;
    let before = Timestamp::now().millis() - i64::try_from(grace.as_millis()).unwrap_or(0);
    // Bounded: each round removes what it found, so the next finds others.
    for _ in 0..100 {
        let names = match store.orphan_uploads(before, SWEEP_BATCH).await {
            Ok(names) => names,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for orphan uploads");
                break;
            }
        };
        for name in &names {
            discard(store, dir, name).await;
        }
        removed += names.len();
        if names.len() < SWEEP_BATCH as usize {
            break;
        }
    }
    removed
}

async fn sweep_dir(store: &dyn Store, dir: &Path, grace: Duration) -> usize {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the uploads directory");
            return 0;
        }
    };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stray_part = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".part"))
            .is_some_and(|n| upload_name(n).is_some());
        let ours = upload_name(&name).is_some();
        if !stray_part && !ours {
            continue; // not a name this server would have chosen: not ours
        }
        let Ok(meta) = entry.metadata().await else {
            continue;
        };
        if !meta.is_file() || !older_than(&meta, grace) {
            continue;
        }
        // A recorded upload is judged by its message (above), not here.
        if ours && !matches!(store.upload_room(&name).await, Ok(None)) {
            continue;
        }
        if tokio::fs::remove_file(entry.path()).await.is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Sweeps every [`SWEEP_EVERY`] until aborted.
///
/// `freed` wakes it early: the writer signals it when a committed deletion
/// may have left an upload without a message, so that its file goes at
/// once instead of at the next tick (signals during a sweep coalesce into
/// one more sweep of the records only).
pub async fn sweep_periodically(
    store: std::sync::Arc<dyn Store>,
    dir: Option<PathBuf>,
    freed: std::sync::Arc<tokio::sync::Notify>,
) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first sweep ran at startup
    loop {
        tokio::select! {
            _ = tick.tick() => {
                sweep(store.as_ref(), dir.as_deref(), SWEEP_GRACE).await;
            }
            () = freed.notified() => {
                let removed = sweep_records(store.as_ref(), dir.as_deref(), SWEEP_GRACE).await;
                if removed > 0 {
                    tracing::info!(removed, "removed the uploads of deleted messages");
                }
            }
        }
    }
}
