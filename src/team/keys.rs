//! A responder's signing key: ed25519, made on first use, kept in the
//! user's config dir (`team.key`, mode 0600, the 32-byte seed in hex).
//! The public key, in hex, is the responder's author id in the team
//! database: a row can be checked with nothing but itself.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// What is signed: the incident, the entry's seq and its hash (which
/// chains every earlier entry of the feed), with a version tag.
fn message(incident: &str, seq: i64, hash: &str) -> Vec<u8> {
    format!("firebreak-entry-v1\n{incident}\n{seq}\n{hash}").into_bytes()
}

pub struct Identity {
    key: SigningKey,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({})", self.author())
    }
}

impl Identity {
    /// The key in `path`, or a new one written there (0600, never
    /// overwritten). The second value says whether it was made now.
    pub fn load_or_create(path: &Path) -> Result<(Identity, bool), String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let seed = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| {
                        format!(
                            "not a firebreak signing key (expected 64 hex digits): {}",
                            path.display()
                        )
                    })?;
                Ok((
                    Identity {
                        key: SigningKey::from_bytes(&seed),
                    },
                    false,
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                }
                let mut f = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| {
                        format!("cannot create the signing key: {e}: {}", path.display())
                    })?;
                f.write_all(format!("{}\n", hex::encode(key.to_bytes())).as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| {
                        format!("cannot write the signing key: {e}: {}", path.display())
                    })?;
                Ok((Identity { key }, true))
            }
            Err(e) => Err(format!(
                "cannot read the signing key: {e}: {}",
                path.display()
            )),
        }
    }

    /// The public key, hex: this responder's author id.
    pub fn author(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Sign an entry of `incident`.
    pub fn sign(&self, incident: &str, seq: i64, hash: &str) -> String {
        hex::encode(self.key.sign(&message(incident, seq, hash)).to_bytes())
    }
}

/// Is `sig` the author's signature of that entry?
pub fn verify(author: &str, incident: &str, seq: i64, hash: &str, sig: &str) -> Result<(), String> {
    let key = hex::decode(author)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or("the author is not a public key")?;
    let sig = hex::decode(sig)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or("the signature is malformed")?;
    key.verify(&message(incident, seq, hash), &sig)
        .map_err(|_| {
            "the signature does not match: the row was not written by its author".to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_signs_verifiably() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("firebreak/team.key");
        let (a, made) = Identity::load_or_create(&path).unwrap();
        assert!(made);
        let (b, made) = Identity::load_or_create(&path).unwrap();
        assert!(!made);
        assert_eq!(a.author(), b.author());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let sig = a.sign("inc-1", 3, "abc");
        assert_eq!(verify(&a.author(), "inc-1", 3, "abc", &sig), Ok(()));
        // Another incident, seq or hash: not this signature.
        assert!(verify(&a.author(), "inc-2", 3, "abc", &sig).is_err());
        assert!(verify(&a.author(), "inc-1", 4, "abc", &sig).is_err());
        assert!(verify(&a.author(), "inc-1", 3, "abd", &sig).is_err());
        // Another author: no.
        let (c, _) = Identity::load_or_create(&dir.path().join("other.key")).unwrap();
        assert!(verify(&c.author(), "inc-1", 3, "abc", &sig).is_err());
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("team.key");
        std::fs::write(&path, "not hex\n").unwrap();
        let err = Identity::load_or_create(&path).unwrap_err();
        assert!(err.starts_with("not a firebreak signing key"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not hex\n");
    }
}
