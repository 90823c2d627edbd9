//! The main job (`examples/file_report.rs`), run in-process on the sandbox: every robot's path
//! finishes as the robot decides, everything is saved, and a second run goes on from the cursor
//! the first one left. A docflow that never finishes makes the job fail.

#[allow(dead_code)]
#[path = "../examples/file_report.rs"]
mod file_report;

use std::path::Path;

use kontur_extern::events::{CursorStore, FileCursorStore};
use kontur_extern::raw::types;

fn options(state_dir: &Path, extra: &[&str]) -> file_report::Options {
    let mut args = vec!["--state-dir".to_owned(), state_dir.display().to_string()];
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    let mut options = file_report::parse_options(args.into_iter()).expect("valid arguments");
    options.stand_from_environment = false;
    options
}

/// Every document and signature of the docflow is in the folder, and the docflow beside them.
fn assert_saved(docflow: &types::Docflow, folder: &Path) {
    let saved: types::Docflow =
        serde_json::from_slice(&std::fs::read(folder.join("docflow.json")).expect("docflow.json")).unwrap();
    assert_eq!(saved.id, docflow.id);
    let files: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let signatures: usize = docflow.documents.iter().map(|document| document.signatures.len()).sum();
    assert_eq!(files.len(), docflow.documents.len() + signatures + 1, "{files:?}");
    for (index, document) in docflow.documents.iter().enumerate() {
        let prefix = format!("{:02}-", index + 1);
        let content = files
            .iter()
            .find(|name| name.starts_with(&prefix) && !name.ends_with(".sig"))
            .unwrap_or_else(|| panic!("document {} saved as {prefix}…", document.id));
        let size = std::fs::metadata(folder.join(content)).unwrap().len();
        let listed = document.description.as_ref().and_then(|description| description.decrypted_content_size);
        assert_eq!(Some(size as i64), listed, "{content} has the listed size");
        for number in 1..=document.signatures.len() {
            let signature = folder.join(format!("{content}.{number}.sig"));
            assert!(std::fs::metadata(&signature).unwrap().len() > 0, "{} is not empty", signature.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_robot_path_finishes_saved_and_the_next_run_goes_on_from_the_cursor() {
    let state = tempfile::tempdir().unwrap();
    let report =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/reports/NO_USN_7700000087770001001_2025.xml"))
            .unwrap();
    let cursor_file = state.path().join("events-sandbox.cursor");
    let mut cursors = Vec::new();
    for (robot, outcome, regulator_documents) in [
        ("0087", "urn:docflow-state:successful", 3),
        ("0088", "urn:docflow-state:failed", 2),
        ("0085", "urn:docflow-state:warning", 3),
    ] {
        let done = file_report::run(options(state.path(), &["--robot", robot]))
            .await
            .unwrap_or_else(|failure| panic!("robot {robot}: {failure}"));
        let docflow = &done.docflow;
        assert_eq!(docflow.status.as_ref().map(|status| status.as_str()), Some("urn:docflow-common-status:finished"));
        assert_eq!(docflow.success_state.as_ref().map(|state| state.as_str()), Some(outcome), "robot {robot}");
        // The report, then each regulator document followed by our receipt to it.
        assert_eq!(docflow.documents.len(), 1 + 2 * regulator_documents, "robot {robot}");
        assert!(docflow.awaited_replies().is_empty());
        assert_eq!(done.folder, state.path().join(docflow.id.to_string()));
        assert_saved(docflow, &done.folder);
        let sent = std::fs::read_dir(&done.folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| {
                path.file_name().unwrap().to_string_lossy().starts_with("01-")
                    && path.extension().is_some_and(|e| e == "xml")
            })
            .expect("the report is saved first");
        assert_eq!(std::fs::read(sent).unwrap(), report, "robot {robot}: the report comes back as sent");
        cursors.push(FileCursorStore::new(&cursor_file).load().await.unwrap().expect("the cursor is kept"));
    }
    // Each run committed the feed past its own docflow, so the next one started further on.
    assert!(cursors.windows(2).all(|pair| pair[0] != pair[1]), "{cursors:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_docflow_that_does_not_finish_fails_the_job() {
    let state = tempfile::tempdir().unwrap();
    // No robot answers office 7799: the docflow stays sent.
    let failure = match file_report::run(options(state.path(), &["--robot", "7799", "--timeout", "2"])).await {
        Ok(done) => panic!("the job succeeded with docflow {}", done.docflow.id),
        Err(failure) => failure.to_string(),
    };
    assert!(failure.starts_with("following the docflow failed"), "{failure}");
    assert!(failure.contains("did not finish within 2 s"), "{failure}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signature_given_on_the_command_line_signs_the_report() {
    let state = tempfile::tempdir().unwrap();
    let signature_file = state.path().join("report.sig");
    std::fs::write(&signature_file, b"detached CMS signature made elsewhere").unwrap();
    let signature = signature_file.display().to_string();
    let done = file_report::run(options(state.path(), &["--signature", &signature]))
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_saved(&done.docflow, &done.folder);
    let report_signature = std::fs::read_dir(&done.folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("01-") && name.ends_with(".1.sig")
        })
        .expect("the report's signature is saved");
    assert_eq!(std::fs::read(report_signature).unwrap(), b"detached CMS signature made elsewhere");
}
