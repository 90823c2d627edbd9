//! `kontur-extern-sandbox --listen 127.0.0.1:0 [--state FILE] [--speed N]`: serves a local Extern
//! until SIGINT or SIGTERM. Prints exactly one JSON line to stdout when ready (URLs and the seeded
//! credentials); logs go to stderr.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use kontur_extern_sandbox::{Sandbox, SandboxConfig};

const USAGE: &str = "usage: kontur-extern-sandbox --listen ADDR:PORT [--state FILE] [--speed N]";

fn parse_args(args: impl Iterator<Item = String>) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig::default();
    let mut args = args;
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--listen" => {
                let text = value("--listen")?;
                config.listen = text.parse::<SocketAddr>().map_err(|err| format!("--listen {text}: {err}"))?;
            }
            "--state" => config.state_file = Some(PathBuf::from(value("--state")?)),
            "--speed" => {
                let text = value("--speed")?;
                config.speed = text
                    .parse::<f64>()
                    .ok()
                    .filter(|speed| speed.is_finite() && *speed >= 0.0)
                    .ok_or_else(|| format!("--speed {text}: a number ≥ 0"))?;
            }
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(config)
}

async fn stopped() {
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("kontur-extern-sandbox: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", sandbox.start_line()).and_then(|()| stdout.flush()).is_err() {
        eprintln!("kontur-extern-sandbox: cannot write the start line");
        return ExitCode::FAILURE;
    }
    drop(stdout);
    stopped().await;
    tracing::info!("stopping");
    sandbox.stop().await;
    ExitCode::SUCCESS
}
