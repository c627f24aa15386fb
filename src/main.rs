//! The `vaultty` binary: installs the panic hooks, parses the command line, runs it on a tokio
//! runtime and turns the outcome into an exit code. All logic lives in `vaultty::cli`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use vaultty::cli::{Cli, CliError};

fn main() -> ExitCode {
    // Only panics reach color-eyre; expected failures are CliErrors printed on one line.
    if let Err(e) = color_eyre::install() {
        eprintln!("warning: cannot install the error reporter: {e}");
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return CliError::other(format!("cannot start the async runtime: {e}")).report(),
    };
    let outcome = runtime.block_on(vaultty::cli::run(cli));
    // A task still blocked on I/O (a stdin read, a connection) must not hold the exit up.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(code) => code,
        Err(e) => e.report(),
    }
}
