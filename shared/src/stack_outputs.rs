//! What a deployed stack tells the tools about itself: the outputs of `template.yaml` that stand for
//! configuration variables, so the CLI (`authbridge --stack NAME`) configures itself exactly as the
//! stack configures its functions, without anyone copying a table or secret name by hand.
//!
//! `shared/tests/template_schema.rs` checks that the template declares every output named here and
//! that each has the value the functions are given.

use std::collections::HashMap;

/// Each stack output that the CLI reads, and the configuration variable it stands for.
pub const STACK_OUTPUTS: &[StackOutput] = &[
    StackOutput {
        output: "TableName",
        variable: "AUTHBRIDGE_TABLE",
    },
    StackOutput {
        output: "SecretPrefix",
        variable: "AUTHBRIDGE_SECRET_PREFIX",
    },
    StackOutput {
        output: "TokenKeySecretArn",
        variable: "AUTHBRIDGE_TOKEN_KEY_SECRET",
    },
    StackOutput {
        output: "KmsKeyArn",
        variable: "AUTHBRIDGE_KMS_KEY_ID",
    },
    StackOutput {
        output: "PublicUrl",
        variable: "AUTHBRIDGE_PUBLIC_URL",
    },
    StackOutput {
        output: "ReturnUrl",
        variable: "AUTHBRIDGE_RETURN_URL",
    },
    StackOutput {
        output: "EventBusName",
        variable: "AUTHBRIDGE_EVENT_BUS",
    },
    StackOutput {
        output: "WebhookUrl",
        variable: "AUTHBRIDGE_WEBHOOK_URL",
    },
];

/// One output of the stack and the variable it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackOutput {
    /// The output key in `template.yaml`'s `Outputs`.
    pub output: &'static str,
    /// The configuration variable (see [`crate::config`]) the output's value is used as.
    pub variable: &'static str,
}

/// The configuration variables for a stack, from its outputs (`OutputKey` → `OutputValue`).
/// `AUTHBRIDGE_BACKEND` is `aws`, as on the functions. Outputs the CLI does not read are ignored;
/// an output that is missing leaves its variable unset, so the default applies.
pub fn variables(outputs: &HashMap<String, String>) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = STACK_OUTPUTS
        .iter()
        .filter_map(|o| {
            outputs
                .get(o.output)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (o.variable.to_string(), v.clone()))
        })
        .collect();
    vars.insert("AUTHBRIDGE_BACKEND".to_string(), "aws".to_string());
    vars
}

/// The outputs that must be there for the stack to be usable (the table and the secret prefix).
pub fn missing_required(outputs: &HashMap<String, String>) -> Vec<&'static str> {
    ["TableName", "SecretPrefix"]
        .into_iter()
        .filter(|key| outputs.get(*key).is_none_or(|v| v.trim().is_empty()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_become_the_functions_variables() {
        let outputs: HashMap<String, String> = [
            ("TableName", "prod-Table-1"),
            ("SecretPrefix", "authbridge/prod/"),
            ("ApiUrl", "https://x.execute-api.eu-west-1.amazonaws.com/"),
            ("ReturnUrl", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let vars = variables(&outputs);
        assert_eq!(vars["AUTHBRIDGE_TABLE"], "prod-Table-1");
        assert_eq!(vars["AUTHBRIDGE_SECRET_PREFIX"], "authbridge/prod/");
        assert_eq!(vars["AUTHBRIDGE_BACKEND"], "aws");
        assert!(!vars.contains_key("AUTHBRIDGE_RETURN_URL"));
        assert_eq!(vars.len(), 3);
        assert!(missing_required(&outputs).is_empty());
        assert_eq!(
            missing_required(&HashMap::new()),
            vec!["TableName", "SecretPrefix"]
        );
    }
}
