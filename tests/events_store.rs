//! Cursor stores: the file store replaces its file atomically, so a crash leaves the old cursor
//! or the new one, never a torn file.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kontur_extern::events::{CursorStore, EventCursor, FileCursorStore, FileStoreError, MemoryCursorStore};

const CHILD_ENV: &str = "KONTUR_EXTERN_EVENTS_CRASH_FILE";

fn cursor(n: u64) -> EventCursor {
    EventCursor::new(format!("ae1_{n}")).unwrap()
}

#[tokio::test]
async fn the_file_store_keeps_the_last_saved_cursor() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.cursor");
    let store = FileCursorStore::new(&path);
    assert_eq!(store.load().await.unwrap(), None, "no file yet: start of the feed");
    store.save(&cursor(1)).await.unwrap();
    store.save(&cursor(2)).await.unwrap();
    assert_eq!(FileCursorStore::new(&path).load().await.unwrap(), Some(cursor(2)));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "ae1_2\n");
    let leftovers: Vec<_> =
        std::fs::read_dir(directory.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["events.cursor"], "no temporary file left behind");
}

#[tokio::test]
async fn a_half_written_temporary_file_from_a_crash_changes_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.cursor");
    let store = FileCursorStore::new(&path);
    store.save(&cursor(7)).await.unwrap();
    // What a crash in the middle of writing the next cursor leaves.
    std::fs::write(directory.path().join(".events.cursor.tmp"), "ae1_").unwrap();
    assert_eq!(store.load().await.unwrap(), Some(cursor(7)));
    store.save(&cursor(8)).await.unwrap();
    assert_eq!(store.load().await.unwrap(), Some(cursor(8)));
}

#[tokio::test]
async fn a_file_that_holds_no_cursor_is_an_error_not_a_fresh_start() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.cursor");
    std::fs::write(&path, "").unwrap();
    let error = FileCursorStore::new(&path).load().await.unwrap_err();
    assert!(matches!(error, FileStoreError::Corrupt { .. }), "{error}");
    assert!(error.to_string().contains("events.cursor"), "{error}");
}

#[tokio::test]
async fn saving_into_a_missing_directory_fails_and_names_the_file() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("absent").join("events.cursor");
    let error = FileCursorStore::new(&path).save(&cursor(1)).await.unwrap_err();
    assert!(matches!(error, FileStoreError::Io { .. }), "{error}");
    assert!(error.to_string().contains("events.cursor"), "{error}");
}

#[tokio::test]
async fn the_memory_store_starts_empty_or_where_told() {
    assert_eq!(MemoryCursorStore::new().load().await.unwrap(), None);
    let store = MemoryCursorStore::starting_at(cursor(3));
    assert_eq!(store.load().await.unwrap(), Some(cursor(3)));
    store.save(&cursor(4)).await.unwrap();
    assert_eq!(store.cursor(), Some(cursor(4)));
}

/// Kills a process that saves cursors as fast as it can, at several moments, and reads the file
/// after each kill: it must hold a whole cursor the process saved, and saving must go on.
#[test]
fn the_file_store_survives_a_crash_during_save() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.cursor");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut last_seen = 0u64;
    for round in 0..40u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "saving_cursors_until_killed", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the test binary runs again as the child");
        wait_until_saved_past(&path, last_seen);
        // Kill at different moments of the save loop.
        std::thread::sleep(Duration::from_micros(250 * (round % 9)));
        child.kill().unwrap();
        child.wait().unwrap();

        let text = std::fs::read_to_string(&path).expect("the cursor file exists after the kill");
        let n: u64 = text
            .strip_prefix("ae1_")
            .and_then(|rest| rest.strip_suffix('\n'))
            .and_then(|number| number.parse().ok())
            .unwrap_or_else(|| panic!("torn cursor file after round {round}: {text:?}"));
        assert!(n >= last_seen, "the cursor went back from {last_seen} to {n}");
        let loaded = runtime.block_on(FileCursorStore::new(&path).load()).unwrap();
        assert_eq!(loaded, Some(cursor(n)));
        last_seen = n;
    }
    runtime.block_on(FileCursorStore::new(&path).save(&cursor(u64::MAX))).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("ae1_{}\n", u64::MAX));
}

fn wait_until_saved_past(path: &Path, last_seen: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let saved = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.trim_end().strip_prefix("ae1_").and_then(|n| n.parse::<u64>().ok()));
        if saved.is_some_and(|n| n > last_seen) {
            return;
        }
        assert!(Instant::now() < deadline, "the child never saved");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The child of [`the_file_store_survives_a_crash_during_save`]: saves ever larger cursors,
/// continuing from the file's, until killed. Does nothing unless started by that test.
#[tokio::test]
#[ignore = "run by the_file_store_survives_a_crash_during_save as a child process"]
async fn saving_cursors_until_killed() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let store = FileCursorStore::new(path);
    let mut n = match store.load().await.unwrap() {
        Some(saved) => saved.as_str().trim_start_matches("ae1_").parse::<u64>().unwrap(),
        None => 0,
    };
    loop {
        n += 1;
        store.save(&cursor(n)).await.unwrap();
    }
}
