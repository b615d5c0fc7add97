use clap::Parser;
use vungcao::cli::{run, Cli};
use vungcao::config::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    vungcao::telemetry::init(&settings.log_format);
    run(cli, settings).await
}
