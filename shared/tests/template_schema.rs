//! `template.yaml` agrees with the code: its DynamoDB table is exactly [`schema::table`], every
//! function is built by cargo-lambda from a crate folder that exists, and the HTTP API routes
//! exactly the paths the functions serve, each to the function that serves it.
//!
//! CloudFormation short tags (`!Ref`, `!Sub`, `!GetAtt`) parse as tagged YAML values. The parts
//! compared here must be literal: a tag where a literal is expected is reported as a difference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use authbridge::store::schema::{self, AttrType, TableDefinition};
use serde_norway::Value;

const TABLE_TYPE: &str = "AWS::DynamoDB::Table";
const FUNCTION_TYPE: &str = "AWS::Serverless::Function";
const HTTP_API_TYPE: &str = "AWS::Serverless::HttpApi";

/// `create_table` creates the table on-demand (`BillingMode::PayPerRequest`); `schema::table()`
/// does not carry the billing mode, so the template is held to it here.
const BILLING_MODE: &str = "PAY_PER_REQUEST";

/// Every route of the HTTP API and the function folder that serves it: the one route table.
fn route_table() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    authbridge::http::routes::ROUTES
        .iter()
        .map(|r| (r.method, r.path, r.function.folder()))
}

// ------------------------------------------------------------------ reading the template

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load_template() -> Value {
    let path = workspace_root().join("template.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_norway::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

/// The value under `key` of the mapping `value`, or `None` when `value` is no mapping or lacks it.
fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_mapping().and_then(|m| m.get(key))
}

/// A literal string; a tagged value (`!Ref`, `!Sub`, ...) or any other type is an error naming `at`.
fn literal<'a>(value: &'a Value, at: &str) -> Result<&'a str, String> {
    match value {
        Value::String(s) => Ok(s),
        Value::Tagged(tagged) => Err(format!(
            "{at} must be a literal, found the intrinsic function {}",
            tagged.tag
        )),
        other => Err(format!("{at} must be a string, found {other:?}")),
    }
}

/// A literal string under `key`.
fn literal_at<'a>(value: &'a Value, key: &str, at: &str) -> Result<&'a str, String> {
    let field = get(value, key).ok_or_else(|| format!("{at} has no {key}"))?;
    literal(field, &format!("{at}.{key}"))
}

/// A literal boolean under `key`.
fn bool_at(value: &Value, key: &str, at: &str) -> Result<bool, String> {
    match get(value, key) {
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!(
            "{at}.{key} must be a literal boolean, found {other:?}"
        )),
        None => Err(format!("{at} has no {key}")),
    }
}

/// A sequence under `key`.
fn seq_at<'a>(value: &'a Value, key: &str, at: &str) -> Result<&'a [Value], String> {
    match get(value, key) {
        Some(Value::Sequence(items)) => Ok(items),
        Some(other) => Err(format!(
            "{at}.{key} must be a literal list, found {other:?}"
        )),
        None => Err(format!("{at} has no {key}")),
    }
}

/// The template's resources of `type_name`, by logical id.
fn resources_of<'a>(template: &'a Value, type_name: &str) -> Vec<(&'a str, &'a Value)> {
    let resources = get(template, "Resources")
        .and_then(Value::as_mapping)
        .expect("template.yaml has a Resources mapping");
    resources
        .iter()
        .filter(|(_, resource)| get(resource, "Type").and_then(Value::as_str) == Some(type_name))
        .map(|(id, resource)| {
            let id = id.as_str().expect("resource logical ids are strings");
            (id, resource)
        })
        .collect()
}

/// The one resource of `type_name`.
fn only_resource<'a>(template: &'a Value, type_name: &str) -> (&'a str, &'a Value) {
    let found = resources_of(template, type_name);
    match found.as_slice() {
        [one] => *one,
        _ => panic!(
            "template.yaml must declare exactly one {type_name}, found {}: {:?}",
            found.len(),
            found.iter().map(|(id, _)| *id).collect::<Vec<_>>()
        ),
    }
}

// ------------------------------------------------------------------ the table

/// The comparable shape of a DynamoDB table, whether from the template or from the code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TableShape {
    hash_key: String,
    range_key: Option<String>,
    attributes: BTreeSet<(String, String)>,
    indexes: BTreeMap<String, IndexShape>,
    ttl: Option<String>,
    billing_mode: String,
    point_in_time_recovery: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct IndexShape {
    hash_key: String,
    range_key: Option<String>,
    projection: String,
}

/// What `schema::table()` and `create_table` define.
fn expected_shape(def: &TableDefinition) -> TableShape {
    TableShape {
        hash_key: def.hash_key.to_string(),
        range_key: None,
        attributes: def
            .attributes
            .iter()
            .map(|(name, ty): &(&str, AttrType)| (name.to_string(), ty.as_str().to_string()))
            .collect(),
        indexes: def
            .indexes
            .iter()
            .map(|index| {
                let shape = IndexShape {
                    hash_key: index.hash_key.to_string(),
                    range_key: Some(index.range_key.to_string()),
                    projection: "ALL".to_string(),
                };
                (index.name.to_string(), shape)
            })
            .collect(),
        ttl: Some(def.ttl_attribute.to_string()),
        billing_mode: BILLING_MODE.to_string(),
        point_in_time_recovery: true,
    }
}

/// The hash and range key of a `KeySchema` list.
fn key_schema(value: &Value, at: &str) -> Result<(String, Option<String>), String> {
    let mut hash = None;
    let mut range = None;
    for (i, element) in seq_at(value, "KeySchema", at)?.iter().enumerate() {
        let at = format!("{at}.KeySchema[{i}]");
        let name = literal_at(element, "AttributeName", &at)?.to_string();
        let slot = match literal_at(element, "KeyType", &at)? {
            "HASH" => &mut hash,
            "RANGE" => &mut range,
            other => return Err(format!("{at}.KeyType is {other:?}, not HASH or RANGE")),
        };
        if slot.replace(name).is_some() {
            return Err(format!("{at} repeats a key type"));
        }
    }
    let hash = hash.ok_or_else(|| format!("{at}.KeySchema has no HASH key"))?;
    Ok((hash, range))
}

/// Reads the table resource's properties into a [`TableShape`].
fn template_shape(table: &Value) -> Result<TableShape, String> {
    let at = "Table.Properties";
    let props = get(table, "Properties").ok_or("the table resource has no Properties")?;
    if get(props, "TableName").is_some() {
        return Err(format!(
            "{at}.TableName is set; let CloudFormation name the table and pass it with !Ref"
        ));
    }
    if get(props, "LocalSecondaryIndexes").is_some() {
        return Err(format!(
            "{at}.LocalSecondaryIndexes is set; the code defines none"
        ));
    }
    let (hash_key, range_key) = key_schema(props, at)?;
    let mut attributes = BTreeSet::new();
    for (i, attr) in seq_at(props, "AttributeDefinitions", at)?
        .iter()
        .enumerate()
    {
        let at = format!("{at}.AttributeDefinitions[{i}]");
        let name = literal_at(attr, "AttributeName", &at)?.to_string();
        let ty = literal_at(attr, "AttributeType", &at)?.to_string();
        if !attributes.insert((name.clone(), ty)) {
            return Err(format!("{at} defines {name} twice"));
        }
    }
    let mut indexes = BTreeMap::new();
    for (i, index) in seq_at(props, "GlobalSecondaryIndexes", at)?
        .iter()
        .enumerate()
    {
        let at = format!("{at}.GlobalSecondaryIndexes[{i}]");
        let name = literal_at(index, "IndexName", &at)?.to_string();
        let (hash_key, range_key) = key_schema(index, &at)?;
        let projection = get(index, "Projection")
            .ok_or_else(|| format!("{at} has no Projection"))
            .and_then(|p| literal_at(p, "ProjectionType", &format!("{at}.Projection")))?
            .to_string();
        let shape = IndexShape {
            hash_key,
            range_key,
            projection,
        };
        if indexes.insert(name.clone(), shape).is_some() {
            return Err(format!("{at} repeats the index name {name:?}"));
        }
    }
    let ttl = match get(props, "TimeToLiveSpecification") {
        None => None,
        Some(spec) => {
            let at = format!("{at}.TimeToLiveSpecification");
            bool_at(spec, "Enabled", &at)?
                .then(|| literal_at(spec, "AttributeName", &at).map(str::to_string))
                .transpose()?
        }
    };
    let billing_mode = literal_at(props, "BillingMode", at)?.to_string();
    let point_in_time_recovery = match get(props, "PointInTimeRecoverySpecification") {
        None => false,
        Some(spec) => bool_at(
            spec,
            "PointInTimeRecoveryEnabled",
            &format!("{at}.PointInTimeRecoverySpecification"),
        )?,
    };
    Ok(TableShape {
        hash_key,
        range_key,
        attributes,
        indexes,
        ttl,
        billing_mode,
        point_in_time_recovery,
    })
}

/// Every way the template's table differs from the code's, one line each; empty when they agree.
fn table_differences(template: &Value) -> Vec<String> {
    let (_, table) = only_resource(template, TABLE_TYPE);
    let found = match template_shape(table) {
        Ok(shape) => shape,
        Err(e) => return vec![e],
    };
    let want = expected_shape(&schema::table());
    let mut diffs = Vec::new();
    let scalars = [
        (
            "hash key",
            format!("{:?}", found.hash_key),
            format!("{:?}", want.hash_key),
        ),
        (
            "range key",
            format!("{:?}", found.range_key),
            format!("{:?}", want.range_key),
        ),
        (
            "TTL attribute",
            format!("{:?}", found.ttl),
            format!("{:?}", want.ttl),
        ),
        (
            "billing mode",
            found.billing_mode.clone(),
            want.billing_mode.clone(),
        ),
        (
            "point-in-time recovery",
            found.point_in_time_recovery.to_string(),
            want.point_in_time_recovery.to_string(),
        ),
    ];
    for (what, template, code) in scalars {
        if template != code {
            diffs.push(format!(
                "{what}: template.yaml has {template}, the code has {code}"
            ));
        }
    }
    for extra in found.attributes.difference(&want.attributes) {
        diffs.push(format!(
            "attribute definition {extra:?} is in template.yaml but not in the code"
        ));
    }
    for missing in want.attributes.difference(&found.attributes) {
        diffs.push(format!(
            "attribute definition {missing:?} is in the code but not in template.yaml"
        ));
    }
    for (name, shape) in &found.indexes {
        match want.indexes.get(name) {
            None => diffs.push(format!(
                "index {name:?} is in template.yaml but not in the code (the code has {:?})",
                want.indexes.keys().collect::<Vec<_>>()
            )),
            Some(expected) if expected != shape => diffs.push(format!(
                "index {name:?}: template.yaml has {shape:?}, the code has {expected:?}"
            )),
            Some(_) => {}
        }
    }
    for name in want.indexes.keys() {
        if !found.indexes.contains_key(name) {
            diffs.push(format!(
                "index {name:?} is in the code but not in template.yaml (the template has {:?})",
                found.indexes.keys().collect::<Vec<_>>()
            ));
        }
    }
    diffs
}

#[test]
fn table_matches_the_schema_in_code() {
    let diffs = table_differences(&load_template());
    assert!(
        diffs.is_empty(),
        "template.yaml's table differs from authbridge::store::schema::table():\n  {}",
        diffs.join("\n  ")
    );
}

#[test]
fn a_renamed_index_is_reported() {
    let mut template = load_template();
    let (id, _) = only_resource(&template, TABLE_TYPE);
    let id = id.to_string();
    let name = &mut template["Resources"][id.as_str()]["Properties"]["GlobalSecondaryIndexes"][0]["IndexName"];
    let original = name
        .as_str()
        .expect("the table's first index has a literal IndexName")
        .to_string();
    let renamed = format!("{original}-renamed");
    *name = Value::String(renamed.clone());

    let diffs = table_differences(&template).join("\n");
    assert!(
        diffs.contains(&format!(
            "index {renamed:?} is in template.yaml but not in the code"
        )),
        "{diffs}"
    );
    if schema::table().indexes.iter().any(|i| i.name == original) {
        assert!(
            diffs.contains(&format!(
                "index {original:?} is in the code but not in template.yaml"
            )),
            "{diffs}"
        );
    }
}

#[test]
fn an_intrinsic_function_in_the_key_schema_is_reported() {
    let mut template = load_template();
    let (id, _) = only_resource(&template, TABLE_TYPE);
    let id = id.to_string();
    let key = &mut template["Resources"][id.as_str()]["Properties"]["KeySchema"][0];
    key["AttributeName"] =
        serde_norway::from_str("!Ref HashKeyParameter").expect("a tagged scalar parses");

    let diffs = table_differences(&template).join("\n");
    assert!(diffs.contains("must be a literal"), "{diffs}");
}

// ------------------------------------------------------------------ functions

/// Each function's logical id and `CodeUri` folder.
fn functions(template: &Value) -> Vec<(&str, &Value, String)> {
    resources_of(template, FUNCTION_TYPE)
        .into_iter()
        .map(|(id, function)| {
            let props = get(function, "Properties")
                .unwrap_or_else(|| panic!("function {id} has no Properties"));
            let code_uri = literal_at(props, "CodeUri", &format!("{id}.Properties"))
                .unwrap_or_else(|e| panic!("{e}"));
            (id, function, code_uri.trim_end_matches('/').to_string())
        })
        .collect()
}

/// The function's own setting of `key`, else the one in `Globals.Function`.
fn effective<'a>(template: &'a Value, function: &'a Value, key: &str) -> Option<&'a Value> {
    get(function, "Properties")
        .and_then(|p| get(p, key))
        .or_else(|| {
            get(template, "Globals")
                .and_then(|g| get(g, "Function"))
                .and_then(|f| get(f, key))
        })
}

#[test]
fn every_function_is_a_cargo_lambda_crate() {
    let template = load_template();
    let root = workspace_root();
    let functions = functions(&template);
    assert!(!functions.is_empty(), "template.yaml declares no functions");
    let mut problems = Vec::new();
    for (id, function, code_uri) in &functions {
        let metadata = get(function, "Metadata");
        let build = metadata
            .and_then(|m| get(m, "BuildMethod"))
            .and_then(Value::as_str);
        if build != Some("rust-cargolambda") {
            problems.push(format!(
                "{id}: Metadata.BuildMethod is {build:?}, expected \"rust-cargolambda\""
            ));
        }
        let manifest_path = root.join(code_uri).join("Cargo.toml");
        let Ok(manifest) = std::fs::read_to_string(&manifest_path) else {
            problems.push(format!(
                "{id}: CodeUri {code_uri:?} has no Cargo.toml ({} is not readable)",
                manifest_path.display()
            ));
            continue;
        };
        // cargo-lambda builds the named binary; Cargo names it after the package unless a [[bin]]
        // says otherwise. A line check is enough to catch a typo without a TOML parser.
        let binary = metadata
            .and_then(|m| get(m, "BuildProperties"))
            .and_then(|b| get(b, "Binary"))
            .and_then(Value::as_str);
        if let Some(binary) = binary {
            let declared = manifest
                .lines()
                .any(|line| line.replace(' ', "") == format!("name=\"{binary}\""));
            if !declared {
                problems.push(format!(
                    "{id}: BuildProperties.Binary {binary:?} is not a package or bin name in {}",
                    manifest_path.display()
                ));
            }
        }
        for (key, want) in [("Handler", "bootstrap"), ("Runtime", "provided.al2023")] {
            let found = effective(&template, function, key).and_then(Value::as_str);
            if found != Some(want) {
                problems.push(format!("{id}: {key} is {found:?}, expected {want:?}"));
            }
        }
    }

    // The reverse: every function crate in the workspace is deployed.
    let declared: BTreeSet<&str> = functions.iter().map(|(_, _, uri)| uri.as_str()).collect();
    let dir = root.join("functions");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        let folder = format!("functions/{}", entry.file_name().to_string_lossy());
        if entry.path().join("Cargo.toml").is_file() && !declared.contains(folder.as_str()) {
            problems.push(format!(
                "{folder} is a function crate but no function in template.yaml has it as CodeUri"
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "template.yaml's functions disagree with the workspace:\n  {}",
        problems.join("\n  ")
    );
}

// ------------------------------------------------------------------ routes

#[test]
fn the_http_api_routes_exactly_the_served_paths() {
    let template = load_template();
    let (api_id, _) = only_resource(&template, HTTP_API_TYPE);
    let mut problems = Vec::new();
    let mut routes: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (id, function, code_uri) in functions(&template) {
        let events = get(function, "Properties")
            .and_then(|p| get(p, "Events"))
            .and_then(Value::as_mapping);
        for (name, event) in events.into_iter().flatten() {
            if get(event, "Type").and_then(Value::as_str) != Some("HttpApi") {
                continue;
            }
            let at = format!("{id}.Events.{}.Properties", name.as_str().unwrap_or("?"));
            let Some(props) = get(event, "Properties") else {
                problems.push(format!("{at} is missing"));
                continue;
            };
            // Without ApiId, SAM routes the event to an implicit second API.
            match get(props, "ApiId") {
                Some(Value::Tagged(tagged))
                    if tagged.tag == "Ref" && tagged.value.as_str() == Some(api_id) => {}
                other => problems.push(format!("{at}.ApiId is {other:?}, expected !Ref {api_id}")),
            }
            match (
                literal_at(props, "Method", &at),
                literal_at(props, "Path", &at),
            ) {
                (Ok(method), Ok(path)) => routes
                    .entry((method.to_ascii_uppercase(), path.to_string()))
                    .or_default()
                    .push(code_uri.clone()),
                (Err(e), _) | (_, Err(e)) => problems.push(e),
            }
        }
    }

    let expected: BTreeMap<(String, String), String> = route_table()
        .map(|(method, path, folder)| ((method.to_string(), path.to_string()), folder.to_string()))
        .collect();
    for ((method, path), folders) in &routes {
        match (
            expected.get(&(method.clone(), path.clone())),
            folders.as_slice(),
        ) {
            (None, _) => problems.push(format!("{method} {path} is routed but is not expected")),
            (Some(want), [one]) if one == want => {}
            (Some(want), _) => problems.push(format!(
                "{method} {path} goes to {folders:?}, expected only {want}"
            )),
        }
    }
    for (method, path) in expected.keys() {
        if !routes.contains_key(&(method.clone(), path.clone())) {
            problems.push(format!("{method} {path} is expected but not routed"));
        }
    }

    assert!(
        problems.is_empty(),
        "template.yaml's HTTP API routes are wrong:\n  {}",
        problems.join("\n  ")
    );
}

/// `docs/openapi.json` has an operation for every route of the HTTP API and none besides (the
/// template is held to the route table, [`route_table`]).
#[test]
fn the_openapi_document_has_exactly_the_routed_operations() {
    let path = workspace_root().join("docs/openapi.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let document: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            methods
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_ascii_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    // The console's routes answer HTML pages, not an API: the document leaves them out.
    let routed: BTreeSet<(String, String)> = authbridge::http::routes::ROUTES
        .iter()
        .filter(|r| r.documented())
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/openapi.json: routes with no entry {missing:?}, entries with no route {extra:?}"
    );
}

// ------------------------------------------------------------------ KMS

/// The functions that seal or open stored tokens: the only ones whose role may use the KMS key.
const TOKEN_FUNCTIONS: [&str; 4] = [
    "OAuthReturn",
    "ClientCredentials",
    "TokenRefresh",
    "TokenAccess",
];

/// The KMS key every function names: the stack's own, or the operator's by parameter.
fn kms_key_expression() -> Value {
    serde_norway::from_str("!If [MakeKmsKey, !GetAtt TokenKmsKey.Arn, !Ref KmsKeyArn]").unwrap()
}

/// Each policy statement of `function` as (actions, resources).
fn statements(function: &Value) -> Vec<(Vec<String>, Vec<Value>)> {
    let policies = get(function, "Properties")
        .and_then(|p| get(p, "Policies"))
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let one_or_many = |v: Option<&Value>| -> Vec<Value> {
        match v {
            Some(Value::Sequence(items)) => items.clone(),
            Some(other) => vec![other.clone()],
            None => vec![],
        }
    };
    policies
        .iter()
        .filter_map(|p| get(p, "Statement").and_then(Value::as_sequence))
        .flatten()
        .map(|s| {
            let actions = one_or_many(get(s, "Action"))
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            (actions, one_or_many(get(s, "Resource")))
        })
        .collect()
}

#[test]
fn the_kms_key_is_granted_to_the_token_functions_and_the_console_only_and_on_that_key_alone() {
    let template = load_template();
    let key = kms_key_expression();
    let env = get(&template, "Globals")
        .and_then(|g| get(g, "Function"))
        .and_then(|f| get(f, "Environment"))
        .and_then(|e| get(e, "Variables"))
        .and_then(|v| get(v, "AUTHBRIDGE_KMS_KEY_ID"));
    assert_eq!(env, Some(&key), "every function is told the KMS key");
    for (id, function, _) in functions(&template) {
        let mut granted = BTreeSet::new();
        for (actions, resources) in statements(function) {
            let kms: Vec<&String> = actions.iter().filter(|a| a.starts_with("kms:")).collect();
            if kms.is_empty() {
                continue;
            }
            assert_eq!(
                resources,
                vec![key.clone()],
                "{id}: KMS actions on anything but the token key"
            );
            granted.extend(kms.into_iter().cloned());
        }
        // The console opens tokens (to revoke them at the provider) but never seals one.
        let expected: BTreeSet<String> = if TOKEN_FUNCTIONS.contains(&id) {
            ["kms:Decrypt", "kms:GenerateDataKey"]
                .map(String::from)
                .into()
        } else if id == "AdminConsole" {
            ["kms:Decrypt".to_string()].into()
        } else {
            BTreeSet::new()
        };
        assert_eq!(granted, expected, "{id}'s KMS actions");
    }
    let (_, kms_key) = resources_of(&template, "AWS::KMS::Key")
        .into_iter()
        .next()
        .expect("the stack's own KMS key");
    assert!(
        get(kms_key, "Properties")
            .and_then(|p| get(p, "EnableKeyRotation"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        "the stack's KMS key rotates its material"
    );
}
