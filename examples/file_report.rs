//! The main job: file a report to FNS end to end and keep everything that came back.
//!
//! `cargo run --example file_report [-- OPTIONS]` starts a local Extern (the sandbox, in this
//! process) unless `KONTUR_EXTERN_API_URL` names a real stand, then: logs in; uploads the sample
//! report (`examples/reports/`) with a progress line; creates a draft to the test robot with
//! sender, recipient and payer; adds the document; signs it in the cloud with the SMS code read
//! through the test tools (or with `--signature FILE`); checks, prepares and sends it through
//! tasks; follows the events feed (its cursor kept in a file, so the next run goes on where this
//! one stopped), answering every receipt the regulator asks for from the docflow's `reply` links;
//! and once the docflow is finished, saves every document and signature into a folder.
//!
//! Robots: `0087` accepts (the default), `0088` rejects, `0085` asks for clarification. The run
//! fails (exit code 1, naming the step, and the operation, HTTP status and trace id of a failed
//! call) when anything goes wrong, including a docflow that does not end as its robot should.

use std::collections::HashSet;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use kontur_extern::cloud::{AwaitingCode, CloudOutcome, SignedDocuments, Started};
use kontur_extern::contents::{Download, Progress, UploadSource};
use kontur_extern::events::{CursorStore, FeedPolicy, FileCursorStore};
use kontur_extern::handles::{AccountHandle, DocflowHandle, NewDraft, StartedReply};
use kontur_extern::ids::AccountId;
use kontur_extern::raw::types::{
    self, Base64Bytes, DraftDocumentDescription, DraftDocumentRequest, DraftPayer, DraftRecipient, DraftSender,
    PayerOrganization, PublicKeyCertificate,
};
use kontur_extern::tasks::{SendOutcome, WaitPolicy};
use kontur_extern::vocab::{DocflowStatus, SuccessState};
use kontur_extern::{Client, Environment};
use kontur_extern_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use secrecy::SecretString;

const USAGE: &str = "\
usage: cargo run --example file_report -- [--robot CODE] [--report FILE] [--signature FILE]
                                          [--certificate FILE] [--state-dir DIR] [--speed N] [--timeout SECS]

  --robot CODE        FNS office (test robot) to file to: 0087 accepts (default), 0088 rejects,
                      0085 asks for clarification
  --report FILE       the report to file (default: the sample in examples/reports/)
  --signature FILE    a detached CMS signature of the report, instead of signing it in the cloud
                      (receipts are still signed in the cloud: FNS takes them without an SMS code)
  --certificate FILE  the signer's certificate (DER) that goes with --signature
                      (default: the account's cloud certificate)
  --state-dir DIR     where the events cursor, the sandbox's state and the saved docflows live
                      (default: target/file_report)
  --speed N           how many times faster than real time the sandbox's robots work (default 100)
  --timeout SECS      give up when the docflow has not finished by then
                      (default: 60 on the sandbox, 3600 on a real stand)

A real stand instead of the sandbox: set KONTUR_EXTERN_API_URL, KONTUR_EXTERN_IDENTITY_URL,
KONTUR_EXTERN_CLIENT_ID, KONTUR_EXTERN_API_KEY, KONTUR_EXTERN_LOGIN, KONTUR_EXTERN_PASSWORD and
KONTUR_EXTERN_ACCOUNT_ID.";

/// The sample report shipped with the example.
const SAMPLE_REPORT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/reports/NO_USN_7700000087770001001_2025.xml");

/// The variables that point the job at a real stand.
const STAND_VARIABLES: [&str; 7] = [
    "KONTUR_EXTERN_API_URL",
    "KONTUR_EXTERN_IDENTITY_URL",
    "KONTUR_EXTERN_CLIENT_ID",
    "KONTUR_EXTERN_API_KEY",
    "KONTUR_EXTERN_LOGIN",
    "KONTUR_EXTERN_PASSWORD",
    "KONTUR_EXTERN_ACCOUNT_ID",
];

/// What the job does; `tests/main_job.rs` runs it in-process too.
#[derive(Debug)]
pub(crate) struct Options {
    robot: String,
    report: PathBuf,
    signature: Option<PathBuf>,
    certificate: Option<PathBuf>,
    state_dir: PathBuf,
    speed: f64,
    timeout: Option<Duration>,
    /// Whether `KONTUR_EXTERN_API_URL` may send the job to a real stand (not in tests).
    pub(crate) stand_from_environment: bool,
}

pub(crate) fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        robot: "0087".to_owned(),
        report: PathBuf::from(SAMPLE_REPORT),
        signature: None,
        certificate: None,
        state_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("file_report"),
        speed: kontur_extern_sandbox::DEFAULT_SPEED,
        timeout: None,
        stand_from_environment: true,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"));
        match flag.as_str() {
            "--robot" => options.robot = value()?,
            "--report" => options.report = value()?.into(),
            "--signature" => options.signature = Some(value()?.into()),
            "--certificate" => options.certificate = Some(value()?.into()),
            "--state-dir" => options.state_dir = value()?.into(),
            "--speed" => {
                let text = value()?;
                options.speed = text
                    .parse::<f64>()
                    .ok()
                    .filter(|speed| speed.is_finite() && *speed > 0.0)
                    .ok_or_else(|| format!("--speed {text}: a number above 0"))?;
            }
            "--timeout" => {
                let text = value()?;
                let seconds = text.parse::<u64>().map_err(|_| format!("--timeout {text}: whole seconds"))?;
                options.timeout = Some(Duration::from_secs(seconds));
            }
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
        }
    }
    if options.robot.trim().is_empty() {
        return Err("--robot needs an FNS office code such as 0087".to_owned());
    }
    if options.certificate.is_some() && options.signature.is_none() {
        return Err("--certificate goes with --signature".to_owned());
    }
    Ok(options)
}

/// A step of the job that failed, and why.
pub(crate) struct Failure {
    step: String,
    source: Box<dyn std::error::Error>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed: {}", self.step, self.source)?;
        let mut cause = self.source.source();
        while let Some(error) = cause {
            write!(f, "\n  caused by: {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

/// Names the step a fallible call belongs to.
trait Step<T> {
    fn step(self, step: impl Into<String>) -> Result<T, Failure>;
}

impl<T, E: Into<Box<dyn std::error::Error>>> Step<T> for Result<T, E> {
    fn step(self, step: impl Into<String>) -> Result<T, Failure> {
        self.map_err(|source| Failure { step: step.into(), source: source.into() })
    }
}

fn failure(step: impl Into<String>, message: impl Into<String>) -> Failure {
    Failure { step: step.into(), source: message.into().into() }
}

/// Prints each line with the time since the start, so the run reads as a timeline.
struct Timeline {
    start: Instant,
}

impl Timeline {
    fn say(&self, text: impl AsRef<str>) {
        println!("[{:>6.2}s] {}", self.start.elapsed().as_secs_f64(), text.as_ref());
    }

    fn detail(&self, text: impl AsRef<str>) {
        println!("          {}", text.as_ref());
    }
}

/// A progress line for a transfer: rewritten in place on a terminal (`label: done/total bytes
/// (nn%)`), printed once when complete otherwise (logs, CI).
#[derive(Clone)]
struct ProgressLine {
    label: String,
    terminal: bool,
    last: Arc<Mutex<Option<Progress>>>,
}

impl ProgressLine {
    fn new(label: String) -> Self {
        Self { label, terminal: std::io::stdout().is_terminal(), last: Arc::default() }
    }

    fn render(&self, progress: Progress) -> String {
        let percent = progress.fraction().map(|fraction| format!(" ({:.0}%)", fraction * 100.0)).unwrap_or_default();
        let total = progress.total.map(|total| format!("/{total}")).unwrap_or_default();
        format!("          {}: {}{total} bytes{percent}", self.label, progress.done)
    }

    /// The callback a transfer reports to.
    fn callback(&self) -> impl Fn(Progress) + Send + Sync + 'static {
        let line = self.clone();
        move |progress: Progress| {
            *line.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(progress);
            if line.terminal {
                let mut out = std::io::stdout().lock();
                let _ = write!(out, "\r{}", line.render(progress));
                let _ = out.flush();
            }
        }
    }

    /// Ends the line once the transfer is over.
    fn finish(&self) {
        let last = *self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match (self.terminal, last) {
            (true, Some(_)) => println!(),
            (false, Some(progress)) => println!("{}", self.render(progress)),
            (_, None) => {}
        }
    }
}

/// Where the job runs: the sandbox in this process, or a real stand.
enum Stand {
    Sandbox(SandboxHandle),
    Remote,
}

struct Login {
    client: Client,
    account: AccountId,
    stand: Stand,
    cursor_file: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(done) => {
            println!(
                "file_report: docflow {} finished ({}); its documents are in {}",
                done.docflow.id,
                short(&done.docflow.success_state),
                done.folder.display()
            );
            ExitCode::SUCCESS
        }
        Err(failure) => {
            println!();
            eprintln!("file_report: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// The whole job; `Ok` only when the docflow finished (as its robot should, for a known robot) and
/// everything was saved.
pub(crate) async fn run(options: Options) -> Result<Outcome, Failure> {
    let timeline = Timeline { start: Instant::now() };
    std::fs::create_dir_all(&options.state_dir)
        .step(format!("creating the state directory {}", options.state_dir.display()))?;
    // Files given on the command line are read before anything is filed.
    let own_signature = match &options.signature {
        Some(path) => Some(std::fs::read(path).step(format!("reading the signature {}", path.display()))?),
        None => None,
    };
    let cloud_signing = own_signature.is_none();
    let login = connect(&options, cloud_signing, &timeline).await?;
    let client = &login.client;
    client.authenticate().await.step("logging in")?;
    let account = client.account(login.account);
    let info = account.get().await.step("reading the account")?;
    timeline.say(format!(
        "logged in; account {} ({}, INN {}{})",
        login.account,
        info.organization_name.as_deref().or(info.name.as_deref()).unwrap_or("no name"),
        info.inn.as_deref().unwrap_or("?"),
        info.kpp.as_deref().map(|kpp| format!(", KPP {kpp}")).unwrap_or_default()
    ));

    let certificate = signer_certificate(&account, options.certificate.as_deref()).await?;
    let docflow = file_report(client, &account, &info, &options, &certificate, own_signature, &timeline).await?;
    let docflow_handle = account.docflow(docflow.docflow_id());
    timeline.say(format!("sent: docflow {} ({})", docflow.id, text(&docflow.type_)));

    let timeout = options.timeout.unwrap_or(match login.stand {
        Stand::Sandbox(_) => Duration::from_secs(60),
        Stand::Remote => Duration::from_secs(3600),
    });
    let poll_interval = match login.stand {
        Stand::Sandbox(_) => Duration::from_millis(200),
        Stand::Remote => Duration::from_secs(10),
    };
    let follow = follow_docflow(client, &docflow_handle, &certificate, &login.cursor_file, poll_interval, &timeline);
    let finished = match tokio::time::timeout(timeout, follow).await {
        Ok(finished) => finished?,
        Err(_) => {
            let last = docflow_handle.get().await.map(|docflow| text(&docflow.status)).unwrap_or_default();
            return Err(failure(
                "following the docflow",
                format!("docflow {} did not finish within {} s (last status {last})", docflow.id, timeout.as_secs()),
            ));
        }
    };

    let folder = options.state_dir.join(finished.id.to_string());
    let saved = save_docflow(&account, &finished, &folder).await?;
    timeline.say(format!("saved {saved} files to {}", folder.display()));
    print_docflow(&finished);
    expect_robot_outcome(&options.robot, &finished)?;
    if let Stand::Sandbox(sandbox) = login.stand {
        sandbox.stop().await;
    }
    Ok(Outcome { docflow: finished, folder })
}

/// What a finished job leaves: the docflow as it ended, and the folder it was saved to.
pub(crate) struct Outcome {
    pub(crate) docflow: types::Docflow,
    pub(crate) folder: PathBuf,
}

/// Uploads the report, drafts it to the robot, signs it, checks, prepares and sends it; returns the
/// new docflow. The account files for itself: it is sender and payer.
async fn file_report(
    client: &Client,
    account: &AccountHandle,
    info: &types::Account,
    options: &Options,
    certificate: &[u8],
    own_signature: Option<Vec<u8>>,
    timeline: &Timeline,
) -> Result<types::Docflow, Failure> {
    let (inn, kpp) = (info.inn.clone().unwrap_or_default(), info.kpp.clone());
    // The report goes to the content service first; the draft refers to it by id.
    let filename = options
        .report
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report.xml".to_owned());
    timeline.say(format!("uploading {}", options.report.display()));
    let progress = ProgressLine::new(format!("upload {filename}"));
    let content_id = account
        .contents()
        .upload(UploadSource::path(&options.report))
        .on_progress(progress.callback())
        .await
        .step(format!("uploading {}", options.report.display()));
    progress.finish();
    let content_id = content_id?;
    timeline.say(format!("uploaded: content {content_id}"));

    let sender = DraftSender {
        inn: Some(inn.clone()),
        kpp: kpp.clone(),
        certificate: Some(PublicKeyCertificate {
            content: Some(Base64Bytes::encode(certificate)),
            ..Default::default()
        }),
        ..Default::default()
    };
    let recipient = DraftRecipient { ifns_code: Some(options.robot.clone()), ..Default::default() };
    let payer = DraftPayer {
        inn: Some(inn.clone()),
        organization: kpp.clone().map(|kpp| PayerOrganization { kpp: Some(kpp), ..Default::default() }),
        ..Default::default()
    };
    let draft = account.drafts().create(NewDraft::new(sender, recipient, payer)).await.step("creating the draft")?;
    let draft = account.draft(draft.draft_id());
    timeline.say(format!("draft {} to FNS {} created", draft.id(), options.robot));
    let document = draft
        .add_document(DraftDocumentRequest {
            content_id: Some(content_id),
            description: Some(DraftDocumentDescription {
                filename: Some(filename.clone()),
                content_type: Some("application/xml".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .step("adding the report to the draft")?;
    timeline.say(format!("document {} added ({filename})", document.document_id()));

    match own_signature {
        Some(signature) => {
            draft
                .document(document.document_id())
                .signatures()
                .add(signature)
                .await
                .step("adding the signature to the draft")?;
            timeline.say(format!("signed with {}", options.signature.as_deref().unwrap_or(Path::new("?")).display()));
        }
        None => {
            let how = match draft.cloud_sign().start().await.step("starting the cloud signing of the draft")? {
                Started::Done(_) => "signed in the cloud, no confirmation needed".to_owned(),
                Started::AwaitingCode(pending) => {
                    let request = pending.request_id().to_owned();
                    confirm_with_stand_code(client, pending, "confirming the cloud signing of the draft").await?;
                    format!("signed in the cloud, SMS code of request {request} read through the test tools")
                }
                Started::AwaitingApp(pending) => {
                    timeline.say("confirm the signing in the myDSS app…");
                    pending.wait().await.step("waiting for the myDSS confirmation")?;
                    "signed in the cloud, confirmed in myDSS".to_owned()
                }
            };
            timeline.say(how);
        }
    }

    // Check, prepare and send are long-running tasks on the API side.
    let polling = WaitPolicy::default().first_interval(Duration::from_millis(200)).max_interval(Duration::from_secs(5));
    let checked = draft.check().await.step("starting the check")?.with_policy(polling.clone()).wait().await;
    let findings = checked.step("checking the draft")?.data.unwrap_or_default();
    let all: Vec<&types::CheckError> =
        findings.common_errors.iter().chain(findings.documents_errors.values().flatten()).collect();
    let errors = all.iter().filter(|finding| finding.level.as_deref() != Some("warning")).count();
    match all.len() {
        0 => timeline.say("checked: no findings"),
        found => timeline.say(format!("checked: {found} findings, {errors} of them errors")),
    }
    for finding in &all {
        timeline.detail(format!(
            "{}: {}",
            finding.level.as_deref().unwrap_or("?"),
            finding.description.as_deref().unwrap_or("no description")
        ));
    }
    if errors > 0 {
        return Err(failure("checking the draft", format!("{errors} errors in the report")));
    }
    let prepared = draft.prepare().await.step("starting the preparation")?.with_policy(polling.clone()).wait().await;
    let prepared = prepared.step("preparing the draft")?;
    timeline.say(format!("prepared: {}", prepared.status.as_ref().map_or("?", |status| status.as_str())));
    let sent = draft.send().await.step("starting the sending")?.with_policy(polling).wait().await;
    let docflow = match sent.step("sending the draft")? {
        SendOutcome::Sent(docflow) => docflow,
        SendOutcome::NotSent(refusal) => {
            return Err(failure(
                "sending the draft",
                format!(
                    "the API did not send it: {} ({})",
                    refusal.message.as_deref().unwrap_or("no message"),
                    refusal.id.as_deref().unwrap_or("no id")
                ),
            ));
        }
    };
    Ok(docflow)
}

/// Logs in to the sandbox (started here, its state kept in the state directory) or to the stand
/// the environment names.
async fn connect(options: &Options, cloud_signing: bool, timeline: &Timeline) -> Result<Login, Failure> {
    // The SMS codes of the test stand are read through the test tools, which need their own scope.
    let scope = if cloud_signing { "extern.api extern.test-tools" } else { "extern.api" };
    if options.stand_from_environment && std::env::var_os("KONTUR_EXTERN_API_URL").is_some() {
        let missing: Vec<&str> =
            STAND_VARIABLES.iter().copied().filter(|name| std::env::var_os(name).is_none()).collect();
        if !missing.is_empty() {
            return Err(failure("reading the stand's settings", format!("set {}", missing.join(", "))));
        }
        let var = |name: &str| std::env::var(name).step(format!("reading {name}"));
        let api_url = var("KONTUR_EXTERN_API_URL")?;
        let environment = Environment::new(&api_url, &var("KONTUR_EXTERN_IDENTITY_URL")?)
            .step("reading KONTUR_EXTERN_API_URL and KONTUR_EXTERN_IDENTITY_URL")?;
        let account = var("KONTUR_EXTERN_ACCOUNT_ID")?.parse::<AccountId>().step("reading KONTUR_EXTERN_ACCOUNT_ID")?;
        let client = Client::builder()
            .environment(environment)
            .client(var("KONTUR_EXTERN_CLIENT_ID")?, SecretString::from(var("KONTUR_EXTERN_API_KEY")?))
            .password(var("KONTUR_EXTERN_LOGIN")?, SecretString::from(var("KONTUR_EXTERN_PASSWORD")?))
            .scope(scope)
            .build()
            .step("configuring the client")?;
        timeline.say(format!("stand {api_url}"));
        let host = url_host(&api_url);
        return Ok(Login {
            client,
            account,
            stand: Stand::Remote,
            cursor_file: options.state_dir.join(format!("events-{host}.cursor")),
        });
    }
    let state_file = options.state_dir.join("sandbox-state.json");
    let cursor_file = options.state_dir.join("events-sandbox.cursor");
    let config =
        SandboxConfig { state_file: Some(state_file.clone()), speed: options.speed, ..SandboxConfig::default() };
    let mut fresh = !state_file.exists();
    let sandbox = match Sandbox::start(config.clone()).await {
        // A state an older sandbox wrote: set it aside and start afresh.
        Err(error) if error.kind() == std::io::ErrorKind::InvalidData && !fresh => {
            let aside = state_file.with_extension("json.unreadable");
            timeline.say(format!("the sandbox cannot read its old state ({error}); moved to {}", aside.display()));
            std::fs::rename(&state_file, &aside).step(format!("moving {} aside", state_file.display()))?;
            fresh = true;
            Sandbox::start(config).await
        }
        started => started,
    }
    .step("starting the sandbox")?;
    if fresh && cursor_file.exists() {
        // A new sandbox has a new feed: a cursor of an old one would point nowhere.
        std::fs::remove_file(&cursor_file).step(format!("removing the stale cursor {}", cursor_file.display()))?;
    }
    timeline.say(format!(
        "sandbox started: API {}, identity {}, robots at {}× speed, state in {}",
        sandbox.api_url,
        sandbox.identity_url,
        options.speed,
        state_file.display()
    ));
    let credentials = &sandbox.credentials;
    let client = Client::builder()
        .environment(Environment::new(&sandbox.api_url, &sandbox.identity_url).step("reading the sandbox's URLs")?)
        .client(credentials.client_id.clone(), SecretString::from(credentials.api_key.clone()))
        .password(credentials.login.clone(), SecretString::from(credentials.password.clone()))
        .scope(scope)
        .build()
        .step("configuring the client")?;
    let account = AccountId::from(credentials.account_id);
    Ok(Login { client, account, stand: Stand::Sandbox(sandbox), cursor_file })
}

fn url_host(url: &str) -> String {
    let host = url::Url::parse(url).ok().and_then(|url| url.host_str().map(str::to_owned)).unwrap_or_default();
    host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

/// The signer's certificate (DER): the file given, or the account's cloud certificate.
async fn signer_certificate(account: &AccountHandle, file: Option<&Path>) -> Result<Vec<u8>, Failure> {
    if let Some(path) = file {
        return std::fs::read(path).step(format!("reading the certificate {}", path.display()));
    }
    let certificates: Vec<types::AccountCertificate> =
        account.certificates().list().try_collect().await.step("listing the account's certificates")?;
    let is_cloud = |certificate: &types::AccountCertificate| {
        certificate.extra.get("is-cloud").and_then(|value| value.as_bool()) == Some(true)
    };
    let chosen = certificates
        .iter()
        .find(|certificate| is_cloud(certificate) && certificate.content.is_some())
        .or_else(|| certificates.iter().find(|certificate| certificate.content.is_some()))
        .ok_or_else(|| failure("choosing the signer's certificate", "the account has no certificate with content"))?;
    let content = chosen.content.clone().unwrap_or_default();
    Base64Bytes(content).decode().step("decoding the signer's certificate")
}

/// Confirms a cloud signing with the code the stand sent, read through the test tools.
async fn confirm_with_stand_code<O: CloudOutcome>(
    client: &Client,
    pending: AwaitingCode<O>,
    step: &str,
) -> Result<O, Failure>
where
    kontur_extern::cloud::ConfirmError<O>: std::error::Error + 'static,
{
    pending.confirm_with_test_stand_code(&client.test_tools()).await.step(step)
}

/// Follows the events feed from the stored cursor until the docflow is finished, answering every
/// reply the regulator waits for; commits each batch once handled, so the next run goes on after it.
async fn follow_docflow(
    client: &Client,
    docflow: &DocflowHandle,
    certificate: &[u8],
    cursor_file: &Path,
    poll_interval: Duration,
    timeline: &Timeline,
) -> Result<types::Docflow, Failure> {
    let store = FileCursorStore::new(cursor_file);
    match store.load().await.step(format!("reading the events cursor {}", cursor_file.display()))? {
        Some(cursor) => timeline.say(format!(
            "following the events feed from cursor {cursor} (where the last run stopped; kept in {})",
            cursor_file.display()
        )),
        None => {
            timeline.say(format!("following the events feed from its start (cursor kept in {})", cursor_file.display()))
        }
    }
    let mut feed = client
        .events()
        .feed(store)
        .policy(FeedPolicy::default().poll_interval(poll_interval))
        .start()
        .await
        .step("starting the events feed")?;
    let mut state = Watched::default();
    let mut failures_in_a_row = 0;
    let mut finished: Option<types::Docflow> = None;
    loop {
        // Once finished, the events of our own last receipts may still be on their way: read them
        // so the stored cursor ends after this docflow, but do not wait for ever.
        let next = match &finished {
            None => feed.next().await,
            Some(_) => match tokio::time::timeout(poll_interval * 5, feed.next()).await {
                Ok(next) => next,
                Err(_) => break,
            },
        };
        let batch = match next {
            Some(Ok(batch)) => batch,
            Some(Err(error)) => {
                failures_in_a_row += 1;
                timeline.say(format!("events feed: {error} (trying again)"));
                if failures_in_a_row >= 3 {
                    return Err(failure(
                        "reading the events feed",
                        format!(
                            "{error}; if the stand was reset, delete {} to read from the start",
                            cursor_file.display()
                        ),
                    ));
                }
                continue;
            }
            None => return Err(failure("reading the events feed", "the feed ended")),
        };
        failures_in_a_row = 0;
        let was_finished = finished.is_some();
        let others = batch.events().iter().filter(|event| event.docflow_id() != Some(docflow.id().as_uuid())).count();
        if others > 0 {
            timeline.say(format!("skipped {others} event(s) of other docflows"));
        }
        for event in &batch {
            if event.docflow_id() != Some(docflow.id().as_uuid()) {
                continue;
            }
            let current = docflow.get().await.step("reading the docflow")?;
            let when = event.date().map(moscow);
            timeline.say(format!(
                "{} event {}",
                when.unwrap_or_default(),
                event.new_state().map_or("?", |state| state.as_str()).trim_start_matches("urn:transaction:")
            ));
            state.report(&current, timeline);
            let current = answer_replies(docflow, current, certificate, client, &mut state, timeline).await?;
            if current.status == Some(DocflowStatus::Finished) && current.awaited_replies().is_empty() {
                finished = Some(current);
            }
        }
        let caught_up = batch.is_caught_up();
        batch.commit().await.step("saving the events cursor")?;
        if was_finished && caught_up {
            break;
        }
    }
    let finished = finished.ok_or_else(|| failure("following the docflow", "the feed stopped first"))?;
    timeline.say(format!("docflow finished: {}", short(&finished.success_state)));
    Ok(finished)
}

/// What the timeline has shown of the docflow so far.
#[derive(Default)]
struct Watched {
    status: Option<String>,
    documents: HashSet<uuid::Uuid>,
}

impl Watched {
    /// Prints what changed: the status, the success state, new documents.
    fn report(&mut self, docflow: &types::Docflow, timeline: &Timeline) {
        let status = format!("{} · {}", short(&docflow.status), short(&docflow.success_state));
        if self.status.as_ref() != Some(&status) {
            timeline.detail(format!("status {status}"));
            self.status = Some(status);
        }
        for document in &docflow.documents {
            if self.documents.insert(document.id) {
                let description = document.description.as_ref();
                timeline.detail(format!(
                    "+ document {} {}",
                    description.map(|d| text(&d.type_)).unwrap_or_default(),
                    description.and_then(|d| d.filename.as_deref()).unwrap_or("")
                ));
            }
        }
    }
}

/// Generates, signs (in the cloud) and sends every reply the docflow waits for; returns the
/// docflow as the last answer left it.
async fn answer_replies(
    docflow: &DocflowHandle,
    mut current: types::Docflow,
    certificate: &[u8],
    client: &Client,
    state: &mut Watched,
    timeline: &Timeline,
) -> Result<types::Docflow, Failure> {
    for awaited in current.awaited_replies() {
        let step = format!("answering document {} with {}", awaited.document_id, awaited.document_type);
        let started = docflow.start_reply(&awaited, certificate).await.step(step.clone())?;
        let StartedReply::Reply(reply, _generated) = started else {
            return Err(failure(step, "a PFR reply: not part of this job"));
        };
        let how = match reply.cloud_sign().start().await.step(format!("{step}: cloud signing"))? {
            Started::Done(_) => "signed in the cloud at once",
            Started::AwaitingCode(pending) => {
                confirm_with_stand_code::<SignedDocuments>(client, pending, &format!("{step}: confirming")).await?;
                "signed in the cloud with the SMS code"
            }
            Started::AwaitingApp(pending) => {
                pending.wait().await.step(format!("{step}: myDSS"))?;
                "signed in the cloud, confirmed in myDSS"
            }
        };
        current = reply.send(None).await.step(format!("{step}: sending"))?;
        timeline.detail(format!("reply {} generated, {how}, sent", awaited.document_type));
        state.report(&current, timeline);
    }
    Ok(current)
}

/// Saves every document of the docflow and each signature beside it, all through the layer's
/// downloads (contents from the content service in `Range` chunks where the document lists a
/// content id), and the docflow as JSON; returns how many files it wrote.
async fn save_docflow(account: &AccountHandle, docflow: &types::Docflow, folder: &Path) -> Result<usize, Failure> {
    std::fs::create_dir_all(folder).step(format!("creating {}", folder.display()))?;
    let handle = account.docflow(docflow.docflow_id());
    let mut written = 0;
    for (index, document) in docflow.documents.iter().enumerate() {
        let description = document.description.as_ref();
        let name = description.and_then(|d| d.filename.clone()).unwrap_or_else(|| format!("{}.bin", document.id));
        let name = format!("{:02}-{}", index + 1, safe_file_name(&name));
        let document_handle = handle.document(document.document_id());
        // The docflow at hand already names the content: no need to read the document again.
        let download = match document.decrypted_content_id() {
            Some(content_id) => document_handle.content(content_id),
            None => document_handle.decrypted_content(),
        };
        save(download, &name, folder, format!("saving document {}", document.id)).await?;
        written += 1;
        for (number, signature) in document.signatures.iter().enumerate() {
            let download = document_handle.signature_content(signature.signature_id());
            let step = format!("saving signature {} of document {}", signature.id, document.id);
            save(download, &format!("{name}.{}.sig", number + 1), folder, step).await?;
            written += 1;
        }
    }
    let json = serde_json::to_vec_pretty(docflow).step("writing docflow.json")?;
    std::fs::write(folder.join("docflow.json"), json).step("writing docflow.json")?;
    Ok(written + 1)
}

/// Writes one download to `folder/name` with a progress line.
async fn save(download: Download, name: &str, folder: &Path, step: String) -> Result<(), Failure> {
    let path = folder.join(name);
    let progress = ProgressLine::new(format!("download {name}"));
    let saved = download.on_progress(progress.callback()).to_path(&path).await;
    progress.finish();
    saved.map(drop).step(format!("{step} as {}", path.display()))
}

/// A file name without path separators or characters file systems refuse.
fn safe_file_name(name: &str) -> String {
    let name: String =
        name.chars().map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() { "document".to_owned() } else { name.to_owned() }
}

fn print_docflow(docflow: &types::Docflow) {
    println!();
    println!("docflow {} ({})", docflow.id, text(&docflow.type_));
    println!("  status        {}", text(&docflow.status));
    println!("  success state {}", text(&docflow.success_state));
    if let Some(sent) = &docflow.send_date {
        println!("  sent          {}", moscow(sent));
    }
    if let Some(changed) = &docflow.last_change_date {
        println!("  last change   {}", moscow(changed));
    }
    println!("  documents:");
    for document in &docflow.documents {
        let description = document.description.as_ref();
        println!(
            "    {:<52} {} signature(s)  {}",
            description.map(|d| text(&d.type_)).unwrap_or_default(),
            document.signatures.len(),
            description.and_then(|d| d.filename.as_deref()).unwrap_or("")
        );
    }
}

/// The test robots end their docflows in a known state: anything else fails the run.
fn expect_robot_outcome(robot: &str, docflow: &types::Docflow) -> Result<(), Failure> {
    let expected = match robot {
        "0087" => SuccessState::Successful,
        "0088" => SuccessState::Failed,
        "0085" => SuccessState::Warning,
        _ => return Ok(()),
    };
    let finished = docflow.status == Some(DocflowStatus::Finished);
    if finished && docflow.success_state.as_ref() == Some(&expected) {
        println!("robot {robot}: ended as expected ({expected})");
        return Ok(());
    }
    Err(failure(
        format!("checking robot {robot}'s outcome"),
        format!(
            "docflow {} is {} · {}, robot {robot} should finish it as {expected}",
            docflow.id,
            text(&docflow.status),
            text(&docflow.success_state)
        ),
    ))
}

/// A vocabulary value as text ("" when absent).
fn text<T: std::fmt::Display>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A vocabulary value without its URN prefix (`urn:docflow-common-status:sent` → `sent`).
fn short<T: std::fmt::Display>(value: &Option<T>) -> String {
    let text = text(value);
    match text.rsplit_once(':') {
        Some((_, name)) if text.starts_with("urn:") => name.to_owned(),
        _ => text,
    }
}

/// A date of the API in Moscow time, as the API means it.
fn moscow(date: &kontur_extern::ExternDateTime) -> String {
    date.to_moscow().format("%Y-%m-%d %H:%M:%S MSK").to_string()
}
