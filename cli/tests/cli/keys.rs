//! `authbridge keys ...` on the embedded store: the key file is made private beside the database,
//! a rotation makes a new version, and a version is retired only when that is safe.

use std::os::unix::fs::PermissionsExt;

use crate::support::Deployment;

fn states(deployment: &Deployment, vars: &[(&str, &str)]) -> Vec<(String, String)> {
    let status = deployment
        .run_with(&["--json", "keys", "status"], "", vars)
        .ok()
        .json();
    status
        .as_array()
        .expect("a list of versions")
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_string(),
                v["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn keys_rotate_and_retire_with_the_key_file_kept_private() {
    let deployment = Deployment::new();
    let no_cache = [("AUTHBRIDGE_KEY_CACHE_TTL", "0")];
    assert_eq!(
        states(&deployment, &no_cache),
        vec![("1".to_string(), "active".to_string())]
    );
    let key_file = deployment.db_path().with_file_name("authbridge.key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key file is private");

    // The only version cannot be retired; after a rotation, the previous one can (no record
    // uses it, and with no key cache no function can still seal under it).
    let refused = deployment.run_with(&["keys", "retire", "1"], "", &no_cache);
    assert_ne!(refused.code, Some(0));
    assert!(
        refused.stderr.contains("rotate first"),
        "{}",
        refused.stderr
    );
    deployment.run_with(&["keys", "rotate"], "", &no_cache).ok();
    assert_eq!(
        states(&deployment, &no_cache),
        vec![
            ("1".to_string(), "previous".to_string()),
            ("2".to_string(), "active".to_string())
        ]
    );
    // With the default key cache, functions may still seal under version 1 for a while.
    let early = deployment.run(&["keys", "retire", "1"]);
    assert_ne!(early.code, Some(0));
    assert!(
        early.stderr.contains("key-cache period"),
        "{}",
        early.stderr
    );
    deployment
        .run_with(&["keys", "retire", "1"], "", &no_cache)
        .ok();
    assert_eq!(states(&deployment, &no_cache)[0].1, "retired");
    deployment.run_with(&["keys", "reseal"], "", &no_cache).ok();

    // A key file others may read stops every command that needs the keys.
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = deployment.run(&["keys", "status"]);
    assert_ne!(open.code, Some(0));
    assert!(open.stderr.contains("chmod 600"), "{}", open.stderr);
}
