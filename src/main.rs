//! The `gsmq` binary: parse arguments and hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = gsmq::cli::Cli::parse();
    match cli.run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gsmq: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
