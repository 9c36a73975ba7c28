use clap::Parser;
use confab_server::configuration::Cli;
use confab_server::{telemetry, Application};

/// jemalloc instead of glibc's malloc: a crowd of sockets is many small
/// long-lived allocations made between bigger short-lived ones (each
/// connection's HTTP state until its upgrade), which glibc's heap keeps
/// fragmented. Measured (CHANGELOG, README "Performance"): RSS per idle
/// socket 6.6 – 6.9 → 4.35 – 4.55 KiB; alternating with a glibc build,
/// ingest was higher in six pairs of seven and its longest stall shorter
/// in four of five; fan-out CPU the same within the runs' spread.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init();
    // Each connection is a file descriptor; ask for as many as allowed.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "could not raise the open file limit");
    }
    let settings = match Cli::parse().into_settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("confab: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = match Application::build(settings).await {
        Ok(app) => {
            println!("confab listening on http://{}", app.local_addr());
            app.run_until_stopped(shutdown_signal()).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confab: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
