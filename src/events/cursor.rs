//! Where the feed is read from, and where the consumer keeps that place between runs.

use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The cursor that starts the feed at its very first event.
const START: &str = "0_0";

/// A position in the events feed: read from here to get the events after it.
///
/// Cursors are opaque strings issued by the API (`ae1_143`); [`EventCursor::start`] (`0_0`) is
/// the beginning of the feed. Every event's [`id`](super::Event::id) is a cursor too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventCursor(String);

impl EventCursor {
    /// The beginning of the feed (`0_0`): every event the integrator may read.
    pub fn start() -> Self {
        Self(START.to_owned())
    }

    /// A cursor as the API issued it (from `next-event-id`, or an event's id).
    ///
    /// Fails on text that cannot be a cursor: empty, or holding whitespace or control characters
    /// (which a store would not keep intact).
    pub fn new(text: impl Into<String>) -> Result<Self, InvalidCursor> {
        let text = text.into();
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidCursor(text));
        }
        Ok(Self(text))
    }

    /// The cursor as sent in `fromId`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for EventCursor {
    /// [`EventCursor::start`].
    fn default() -> Self {
        Self::start()
    }
}

impl fmt::Display for EventCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EventCursor {
    type Err = InvalidCursor;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::new(text)
    }
}

/// Text that cannot be an events cursor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an events cursor (empty, or holds whitespace or control characters)")]
pub struct InvalidCursor(pub String);

/// Keeps the cursor of the last batch the consumer handled, so a restart goes on from there.
///
/// [`save`](Self::save) is called only when the consumer commits a batch; [`load`](Self::load)
/// once, when a feed starts. Implement it over a database row, a key-value store and so on; a
/// store must make `save` durable before it returns, or a crash may replay more events (never
/// lose them, as long as an older cursor is kept rather than a broken one).
pub trait CursorStore: Send + Sync + 'static {
    /// Why loading or saving failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The saved cursor; `None` when nothing was saved yet (the feed then starts at `0_0`).
    fn load(&self) -> impl Future<Output = Result<Option<EventCursor>, Self::Error>> + Send;

    /// Replaces the saved cursor.
    fn save(&self, cursor: &EventCursor) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// A shared store: the feed and the code that started it can both reach it.
impl<S: CursorStore> CursorStore for std::sync::Arc<S> {
    type Error = S::Error;

    fn load(&self) -> impl Future<Output = Result<Option<EventCursor>, Self::Error>> + Send {
        S::load(self)
    }

    fn save(&self, cursor: &EventCursor) -> impl Future<Output = Result<(), Self::Error>> + Send {
        S::save(self, cursor)
    }
}

/// A cursor kept in memory: for tests, and for consumers that start from a given cursor and keep
/// their place elsewhere (read it back with [`cursor`](Self::cursor)).
#[derive(Debug, Default)]
pub struct MemoryCursorStore {
    cursor: Mutex<Option<EventCursor>>,
}

impl MemoryCursorStore {
    /// An empty store: the feed starts at `0_0`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that already holds `cursor`: the feed starts there.
    pub fn starting_at(cursor: EventCursor) -> Self {
        Self { cursor: Mutex::new(Some(cursor)) }
    }

    /// The cursor saved last.
    pub fn cursor(&self) -> Option<EventCursor> {
        self.cursor.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

impl CursorStore for MemoryCursorStore {
    type Error = std::convert::Infallible;

    async fn load(&self) -> Result<Option<EventCursor>, Self::Error> {
        Ok(self.cursor())
    }

    async fn save(&self, cursor: &EventCursor) -> Result<(), Self::Error> {
        *self.cursor.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cursor.clone());
        Ok(())
    }
}

/// A cursor kept in a file, replaced atomically: after a crash at any instant the file holds the
/// old cursor or the new one, never a mix or nothing.
///
/// `save` writes the cursor to a temporary file beside the target (`.<name>.tmp`), flushes it to
/// disk, renames it over the target and (on Unix) flushes the directory, so the rename itself
/// survives a power cut. The file holds the cursor and a newline. One store per file: two writers
/// of one file would share the temporary name.
#[derive(Clone, Debug)]
pub struct FileCursorStore {
    path: PathBuf,
}

impl FileCursorStore {
    /// A store writing `path`; its directory must exist. Nothing is read or written yet.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file holding the cursor.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Why a [`FileCursorStore`] could not load or save.
#[derive(Debug, thiserror::Error)]
pub enum FileStoreError {
    /// Reading, writing, flushing or renaming failed.
    #[error("cursor file {path}: {source}")]
    Io {
        /// The cursor file (or its temporary file) concerned.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The file exists but does not hold a cursor (it was not written by this store).
    #[error("cursor file {path} does not hold a cursor: {source}")]
    Corrupt {
        /// The cursor file.
        path: PathBuf,
        /// What is wrong with its text.
        #[source]
        source: InvalidCursor,
    },
}

impl CursorStore for FileCursorStore {
    type Error = FileStoreError;

    async fn load(&self) -> Result<Option<EventCursor>, Self::Error> {
        let path = self.path.clone();
        blocking(move || read_cursor(&path)).await
    }

    async fn save(&self, cursor: &EventCursor) -> Result<(), Self::Error> {
        let path = self.path.clone();
        let cursor = cursor.clone();
        blocking(move || write_cursor(&path, &cursor)).await
    }
}

/// Runs file work off the async threads; a panic in it is reported as an I/O error.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FileStoreError> + Send + 'static,
) -> Result<T, FileStoreError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|joined| {
        Err(FileStoreError::Io { path: PathBuf::new(), source: io::Error::other(joined.to_string()) })
    })
}

fn read_cursor(path: &Path) -> Result<Option<EventCursor>, FileStoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(FileStoreError::Io { path: path.to_owned(), source });
        }
    };
    let line = text.strip_suffix('\n').unwrap_or(&text);
    EventCursor::new(line).map(Some).map_err(|source| FileStoreError::Corrupt { path: path.to_owned(), source })
}

/// The temporary file `save` writes before renaming: in the same directory, so the rename is atomic.
pub(crate) fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

fn write_cursor(path: &Path, cursor: &EventCursor) -> Result<(), FileStoreError> {
    let temporary = temporary_path(path);
    if let Err(error) = write_synced(&temporary, cursor) {
        // A half-written temporary file is harmless (the next save truncates it); tidy up anyway.
        let _ = std::fs::remove_file(&temporary);
        return Err(io_failure(&temporary)(error));
    }
    std::fs::rename(&temporary, path).map_err(io_failure(path))?;
    sync_directory(path).map_err(io_failure(path))
}

fn write_synced(path: &Path, cursor: &EventCursor) -> io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(format!("{cursor}\n").as_bytes())?;
    file.sync_all()
}

fn io_failure(path: &Path) -> impl FnOnce(io::Error) -> FileStoreError {
    let path = path.to_owned();
    move |source| FileStoreError::Io { path, source }
}

/// Flushes the directory entry of `path`, so the rename is on disk too.
#[cfg(unix)]
fn sync_directory(path: &Path) -> io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::File::open(directory)?.sync_all()
}

/// Directories cannot be opened for flushing here; the rename is as durable as the platform makes it.
#[cfg(not(unix))]
fn sync_directory(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_reject_text_a_file_would_not_keep() {
        assert!(EventCursor::new("ae1_143").is_ok());
        assert!(EventCursor::new("").is_err());
        assert!(EventCursor::new("ae1 143").is_err());
        assert!(EventCursor::new("ae1_143\n").is_err());
    }

    #[test]
    fn temporary_file_sits_beside_the_target() {
        let temporary = temporary_path(Path::new("/var/lib/app/events.cursor"));
        assert_eq!(temporary, Path::new("/var/lib/app/.events.cursor.tmp"));
    }
}
