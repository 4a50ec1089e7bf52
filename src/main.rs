//! Server bootstrap only: config → tracing → state (db, store, workers) →
//! router → serve until SIGINT/SIGTERM.

use clap::Parser;
use reel::server::config::Command;
use reel::server::{Config, Server, lock_data_dir};
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    // Before any thread starts: the process may be replaced.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fix_malloc_mmap_threshold();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(serve_or_run_command()),
        Err(e) => {
            eprintln!("reel: cannot start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc's malloc serves the size of a large buffer freed from its heaps
/// next time instead of `mmap` (the threshold follows the largest buffer
/// freed, up to 32 MiB), and each thread's arena keeps what it frees. An
/// upload's part buffers (5 MiB) and hyper's read buffers then stayed in
/// RSS long after they were freed: a web node taking a tus upload into S3
/// peaked at 94 MiB, against 48 MiB with the threshold fixed at glibc's own
/// default (bench/scale_out.py). It can only be fixed before malloc starts
/// (`mallopt` would need unsafe code), through the environment, so the
/// server starts itself again once with it set. A value already set is
/// kept; ffmpeg and ffprobe get the environment without it
/// (`REEL_MALLOC_TUNED` says it was added here).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fix_malloc_mmap_threshold() {
    use std::os::unix::process::CommandExt;
    const VAR: &str = "MALLOC_MMAP_THRESHOLD_";
    if std::env::var_os(VAR).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let error = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(VAR, "131072")
        .env("REEL_MALLOC_TUNED", "1")
        .exec();
    // `exec` returns only when it failed: run as we are.
    eprintln!("reel: could not start again with {VAR} set ({error}); going on without it");
}

async fn serve_or_run_command() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();

    let mut config = Config::parse();
    match config.command.take() {
        Some(Command::User { action }) => return user_command(&config, action).await,
        Some(Command::Storage { action }) => return storage_command(&config, action).await,
        Some(Command::Database { action }) => return database_command(&config, action).await,
        Some(Command::Import(import)) => return import_command(&config, import).await,
        None => {}
    }
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("reel: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `reel user …`: the password is the first line of standard input.
async fn user_command(
    config: &Config,
    action: reel::server::config::UserCommand,
) -> std::process::ExitCode {
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        eprintln!("reel: cannot read the password from standard input: {e}");
        return std::process::ExitCode::FAILURE;
    }
    said(reel::server::cli::run_user_command(config, action, &password).await)
}

/// `reel storage …`: progress lines on standard output, then the summary.
async fn storage_command(
    config: &Config,
    action: reel::server::config::StorageCommand,
) -> std::process::ExitCode {
    let progress = |line: String| println!("{line}");
    said(reel::server::cli::run_storage_command(config, action, progress).await)
}

/// `reel database …`: progress lines on standard output, then the summary.
async fn database_command(
    config: &Config,
    action: reel::server::config::DatabaseCommand,
) -> std::process::ExitCode {
    let progress = |line: String| println!("{line}");
    said(reel::server::cli::run_database_command(config, action, progress).await)
}

/// `reel import …`: a progress line kept on one terminal line (or, when
/// standard error is not a terminal, one line a second), then the summary.
async fn import_command(
    config: &reel::server::Config,
    command: reel::server::config::ImportCommand,
) -> std::process::ExitCode {
    use std::io::{IsTerminal, Write};
    let terminal = std::io::stderr().is_terminal();
    let mut last = None::<std::time::Instant>;
    let progress = |now: &reel::server::import::Progress| {
        let mut err = std::io::stderr();
        let finished = now.files_done == now.files;
        if terminal {
            let _ = write!(err, "\r\x1b[2K{}", now.line());
            if finished {
                let _ = writeln!(err);
            }
        } else if finished || last.is_none_or(|at| at.elapsed().as_secs() >= 1) {
            let _ = writeln!(err, "{}", now.line());
            last = Some(std::time::Instant::now());
        }
    };
    said(reel::server::cli::run_import_command(config, command, progress).await)
}

/// A command's outcome: what it did on standard output, or why it failed
/// on standard error and in the exit status.
fn said(outcome: Result<String, String>) -> std::process::ExitCode {
    match outcome {
        Ok(done) => {
            println!("{done}");
            std::process::ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("reel: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), String> {
    let leptos_options = leptos::config::get_configuration(None)
        .map_err(|e| format!("cannot read the Leptos configuration: {e}"))?
        .leptos_options;
    let addr = config.listen.unwrap_or(leptos_options.site_addr);
    // Bind before touching the data directory: a second copy started by
    // mistake fails here, before it can disturb the running one.
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let grace = config.shutdown_grace;
    let sole = lock_data_dir(&config.data_dir).map_err(|e| format!("cannot start: {e}"))?;
    let server = Server::start(config, leptos_options, &sole)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    tracing::info!(
        "Reel is listening on http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    // After the signal, in-flight requests get `grace` to finish; a stalled
    // client must not keep the server from exiting.
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = server.serve(listener, async move {
        shutdown_signal().await;
        let _ = signalled_tx.send(());
    });
    let deadline = async move {
        if signalled_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = serving => result.map_err(|e| format!("server error: {e}")),
        () = deadline => {
            tracing::warn!("requests still running after {} s: stopping anyway", grace.as_secs());
            Ok(())
        }
    }
}

/// Resolves on SIGINT or SIGTERM; in-flight requests then get to finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
