//! `authbridge --stack NAME` against a stack in the emulator's CloudFormation: the tool takes the
//! table and secret prefix from the stack's outputs, and a client it registers is usable by the
//! functions as `template.yaml` configures them (its `Globals` environment, resolved for the stack).
//!
//! The emulator cannot deploy the SAM template itself, so the stack is made of the template's own
//! table resource and the outputs the tool reads, copied from `template.yaml` as written.

use std::collections::HashMap;
use std::path::Path;

use authbridge::config::Env;
use authbridge::oauth::OAuthContext;
use authbridge::secrets::ExposeSecret;
use serde_json::{Value as Json, json};
use serde_norway::Value as Yaml;

use crate::support::{Deployment, emulator_endpoint, emulator_vars};

const PUBLIC_URL: &str = "https://auth.example.org";
const RETURN_URL: &str = "https://auth.example.org/oauth/return";

fn template() -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A YAML value of the template as CloudFormation JSON (`!Ref x` → `{"Ref": x}`, `!Sub s` →
/// `{"Fn::Sub": s}`, `!GetAtt a.b` → `{"Fn::GetAtt": [a, b]}`).
fn to_json(value: &Yaml) -> Json {
    match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => json!(b),
        Yaml::Number(n) => serde_json::to_value(n).unwrap(),
        Yaml::String(s) => json!(s),
        Yaml::Sequence(items) => Json::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().unwrap().to_string(), to_json(v)))
                .collect(),
        ),
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let tag = tag.trim_start_matches('!');
            match (tag, &tagged.value) {
                ("Ref", v) => json!({"Ref": to_json(v)}),
                ("GetAtt", Yaml::String(s)) => {
                    json!({"Fn::GetAtt": s.split('.').collect::<Vec<_>>()})
                }
                (other, v) => json!({ format!("Fn::{other}"): to_json(v) }),
            }
        }
    }
}

/// The stack the emulator can build: the template's table, its `SecretNamespace` parameter, and
/// the outputs the tool reads, with the URLs as a deployment with a custom domain would show them.
fn emulated_stack_template(template: &Yaml) -> String {
    let outputs = &template["Outputs"];
    json!({
        "Parameters": {"SecretNamespace": to_json(&template["Parameters"]["SecretNamespace"])},
        "Resources": {"Table": to_json(&template["Resources"]["Table"])},
        "Outputs": {
            "TableName": to_json(&outputs["TableName"]),
            "SecretPrefix": to_json(&outputs["SecretPrefix"]),
            "PublicUrl": {"Value": PUBLIC_URL},
            "ReturnUrl": {"Value": RETURN_URL},
        },
    })
    .to_string()
}

/// A value of the template's `Globals` environment for the stack `stack` whose table is `table`;
/// `None` for what the emulated stack does not have (the secrets' ARNs, conditions).
fn resolve(value: &Yaml, template: &Yaml, stack: &str, table: &str) -> Option<String> {
    let parameter = |name: &str| -> Option<String> {
        match &template["Parameters"].get(name)?["Default"] {
            Yaml::String(s) => Some(s.clone()),
            Yaml::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            match (tag.trim_start_matches('!'), &tagged.value) {
                ("Ref", Yaml::String(name)) if name == "Table" => Some(table.to_string()),
                ("Ref", Yaml::String(name)) => parameter(name),
                ("Sub", Yaml::String(text)) => {
                    let mut out = text.replace("${AWS::StackName}", stack);
                    while let Some(start) = out.find("${") {
                        let end = start + out[start..].find('}')?;
                        let value = parameter(&out[start + 2..end])?;
                        out.replace_range(start..=end, &value);
                    }
                    Some(out)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The environment `template.yaml` gives every function, for this stack.
fn functions_environment(template: &Yaml, stack: &str, table: &str) -> HashMap<String, String> {
    template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), resolve(v, template, stack, table)?)))
        .collect()
}

async fn cloudformation(endpoint: &str) -> aws_sdk_cloudformation::Client {
    let config = aws_sdk_cloudformation::Config::builder()
        .behavior_version(aws_sdk_cloudformation::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudformation::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .endpoint_url(endpoint)
        .http_client(authbridge::aws::http_client())
        .build();
    aws_sdk_cloudformation::Client::from_conf(config)
}

fn unique_stack_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("cli-test-{}-{nanos}", std::process::id())
}

#[tokio::test]
async fn a_client_registered_with_stack_is_usable_by_the_functions() {
    let Some(endpoint) = emulator_endpoint() else {
        return;
    };
    let template = template();
    let stack = unique_stack_name();
    let cfn = cloudformation(&endpoint).await;
    cfn.create_stack()
        .stack_name(&stack)
        .template_body(emulated_stack_template(&template))
        .send()
        .await
        .unwrap();
    let table = cfn
        .describe_stack_resource()
        .stack_name(&stack)
        .logical_resource_id("Table")
        .send()
        .await
        .unwrap()
        .stack_resource_detail
        .and_then(|r| r.physical_resource_id)
        .unwrap();

    let vars = emulator_vars(&endpoint);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let deployment = Deployment::new();
    let secret = "stack-client-secret-0b7e";
    let created = deployment
        .run_with(
            &[
                "--stack",
                &stack,
                "clients",
                "create",
                "--json",
                "--provider",
                "github",
                "--guid",
                "app-1",
                "--secret-stdin",
            ],
            &format!("{secret}\n"),
            &vars,
        )
        .ok();
    created.assert_never_shows(secret);
    assert!(
        !created.stderr.contains("note:"),
        "with --stack the prefix is known: {}",
        created.stderr
    );
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert!(
        !deployment.db_path().exists(),
        "--stack must not fall back to the embedded store"
    );

    // The functions, configured as template.yaml configures them for this stack.
    let mut env = functions_environment(&template, &stack, &table);
    assert_eq!(env["AUTHBRIDGE_TABLE"], table);
    assert_eq!(
        env["AUTHBRIDGE_SECRET_PREFIX"],
        format!("authbridge/{stack}/")
    );
    env.remove("AUTHBRIDGE_TOKEN_KEY_SECRET");
    for (k, v) in &vars {
        env.insert(k.to_string(), v.to_string());
    }
    let functions = OAuthContext::from(&Env::from_fn(|k| env.get(k).cloned()))
        .await
        .unwrap();
    let client =
        authbridge::oauth::flow::active_client(&functions, &id.parse().expect("a client id"))
            .await
            .unwrap();
    let stored = functions
        .app
        .secrets
        .get_secret(&client.secret_name(&functions.app.config.secret_prefix))
        .await
        .unwrap()
        .expect("the functions find the secret the CLI stored");
    assert_eq!(stored.expose_secret(), secret);

    // The tool sees the stack's URLs, and an explicit variable wins over an output.
    let listed = deployment
        .run_with(&["--stack", &stack, "clients", "list", "--json"], "", &vars)
        .ok();
    assert_eq!(listed.json()[0]["id"], id.as_str());
    let mut with_table = vars.clone();
    with_table.push(("AUTHBRIDGE_TABLE", "no-such-table"));
    let overridden = deployment.run_with(
        &["--stack", &stack, "clients", "list", "--json"],
        "",
        &with_table,
    );
    assert_eq!(overridden.code, Some(1), "{}", overridden.stdout);
    let error: Json = serde_json::from_str(overridden.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "store", "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("ResourceNotFoundException"), "{message}");
    assert!(
        message.contains("AUTHBRIDGE_TABLE"),
        "says what to check: {message}"
    );
    assert!(
        !message.contains("ServiceError {"),
        "no SDK debug text: {message}"
    );
    assert_eq!(overridden.stderr.trim().lines().count(), 1);
}

#[tokio::test]
async fn an_unknown_stack_is_one_line_naming_what_to_check() {
    let Some(endpoint) = emulator_endpoint() else {
        return;
    };
    let vars = emulator_vars(&endpoint);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let deployment = Deployment::new();
    let plain = deployment.run_with(&["--stack", "no-such-stack", "clients", "list"], "", &vars);
    assert_eq!(plain.code, Some(1));
    assert_eq!(plain.stderr.lines().count(), 1, "{}", plain.stderr);
    assert!(
        plain
            .stderr
            .starts_with("error: no stack \"no-such-stack\""),
        "{}",
        plain.stderr
    );
    assert!(plain.stderr.contains("AWS_REGION"), "{}", plain.stderr);

    let mut env_vars = vars.clone();
    env_vars.push(("AUTHBRIDGE_STACK", "no-such-stack"));
    let json = deployment.run_with(&["clients", "list", "--json"], "", &env_vars);
    assert_eq!(json.code, Some(1));
    let error: Json = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "stack_not_found");
}
