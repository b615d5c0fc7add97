use clap::Parser;
use std::process::ExitCode;
use vungcao::cli::{run, Cli};
use vungcao::config::Settings;

#[tokio::main]
async fn main() -> ExitCode {
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
