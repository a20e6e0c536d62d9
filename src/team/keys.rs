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

const NOT_A_KEY: &str = "the author is not a public key";
const MALFORMED: &str = "the signature is malformed";
const MISMATCH: &str = "the signature does not match: the row was not written by its author";

fn public_key(author: &str) -> Option<VerifyingKey> {
    hex::decode(author)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
}

fn signature(sig: &str) -> Option<Signature> {
    hex::decode(sig)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
}

/// Is `sig` the author's signature of that entry?
pub fn verify(author: &str, incident: &str, seq: i64, hash: &str, sig: &str) -> Result<(), String> {
    let key = public_key(author).ok_or(NOT_A_KEY)?;
    let sig = signature(sig).ok_or(MALFORMED)?;
    key.verify(&message(incident, seq, hash), &sig)
        .map_err(|_| MISMATCH.to_string())
}

/// One entry's signature, to check with [`verify_all`].
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub author: &'a str,
    pub seq: i64,
    pub hash: &'a str,
    pub sig: &'a str,
}

/// Below this many signatures a page is checked on the calling thread.
const SPREAD_FROM: usize = 256;

/// [`verify`] for many entries of `incident` at once, one answer per
/// entry, in order. What makes joining a big incident fast: each author's
/// key is decoded once, the signatures are checked in batches
/// (`ed25519_dalek::verify_batch`, about twice as fast per signature)
/// spread over the cores, and only a batch that fails is checked again
/// one by one, to name the rows that do not verify.
pub fn verify_all(incident: &str, items: &[Signed<'_>]) -> Vec<Result<(), String>> {
    let mut keys: std::collections::HashMap<&str, Option<VerifyingKey>> = Default::default();
    let mut out: Vec<Result<(), String>> = Vec::with_capacity(items.len());
    // (index in `items`, message, signature, key) of the well-formed ones.
    let mut todo: Vec<(usize, Vec<u8>, Signature, VerifyingKey)> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let key = *keys
            .entry(it.author)
            .or_insert_with(|| public_key(it.author));
        match (key, signature(it.sig)) {
            (None, _) => out.push(Err(NOT_A_KEY.to_string())),
            (Some(_), None) => out.push(Err(MALFORMED.to_string())),
            (Some(key), Some(sig)) => {
                out.push(Ok(()));
                todo.push((i, message(incident, it.seq, it.hash), sig, key));
            }
        }
    }
    let threads = if todo.len() < SPREAD_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    };
    let chunk = todo.len().div_ceil(threads).max(1);
    let failed: Vec<usize> = if threads == 1 {
        failing(&todo)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = todo
                .chunks(chunk)
                .map(|c| (c, s.spawn(|| failing(c))))
                .collect();
            handles
                .into_iter()
                .flat_map(|(c, h)| {
                    // A checker that panicked proves nothing: its rows fail.
                    h.join().unwrap_or_else(|_| c.iter().map(|t| t.0).collect())
                })
                .collect()
        })
    };
    for i in failed {
        out[i] = Err(MISMATCH.to_string());
    }
    out
}

/// The indices of the signatures in `batch` that do not verify.
fn failing(batch: &[(usize, Vec<u8>, Signature, VerifyingKey)]) -> Vec<usize> {
    if batch.is_empty() {
        return Vec::new();
    }
    let msgs: Vec<&[u8]> = batch.iter().map(|t| t.1.as_slice()).collect();
    let sigs: Vec<Signature> = batch.iter().map(|t| t.2).collect();
    let keys: Vec<VerifyingKey> = batch.iter().map(|t| t.3).collect();
    if ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
        return Vec::new();
    }
    batch
        .iter()
        .filter(|(_, msg, sig, key)| key.verify(msg, sig).is_err())
        .map(|t| t.0)
        .collect()
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
    fn checking_many_at_once_gives_the_same_answers_as_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = Identity::load_or_create(&dir.path().join("a.key")).unwrap();
        let (b, _) = Identity::load_or_create(&dir.path().join("b.key")).unwrap();
        let (authors, hashes): (Vec<String>, Vec<String>) = (1..=700)
            .map(|i| {
                let who = if i % 3 == 0 { &b } else { &a };
                (who.author(), format!("h{i}"))
            })
            .unzip();
        let mut sigs: Vec<String> = (0..700)
            .map(|i| {
                let who = if (i + 1) % 3 == 0 { &b } else { &a };
                who.sign("inc-1", i as i64 + 1, &hashes[i])
            })
            .collect();
        // Forged (b's signature on a's entry), another incident's,
        // malformed, and one not by a key at all, spread over the batches.
        sigs[10] = b.sign("inc-1", 11, &hashes[10]);
        sigs[400] = a.sign("inc-2", 401, &hashes[400]);
        sigs[650] = "zz".into();
        let mut authors = authors;
        authors[699] = "nope".into();
        for n in [5, 700] {
            let items: Vec<Signed<'_>> = (0..n)
                .map(|i| Signed {
                    author: &authors[i],
                    seq: i as i64 + 1,
                    hash: &hashes[i],
                    sig: &sigs[i],
                })
                .collect();
            let one_by_one: Vec<_> = items
                .iter()
                .map(|it| verify(it.author, "inc-1", it.seq, it.hash, it.sig))
                .collect();
            assert_eq!(verify_all("inc-1", &items), one_by_one);
            let bad: Vec<usize> = (0..n).filter(|&i| one_by_one[i].is_err()).collect();
            let want: Vec<usize> = [10, 400, 650, 699].into_iter().filter(|&i| i < n).collect();
            assert_eq!(bad, want);
        }
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
