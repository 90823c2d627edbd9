//! Uploads through `kontur_extern::contents` against a fake content service on loopback.

mod contents_support;

// Most tests send one part at a time (`.parts_in_flight(1)`), so the exact order of the requests
// the service sees can be asserted; the default, two in flight, has its own test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use contents_support::{FakeContentService, Faults, PatternReader, Seen, pattern};
use kontur_extern::contents::{ContentError, Contents, Progress, UploadCheckpoint, UploadSource};
use kontur_extern::transport::{RetryPolicy, Transport};
use uuid::Uuid;

const MIB: u64 = 1024 * 1024;
const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";

fn contents(server: &FakeContentService) -> Contents {
    let policy =
        RetryPolicy::default().with_base_delay(Duration::from_millis(5)).with_max_delay(Duration::from_millis(20));
    let raw = Transport::unauthenticated().retry_policy(policy).into_client(&server.base_url()).expect("a client");
    Contents::with_raw(raw, ACCOUNT.parse().unwrap())
}

fn ranges(seen: &[Seen]) -> Vec<(String, String, u16)> {
    seen.iter().map(|s| (s.method.clone(), s.range.clone().unwrap_or_default(), s.status)).collect()
}

fn expected(parts: &[(&str, &str, u16)]) -> Vec<(String, String, u16)> {
    parts.iter().map(|(method, range, status)| (method.to_string(), range.to_string(), *status)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_arrive_in_order_with_their_ranges_and_the_total_in_the_last() {
    let server = FakeContentService::start(0, Faults::default()).await;
    let len = 3 * MIB + 1000;
    let progress = Arc::new(Mutex::new(Vec::new()));
    let log = progress.clone();

    let id = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, len)))
        .parts_in_flight(1)
        .part_size(MIB as usize)
        .on_progress(move |p| log.lock().unwrap().push(p))
        .await
        .expect("the upload completes");

    assert_eq!(
        ranges(&server.seen()),
        expected(&[
            ("POST", "bytes 0-1048575/*", 200),
            ("PUT", "bytes 1048576-2097151/*", 200),
            ("PUT", "bytes 2097152-3145727/*", 200),
            ("PUT", "bytes 3145728-3146727/3146728", 201),
        ])
    );
    assert!(server.seen().iter().all(|seen| seen.intact), "every part holds the bytes of its range");
    assert_eq!(server.upload(id), Some((len, true, Some(len))), "the returned id is the completed upload");
    let done: Vec<u64> = progress.lock().unwrap().iter().map(|p: &Progress| p.done).collect();
    assert_eq!(done, [0, MIB, 2 * MIB, 3 * MIB, len]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_length_is_named_in_every_part() {
    let server = FakeContentService::start(0, Faults::default()).await;
    let len = 2 * MIB + 10;

    let id = contents(&server)
        .upload(pattern(0, len as usize))
        .parts_in_flight(1)
        .part_size(MIB as usize)
        .await
        .expect("uploaded");

    assert_eq!(
        ranges(&server.seen()),
        expected(&[
            ("POST", "bytes 0-1048575/2097162", 200),
            ("PUT", "bytes 1048576-2097151/2097162", 200),
            ("PUT", "bytes 2097152-2097161/2097162", 201),
        ])
    );
    assert_eq!(server.upload(id), Some((len, true, Some(len))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_ending_on_a_part_boundary_still_names_the_total_in_its_last_part() {
    let server = FakeContentService::start(0, Faults::default()).await;

    let id = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, 2 * MIB)))
        .parts_in_flight(1)
        .part_size(MIB as usize)
        .await
        .expect("uploaded");

    assert_eq!(
        ranges(&server.seen()),
        expected(&[("POST", "bytes 0-1048575/*", 200), ("PUT", "bytes 1048576-2097151/2097152", 201)])
    );
    assert_eq!(server.upload(id), Some((2 * MIB, true, Some(2 * MIB))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_and_empty_contents_go_in_one_request() {
    let server = FakeContentService::start(0, Faults::default()).await;

    let small = contents(&server).upload(pattern(0, 100)).parts_in_flight(1).await.expect("uploaded");
    let empty = contents(&server).upload(Vec::new()).parts_in_flight(1).await.expect("uploaded");

    assert_eq!(ranges(&server.seen()), expected(&[("POST", "bytes 0-99/100", 201), ("POST", "", 201)]));
    assert_eq!(server.upload(small), Some((100, true, Some(100))));
    assert_eq!(server.upload(empty), Some((0, true, Some(0))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_source_is_uploaded_in_parts() {
    let server = FakeContentService::start(0, Faults::default()).await;
    let len = MIB + 3;
    let stream = contents_support::pattern_stream(0, len);

    let id = contents(&server)
        .upload(UploadSource::stream(stream))
        .parts_in_flight(1)
        .part_size(MIB as usize)
        .await
        .expect("uploaded");

    assert_eq!(
        ranges(&server.seen()),
        expected(&[("POST", "bytes 0-1048575/*", 200), ("PUT", "bytes 1048576-1048578/1048579", 201)])
    );
    assert_eq!(server.upload(id), Some((len, true, Some(len))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_answered_503_is_sent_again_alone() {
    let faults = Faults { fail_upload_request: Some(2), ..Faults::default() };
    let server = FakeContentService::start(0, faults).await;
    let len = 4 * MIB;

    let id = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, len)))
        .parts_in_flight(1)
        .total_len(len)
        .part_size(MIB as usize)
        .await
        .expect("the upload completes after the retry");

    assert_eq!(
        ranges(&server.seen()),
        expected(&[
            ("POST", "bytes 0-1048575/4194304", 200),
            ("PUT", "bytes 1048576-2097151/4194304", 200),
            ("PUT", "bytes 2097152-3145727/4194304", 503),
            ("PUT", "bytes 2097152-3145727/4194304", 200),
            ("PUT", "bytes 3145728-4194303/4194304", 201),
        ]),
        "only the failed part is sent twice"
    );
    assert_eq!(server.upload(id), Some((len, true, Some(len))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_part_refused_before_its_body_was_read_is_read_on_and_sent_again_alone() {
    // A known length: parts are read from the source as they are sent. The service answers the
    // second part before reading it, so the rest of that part is read from the source and the
    // whole part is sent again from the bytes kept.
    let faults = Faults { refuse_upload_body: Some(1), ..Faults::default() };
    let server = FakeContentService::start(0, faults).await;
    let len = 3 * MIB;
    let checkpoints = Arc::new(Mutex::new(Vec::new()));
    let log = checkpoints.clone();

    let id = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, len)))
        .parts_in_flight(1)
        .total_len(len)
        .part_size(MIB as usize)
        .on_checkpoint(move |checkpoint| log.lock().unwrap().push(checkpoint.offset))
        .await
        .expect("the upload completes after the resend");

    assert_eq!(
        ranges(&server.seen()),
        expected(&[
            ("POST", "bytes 0-1048575/3145728", 200),
            ("PUT", "bytes 1048576-2097151/3145728", 503),
            ("PUT", "bytes 1048576-2097151/3145728", 200),
            ("PUT", "bytes 2097152-3145727/3145728", 201),
        ])
    );
    assert!(server.seen().iter().all(|seen| seen.intact), "the resent part holds the bytes of its range");
    assert_eq!(server.upload(id), Some((len, true, Some(len))));
    assert_eq!(*checkpoints.lock().unwrap(), [MIB, 2 * MIB, 3 * MIB]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_of_unknown_length_that_breaks_mid_part_fails_at_the_exact_byte_with_a_checkpoint_before() {
    let server = FakeContentService::start(0, Faults::default()).await;
    let checkpoints = Arc::new(Mutex::new(Vec::new()));
    let log = checkpoints.clone();

    let error = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, 4 * MIB).failing_at(MIB + MIB / 2)))
        .parts_in_flight(1)
        .part_size(MIB as usize)
        .on_checkpoint(move |checkpoint| log.lock().unwrap().push(checkpoint.offset))
        .await
        .expect_err("the source broke");

    assert!(matches!(error, ContentError::Read { offset, .. } if offset == MIB + MIB / 2), "{error:?}");
    assert_eq!(*checkpoints.lock().unwrap(), [MIB], "the first part was accepted, the broken one was not");
    assert_eq!(
        ranges(&server.seen()),
        expected(&[("POST", "bytes 0-1048575/*", 200)]),
        "the service never took the broken part"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_resumes_in_another_client_from_a_saved_checkpoint() {
    let server = FakeContentService::start(0, Faults::default()).await;
    let len = 4 * MIB;
    let saved = Arc::new(Mutex::new(None::<String>));
    let save = saved.clone();

    // The first process: its source breaks in the middle of the third part.
    let error = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, len).failing_at(2 * MIB + MIB / 2)))
        .parts_in_flight(1)
        .total_len(len)
        .part_size(MIB as usize)
        .on_checkpoint(move |checkpoint| *save.lock().unwrap() = Some(serde_json::to_string(checkpoint).unwrap()))
        .await
        .expect_err("the source broke");
    assert!(matches!(error, ContentError::Read { offset, .. } if offset == 2 * MIB + MIB / 2), "{error:?}");

    let checkpoint: UploadCheckpoint =
        serde_json::from_str(saved.lock().unwrap().as_deref().expect("a checkpoint")).unwrap();
    assert_eq!(checkpoint.offset, 2 * MIB, "two parts were accepted before the source broke");
    assert_eq!(checkpoint.total, Some(len));
    server.clear_seen();

    // A later process, with a new client, reads on from the checkpoint.
    let id = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(checkpoint.offset, len)))
        .parts_in_flight(1)
        .resume_from(checkpoint.clone())
        .part_size(MIB as usize)
        .await
        .expect("the upload completes");

    assert_eq!(id, checkpoint.content_id);
    assert_eq!(
        ranges(&server.seen()),
        expected(&[("PUT", "bytes 2097152-3145727/4194304", 200), ("PUT", "bytes 3145728-4194303/4194304", 201)]),
        "no new upload is started and no accepted byte is sent again"
    );
    assert_eq!(server.upload(id), Some((len, true, Some(len))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_parts_of_a_file_are_read_from_the_file_again_and_sent_alone() {
    // A file keeps no frames of the part on the wire: a failed part is read again from the file.
    // The second part is refused before its body was read; the third after it was.
    let faults = Faults { refuse_upload_body: Some(1), fail_upload_request: Some(3), ..Faults::default() };
    let server = FakeContentService::start(0, faults).await;
    let len = 4 * MIB;
    let path = std::env::temp_dir().join(format!("kontur-extern-contents-{}.bin", Uuid::new_v4()));
    std::fs::write(&path, pattern(0, len as usize)).unwrap();

    let id = contents(&server).upload(UploadSource::path(&path)).parts_in_flight(1).part_size(MIB as usize).await;
    std::fs::remove_file(&path).ok();
    let id = id.expect("the upload completes after the resends");

    assert_eq!(
        ranges(&server.seen()),
        expected(&[
            ("POST", "bytes 0-1048575/4194304", 200),
            ("PUT", "bytes 1048576-2097151/4194304", 503),
            ("PUT", "bytes 1048576-2097151/4194304", 200),
            ("PUT", "bytes 2097152-3145727/4194304", 503),
            ("PUT", "bytes 2097152-3145727/4194304", 200),
            ("PUT", "bytes 3145728-4194303/4194304", 201),
        ]),
        "only the failed parts are sent twice"
    );
    assert!(server.seen().iter().all(|seen| seen.intact), "each resent part holds the file's bytes of its range");
    assert_eq!(server.upload(id), Some((len, true, Some(len))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_upload_resumes_at_the_checkpoint_offset() {
    let server = FakeContentService::start(0, Faults::default()).await;
    let len = 3 * MIB + 7;
    let path = std::env::temp_dir().join(format!("kontur-extern-contents-{}.bin", Uuid::new_v4()));
    std::fs::write(&path, pattern(0, len as usize)).unwrap();

    // A process that stopped after the first part was accepted.
    let started = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, len).failing_at(MIB)))
        .parts_in_flight(1)
        .part_size(MIB as usize)
        .total_len(len);
    let checkpoints = Arc::new(Mutex::new(Vec::new()));
    let log = checkpoints.clone();
    let _ = started.on_checkpoint(move |c| log.lock().unwrap().push(c.clone())).await;
    let checkpoint = checkpoints.lock().unwrap().last().cloned().expect("the first part was accepted");
    assert_eq!(checkpoint.offset, MIB);
    server.clear_seen();

    let id = contents(&server)
        .upload(UploadSource::path(&path))
        .parts_in_flight(1)
        .resume_from(checkpoint.clone())
        .part_size(MIB as usize)
        .await
        .expect("the upload completes from the file");
    std::fs::remove_file(&path).ok();

    assert_eq!(id, checkpoint.content_id);
    assert_eq!(
        ranges(&server.seen()),
        expected(&[
            ("PUT", "bytes 1048576-2097151/3145735", 200),
            ("PUT", "bytes 2097152-3145727/3145735", 200),
            ("PUT", "bytes 3145728-3145734/3145735", 201),
        ])
    );
    assert_eq!(server.upload(id), Some((len, true, Some(len))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_refused_as_too_large_is_an_error_naming_the_part_size() {
    let faults = Faults { max_part: Some(MIB), ..Faults::default() };
    let server = FakeContentService::start(0, faults).await;

    let error = contents(&server)
        .upload(pattern(0, 3 * MIB as usize))
        .parts_in_flight(1)
        .part_size(2 * MIB as usize)
        .await
        .expect_err("the service refuses 2 MiB parts");

    let ContentError::PartTooLarge { part_size, source } = &error else {
        panic!("expected PartTooLarge, got {error:?}")
    };
    assert_eq!(*part_size, 2 * MIB);
    assert_eq!(source.status().map(|s| s.as_u16()), Some(413));
    assert_eq!(source.trace_id(), Some("fake-trace"));
    let message = error.to_string();
    assert!(message.contains("part of 2097152 bytes") && message.contains("413"), "{message}");
    assert!(message.contains("smaller part size"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_that_do_not_match_the_declared_length_and_bad_part_sizes_fail() {
    let server = FakeContentService::start(0, Faults::default()).await;

    let short = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, 100)))
        .parts_in_flight(1)
        .total_len(101)
        .await;
    assert!(
        matches!(short, Err(ContentError::LengthMismatch { declared: 101, actual: 100, more: false })),
        "{short:?}"
    );

    let long = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, 100)))
        .parts_in_flight(1)
        .total_len(99)
        .await;
    assert!(matches!(long, Err(ContentError::LengthMismatch { declared: 99, more: true, .. })), "{long:?}");

    let too_big = contents(&server).upload(pattern(0, 10)).parts_in_flight(1).part_size(65 * MIB as usize).await;
    assert!(matches!(too_big, Err(ContentError::InvalidSize { .. })), "{too_big:?}");
    assert!(
        server.seen().iter().all(|seen| !seen.range.as_deref().unwrap_or("").ends_with("/99")),
        "nothing past the declared length is sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_two_parts_are_in_flight_every_part_arrives_once_and_a_failed_one_is_sent_again() {
    let faults = Faults { fail_upload_request: Some(3), ..Faults::default() };
    let server = FakeContentService::start(0, faults).await;
    let len = 5 * MIB + 99;
    let checkpoints = Arc::new(Mutex::new(Vec::new()));
    let log = checkpoints.clone();

    let id = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, len)))
        .part_size(MIB as usize)
        .on_checkpoint(move |checkpoint| log.lock().unwrap().push(checkpoint.offset))
        .await
        .expect("the upload completes");

    let mut seen = ranges(&server.seen());
    assert_eq!(seen[0], ("POST".to_owned(), "bytes 0-1048575/*".to_owned(), 200), "the first part goes alone");
    seen.sort_by_key(|(_, range, _)| {
        range.trim_start_matches("bytes ").split('-').next().unwrap().parse::<u64>().unwrap()
    });
    let starts: Vec<&str> = seen.iter().map(|(_, range, _)| range.split('-').next().unwrap()).collect();
    let failed: Vec<&str> =
        seen.iter().filter(|(_, _, status)| *status == 503).map(|(_, range, _)| range.as_str()).collect();
    assert_eq!(failed.len(), 1, "one request was answered 503: {seen:?}");
    let mut once_each = starts.clone();
    once_each.dedup();
    assert_eq!(
        once_each,
        ["bytes 0", "bytes 1048576", "bytes 2097152", "bytes 3145728", "bytes 4194304", "bytes 5242880"],
        "every part arrives"
    );
    assert_eq!(starts.len(), once_each.len() + 1, "only the part answered 503 is sent again");
    let again: Vec<u16> =
        seen.iter().filter(|(_, range, _)| range == failed[0]).map(|(_, _, status)| *status).collect();
    assert!(again.len() == 2 && again.contains(&503) && again.iter().any(|status| *status < 300), "{again:?}");
    assert_eq!(seen.last().unwrap().1, "bytes 5242880-5242978/5242979");
    assert_eq!(server.upload(id), Some((len, true, Some(len))));
    assert_eq!(
        *checkpoints.lock().unwrap(),
        [MIB, 2 * MIB, 3 * MIB, 4 * MIB, 5 * MIB, len],
        "checkpoints advance in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_gets_time_to_move_its_bytes_on_top_of_the_deadline_and_a_stalled_part_is_still_cut_off() {
    // The transport gives a whole call 300 ms; a part of 256 KiB gets 2 s more (the time to move
    // it at the slowest rate the module allows), on its attempt and on its deadline alike.
    let faults = Faults { answer_upload_after: Some(Duration::from_millis(800)), ..Faults::default() };
    let server = FakeContentService::start(0, faults).await;
    let raw = Transport::unauthenticated()
        .deadline(Duration::from_millis(300))
        .first_byte_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .into_client(&server.base_url())
        .expect("a client");
    let contents = Contents::with_raw(raw, ACCOUNT.parse().unwrap());
    let len = 256 * 1024;

    let id = contents.upload(pattern(0, len)).await.expect("a part that is still moving is not cut off");
    assert_eq!(server.upload(id), Some((len as u64, true, Some(len as u64))));

    // 64 KiB get 1 s more: an answer 3 s late is past both limits.
    server.set_faults(Faults { answer_upload_after: Some(Duration::from_secs(3)), ..Faults::default() });
    let started = std::time::Instant::now();
    let error = contents.upload(pattern(0, 64 * 1024)).await.expect_err("a stalled part fails");
    assert!(started.elapsed() < Duration::from_millis(2500), "cut off after {:?}", started.elapsed());
    assert!(error.to_string().contains("upload_content"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_four_parts_in_flight_every_part_arrives_once_and_checkpoints_advance_in_order() {
    let server = FakeContentService::start(0, Faults::default()).await;
    let len = 9 * MIB + 5;
    let checkpoints = Arc::new(Mutex::new(Vec::new()));
    let log = checkpoints.clone();

    let id = contents(&server)
        .upload(UploadSource::reader(PatternReader::new(0, len)))
        .total_len(len)
        .part_size(MIB as usize)
        .parts_in_flight(4)
        .on_checkpoint(move |checkpoint| log.lock().unwrap().push(checkpoint.offset))
        .await
        .expect("the upload completes");

    let mut starts: Vec<u64> = server
        .seen()
        .iter()
        .map(|seen| {
            seen.range.as_deref().unwrap().trim_start_matches("bytes ").split('-').next().unwrap().parse().unwrap()
        })
        .collect();
    starts.sort();
    assert_eq!(starts, (0..10).map(|part| part * MIB).collect::<Vec<_>>(), "every part once");
    assert_eq!(server.upload(id), Some((len, true, Some(len))));
    let expected: Vec<u64> = (1..10).map(|part| part * MIB).chain([len]).collect();
    assert_eq!(*checkpoints.lock().unwrap(), expected, "checkpoints advance in order");
}
