//! The local stack's key-encryption key: a file beside the database, so the key is not in the
//! file it protects. Created on first start with mode 0600; refused when others may read it.
//!
//! The file holds the key as 64 hex digits and a newline.

use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::zeroize::Zeroize;

use super::KeyError;
use super::wrap::{AesKek, DataKey, KEY_BYTES};

/// The key file's name, in the database's folder.
pub const KEY_FILE_NAME: &str = "authbridge.key";

/// Where the key file of the database at `db_path` lives.
pub fn beside(db_path: &Path) -> PathBuf {
    db_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(KEY_FILE_NAME))
        .unwrap_or_else(|| PathBuf::from(KEY_FILE_NAME))
}

/// The key-encryption key in the file at `path`, created (mode 0600) when there is none. Of two
/// processes creating it at once, one wins and both use its key.
pub fn load_or_create(path: &Path) -> Result<AesKek, KeyError> {
    match read(path) {
        Err(KeyError::KeyFile { missing: true, .. }) => {}
        other => return other,
    }
    create(path)?;
    read(path)
}

fn failed(path: &Path, reason: impl ToString) -> KeyError {
    KeyError::KeyFile {
        path: path.display().to_string(),
        reason: reason.to_string(),
        missing: false,
    }
}

fn read(path: &Path) -> Result<AesKek, KeyError> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(KeyError::KeyFile {
                path: path.display().to_string(),
                reason: "it does not exist".into(),
                missing: true,
            });
        }
        Err(e) => return Err(failed(path, e)),
    };
    check_private(path, &meta)?;
    let mut text = std::fs::read_to_string(path).map_err(|e| failed(path, e))?;
    let mut bytes = hex::decode(text.trim()).unwrap_or_default();
    text.zeroize();
    if bytes.len() != KEY_BYTES {
        bytes.zeroize();
        return Err(failed(path, "it does not hold a 256-bit key in hex"));
    }
    let key = DataKey::from_bytes(&bytes);
    bytes.zeroize();
    Ok(AesKek::from_key(&key?, "file"))
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(failed(
            path,
            format!("others may read it (mode {mode:o}); make it private: chmod 600"),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &std::fs::Metadata) -> Result<(), KeyError> {
    Ok(())
}

/// Writes a fresh key to a private temporary file, then links it into place: the link fails when
/// another process got there first, and a reader never sees a half-written file.
fn create(path: &Path) -> Result<(), KeyError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| failed(path, e))?;
    }
    let mut suffix = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut suffix);
    let temp = path.with_extension(format!("key.{}.tmp", hex::encode(suffix)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut file| {
        let key = DataKey::random();
        let mut text = hex::encode(key_bytes(&key));
        text.push('\n');
        let out = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all());
        text.zeroize();
        out
    });
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(failed(path, e)),
    }
}

fn key_bytes(key: &DataKey) -> [u8; KEY_BYTES] {
    // The cipher is the only other use of the bytes; a copy here is written and zeroed at once.
    let mut out = [0u8; KEY_BYTES];
    out.copy_from_slice(key.expose_bytes());
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::domain::KeyNumber;
    use crate::keys::KeyWrapper;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn the_key_file_is_made_private_once_and_refused_when_others_can_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data/authbridge.db");
        let path = beside(&db);
        assert_eq!(path, dir.path().join("data/authbridge.key"));

        let first = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (_, wrapped) = first.generate(KeyNumber(1)).await.unwrap();
        // A second start reads the same key.
        let again = load_or_create(&path).unwrap();
        assert!(again.unwrap(KeyNumber(1), &wrapped).await.is_ok());

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(&path).unwrap_err();
        let said = err.to_string();
        assert!(
            said.contains("authbridge.key") && said.contains("644"),
            "{said}"
        );
        // Nothing in the folder but the key file: no temporary file left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("authbridge.key")]);
    }

    #[test]
    fn concurrent_first_starts_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("authbridge.key");
        let keks: Vec<AesKek> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6).map(|_| s.spawn(|| load_or_create(&path))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        let wrapped = keks[0].wrap(KeyNumber(1), &DataKey::random()).unwrap();
        for kek in &keks {
            assert!(kek.unwrap_key(KeyNumber(1), &wrapped).is_ok());
        }
    }
}
