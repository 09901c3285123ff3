//! `authbridge create-table`: the DynamoDB table, for the emulator or a stack without
//! CloudFormation.

use authbridge::config::Backend;
use clap::Args;
use serde_json::json;

use crate::deployment;
use crate::error::CliError;
use crate::output::Output;

/// Arguments of `create-table`.
#[derive(Debug, Args)]
pub struct CreateTableArgs {
    /// Table name; defaults to AUTHBRIDGE_TABLE.
    #[arg(long, env = "AUTHBRIDGE_TABLE")]
    name: String,
}

impl CreateTableArgs {
    /// Creates the table with the store's keys and indexes.
    pub async fn run(self, out: &Output) -> Result<(), CliError> {
        let config = deployment::config()?;
        let Backend::Aws(aws) = &config.backend else {
            return Err(CliError::NotAws);
        };
        let client = authbridge::aws::dynamodb(aws).await;
        authbridge::store::dynamo::create_table(&client, &self.name).await?;
        out.outcome(
            &json!({ "table": self.name, "created": true }),
            &format!("created table {}", self.name),
        )
    }
}
