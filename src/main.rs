use clap::Parser;
use std::process::ExitCode;
use vungcao::cli::{run, Cli};
use vungcao::config::Settings;

fn main() -> ExitCode {
    // Before any thread starts, so that every thread shares the few arenas.
    vungcao::startup::bound_malloc_arenas();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run_cli()),
        Err(e) => {
            eprintln!("error: the async runtime did not start: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_cli() -> ExitCode {
    let cli = Cli::parse();
    let result = match Settings::load() {
        Ok(settings) => {
            vungcao::telemetry::init(&settings.log_format);
            run(cli, settings).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
