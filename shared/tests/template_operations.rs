//! `template.yaml` is a stack an operator can run: it publishes the configuration the CLI reads
//! (`authbridge --stack`), gives the functions the same secret prefix it lets them read, keeps
//! logs for a set time, raises alarms, retries and keeps failed sweeps, sizes timeouts for the
//! outbound calls, and refuses a configuration that cannot work.
//!
//! `template_schema.rs` checks the table and the routes; this file the operations. CloudFormation
//! short tags (`!Ref`, `!Sub`) parse as tagged YAML values and are compared as written.

use std::path::{Path, PathBuf};

use authbridge::stack_outputs::STACK_OUTPUTS;
use serde_norway::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// `!Tag value` as (`Tag`, value); `None` for an untagged value.
fn tagged(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_string(),
            &t.value,
        )),
        _ => None,
    }
}

/// The name `!Ref name` refers to.
fn reference(value: &Value) -> Option<&str> {
    match tagged(value)? {
        (tag, Value::String(name)) if tag == "Ref" => Some(name),
        _ => None,
    }
}

fn resource<'a>(template: &'a Value, id: &str) -> &'a Value {
    template["Resources"]
        .get(id)
        .unwrap_or_else(|| panic!("template.yaml has no resource {id}"))
}

fn retention(group: &Value) -> Option<&str> {
    reference(&group["Properties"]["RetentionInDays"])
}

fn functions(template: &Value) -> Vec<(&str, &Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| (id.as_str().unwrap(), &r["Properties"]))
        .collect()
}

fn global_env<'a>(template: &'a Value, name: &str) -> &'a Value {
    &template["Globals"]["Function"]["Environment"]["Variables"][name]
}

/// The number a parameter's `MaxValue` allows.
fn max_value(template: &Value, parameter: &str) -> u64 {
    template["Parameters"][parameter]["MaxValue"]
        .as_u64()
        .unwrap_or_else(|| panic!("parameter {parameter} has no MaxValue"))
}

#[test]
fn the_stack_publishes_what_the_functions_are_given() {
    let template = template();
    for o in STACK_OUTPUTS {
        assert!(
            template["Outputs"].get(o.output).is_some(),
            "template.yaml has no {} output (authbridge --stack reads it as {})",
            o.output,
            o.variable
        );
    }
    // The outputs that name what the functions use are written exactly as the functions' variables.
    for (output, variable) in [
        ("TableName", "AUTHBRIDGE_TABLE"),
        ("SecretPrefix", "AUTHBRIDGE_SECRET_PREFIX"),
        ("TokenKeySecretArn", "AUTHBRIDGE_TOKEN_KEY_SECRET"),
    ] {
        assert_eq!(
            template["Outputs"][output]["Value"],
            *global_env(&template, variable),
            "the {output} output differs from the functions' {variable}"
        );
    }
}

#[test]
fn functions_may_read_exactly_the_client_secrets_under_their_prefix() {
    let template = template();
    let (_, prefix) = tagged(global_env(&template, "AUTHBRIDGE_SECRET_PREFIX"))
        .expect("AUTHBRIDGE_SECRET_PREFIX is a !Sub");
    let prefix = prefix.as_str().unwrap();
    let want = format!(":secret:{prefix}clients/*");
    let mut readers = 0;
    for (id, props) in functions(&template) {
        for policy in props["Policies"].as_sequence().into_iter().flatten() {
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                for resource in statement["Resource"].as_sequence().into_iter().flatten() {
                    let Some((_, Value::String(arn))) = tagged(resource) else {
                        continue;
                    };
                    if arn.contains("clients/") {
                        assert!(arn.ends_with(&want), "{id}: {arn} is not …{want}");
                        readers += 1;
                    }
                }
            }
        }
    }
    assert!(readers >= 3, "the OAuth functions read client secrets");
}

#[test]
fn every_function_logs_to_a_group_with_the_retention_parameter() {
    let template = template();
    for (id, props) in functions(&template) {
        let group = reference(&props["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{id} has no LoggingConfig.LogGroup !Ref"));
        let group = resource(&template, group);
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{id}");
        assert_eq!(retention(group), Some("LogRetentionDays"), "{id}");
    }
    let api = &resource(&template, "HttpApi")["Properties"];
    let access = &api["AccessLogSettings"];
    let (_, target) = tagged(&access["DestinationArn"]).unwrap();
    let group = target.as_str().unwrap().trim_end_matches(".Arn");
    assert_eq!(
        retention(resource(&template, group)),
        Some("LogRetentionDays")
    );
    let format: serde_json::Value = serde_json::from_str(access["Format"].as_str().unwrap())
        .expect("the access log format is JSON");
    let format = format.to_string().to_ascii_lowercase();
    assert!(
        !format.contains("querystring"),
        "query strings carry codes: {format}"
    );
    assert!(format.contains("$context.requestid") && format.contains("$context.status"));
    let route = &api["DefaultRouteSettings"];
    assert_eq!(
        reference(&route["ThrottlingRateLimit"]),
        Some("ThrottleRateLimit")
    );
    assert_eq!(
        reference(&route["ThrottlingBurstLimit"]),
        Some("ThrottleBurstLimit")
    );
}

/// Each function's outbound calls to providers in a row, at most, that its answer waits for. The
/// best-effort calls after them (revoking a replaced grant, delivering an event) take only what is
/// left of the invocation (`authbridge::deadline`), so they are not counted here.
const OUTBOUND_CALLS: &[(&str, u64)] = &[
    ("StartAuth", 1),         // discovery
    ("OAuthReturn", 3),       // discovery, the code exchange, the user's profile
    ("ClientCredentials", 3), // discovery, the token request, the owner (password grant)
    ("TokenAccess", 2),       // discovery, the refresh
    ("WpSyncUser", 0),
];

/// API Gateway gives up on an integration after 30 s; a function must answer before.
const GATEWAY_TIMEOUT: u64 = 30;

#[test]
fn timeouts_exceed_the_outbound_calls_they_may_spend() {
    let template = template();
    assert_eq!(
        reference(global_env(&template, "AUTHBRIDGE_HTTP_TIMEOUT")),
        Some("ProviderHttpTimeout")
    );
    let per_call = max_value(&template, "ProviderHttpTimeout");
    let global = template["Globals"]["Function"]["Timeout"].as_u64().unwrap();
    for (id, calls) in OUTBOUND_CALLS {
        let props = &resource(&template, id)["Properties"];
        let timeout = props["Timeout"].as_u64().unwrap_or(global);
        assert!(
            timeout >= calls * per_call + 2,
            "{id}: {timeout} s is too short for {calls} calls of up to {per_call} s"
        );
        assert!(
            timeout < GATEWAY_TIMEOUT,
            "{id}: {timeout} s outlasts API Gateway"
        );
    }
    let sweep = resource(&template, "TokenRefresh")["Properties"]["Timeout"]
        .as_u64()
        .unwrap();
    assert!(
        sweep >= per_call + 15 + 30,
        "the sweep keeps 15 s back and needs time to work"
    );
}

#[test]
fn one_sweep_at_a_time_with_retries_and_a_dead_letter_queue() {
    let template = template();
    let props = &resource(&template, "TokenRefresh")["Properties"];
    assert_eq!(props["ReservedConcurrentExecutions"].as_u64(), Some(1));
    let schedule = &props["Events"]["Sweep"]["Properties"];
    assert!(schedule["RetryPolicy"]["MaximumRetryAttempts"].is_u64());
    let age = schedule["RetryPolicy"]["MaximumEventAgeInSeconds"]
        .as_u64()
        .unwrap();
    assert!(
        age < 300,
        "a retried event must not outlive the 5-minute interval"
    );
    for target in [
        &schedule["DeadLetterConfig"]["Arn"],
        &props["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"],
    ] {
        let (tag, value) = tagged(target).expect("a !GetAtt of the queue");
        assert_eq!(
            (tag.as_str(), value.as_str()),
            ("GetAtt", Some("SweepDeadLetterQueue.Arn"))
        );
    }
}

#[test]
fn alarms_watch_errors_throttles_sweeps_and_login_and_notify_the_topic() {
    let template = template();
    for id in [
        "FunctionErrorsAlarm",
        "FunctionThrottlesAlarm",
        "SweepFailuresAlarm",
        "SweepDeadLettersAlarm",
        "LoginServerErrorsAlarm",
    ] {
        let alarm = resource(&template, id);
        assert_eq!(alarm["Type"], "AWS::CloudWatch::Alarm", "{id}");
        let actions = format!("{:?}", alarm["Properties"]["AlarmActions"]);
        assert!(
            actions.contains("AlarmTopicArn"),
            "{id} notifies the topic: {actions}"
        );
    }
    // Every function's errors and throttles are counted.
    for (alarm, metric) in [
        ("FunctionErrorsAlarm", "Errors"),
        ("FunctionThrottlesAlarm", "Throttles"),
    ] {
        let metrics = resource(&template, alarm)["Properties"]["Metrics"]
            .as_sequence()
            .unwrap();
        for (id, _) in functions(&template) {
            let watched = metrics.iter().any(|m| {
                let stat = &m["MetricStat"]["Metric"];
                stat["MetricName"] == metric
                    && reference(&stat["Dimensions"][0]["Value"]) == Some(id)
            });
            assert!(watched, "{alarm} does not count {id}'s {metric}");
        }
    }
    // The metric filters match lines the code writes.
    for (filter, file) in [
        ("SweepFailuresMetric", "shared/src/oauth/sweep.rs"),
        ("LoginServerErrorsMetric", "shared/src/http/access_log.rs"),
    ] {
        let pattern = resource(&template, filter)["Properties"]["FilterPattern"]
            .as_str()
            .unwrap()
            .to_string();
        let source = std::fs::read_to_string(root().join(file)).unwrap();
        for message in pattern.split("$.message = \"").skip(1) {
            let message = &message[..message.find('"').unwrap()];
            assert!(
                source.contains(&format!("\"{message}\"")),
                "{filter} looks for {message:?}, which {file} does not log"
            );
        }
    }
}

#[test]
fn the_template_refuses_what_cannot_work_and_keeps_the_table() {
    let template = template();
    let rule = &template["Rules"]["WordPressFallbackNeedsUrl"];
    assert!(format!("{rule:?}").contains("WordPressUrl"), "{rule:?}");
    let table = &resource(&template, "Table");
    assert_eq!(table["Properties"]["DeletionProtectionEnabled"], true);
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(
        reference(&template["Globals"]["Function"]["Tracing"]),
        Some("Tracing")
    );
    let layers = format!("{:?}", template["Globals"]["Function"]["Layers"]);
    assert!(layers.contains("ProvidersLayerArn"), "{layers}");
    let login = &resource(&template, "LoginAuthenticate")["Properties"];
    let reserved = format!("{:?}", login["ReservedConcurrentExecutions"]);
    assert!(reserved.contains("LoginReservedConcurrency"), "{reserved}");
}
