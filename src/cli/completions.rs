//! `vaultty completions bash|zsh|fish`: prints a completion script generated from the clap tree.

use std::process::ExitCode;

use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::aot::{Shell, generate};

use crate::cli::format::print;
use crate::cli::{Cli, CliError, CliResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellKind {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
#[command(after_help = "Install, for example:\n  \
                        bash: vaultty completions bash > ~/.local/share/bash-completion/completions/vaultty\n  \
                        zsh:  vaultty completions zsh > ~/.zfunc/_vaultty   (with fpath+=(~/.zfunc) before compinit)\n  \
                        fish: vaultty completions fish > ~/.config/fish/completions/vaultty.fish")]
pub struct CompletionsArgs {
    /// The shell to print the script for
    #[arg(value_enum)]
    pub shell: ShellKind,
}

pub fn run(args: CompletionsArgs) -> CliResult<ExitCode> {
    let shell = match args.shell {
        ShellKind::Bash => Shell::Bash,
        ShellKind::Zsh => Shell::Zsh,
        ShellKind::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    generate(shell, &mut Cli::command(), "vaultty", &mut script);
    let text =
        String::from_utf8(script).map_err(|e| CliError::other(format!("the completion script is not UTF-8: {e}")))?;
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
