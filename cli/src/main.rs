//! `authbridge`: the admin command-line tool, against the same configuration as the functions.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "authbridge",
    version,
    about = "Administer an authbridge deployment"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates the DynamoDB table (for the emulator or a stack without CloudFormation).
    CreateTable {
        /// Table name; defaults to AUTHBRIDGE_TABLE.
        #[arg(long, env = "AUTHBRIDGE_TABLE")]
        name: String,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::CreateTable { name } => create_table(&name).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn create_table(name: &str) -> Result<(), String> {
    let config = authbridge::config::Config::from_env().map_err(|e| e.to_string())?;
    let authbridge::config::Backend::Aws(aws) = &config.backend else {
        return Err("create-table needs AWS configuration (AUTHBRIDGE_TABLE)".into());
    };
    let client = authbridge::aws::dynamodb(aws).await;
    authbridge::store::dynamo::create_table(&client, name)
        .await
        .map_err(|e| e.to_string())?;
    println!("created table {name}");
    Ok(())
}
