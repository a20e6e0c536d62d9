//! `[team]`: the PostgreSQL database a team shares incidents through.
//!
//! ```toml
//! [team]
//! url = "postgres://firebreak@db.internal:5432/firebreak"
//! password_env = "FIREBREAK_DB_PASSWORD"   # or password_file, or PGPASSWORD
//! sslmode = "verify-full"                  # disable | require | verify-full
//! ca_file = "/etc/ssl/certs/company-ca.pem"
//! two_person = ["rollback"]                # a second responder approves (A)
//! ```
//!
//! The password is never in the URL, the logs, the journal or an export.

use std::path::PathBuf;

use serde::Deserialize;

use crate::sources::http::SecretRef;
pub use crate::team::db::SslMode;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TeamConfig {
    /// `postgres://user@host:port/database` (no password in it).
    pub url: String,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default)]
    pub sslmode: SslMode,
    /// CA certificate(s) (PEM) for verify-full, on top of the system's.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for a connection.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// What waits for a second responder's approval: any of "rollback",
    /// "flag", "dangerous" (playbook command steps marked dangerous).
    #[serde(default)]
    pub two_person: Vec<crate::domain::approvals::Guarded>,
}

fn default_connect_timeout() -> u64 {
    5
}

impl TeamConfig {
    /// Check the combination: (field, message) on error.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let rest = self
            .url
            .strip_prefix("postgres://")
            .or_else(|| self.url.strip_prefix("postgresql://"))
            .ok_or((
                "url",
                "expected postgres://user@host:port/database".to_string(),
            ))?;
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
        {
            return Err((
                "url",
                "the URL holds a password: remove it and use password_env or password_file"
                    .to_string(),
            ));
        }
        if self.password_env.is_some() && self.password_file.is_some() {
            return Err((
                "password_file",
                "set password_env or password_file, not both".into(),
            ));
        }
        if self.ca_file.is_some() && self.sslmode != SslMode::VerifyFull {
            return Err((
                "ca_file",
                "a CA file is only used with sslmode = \"verify-full\"".into(),
            ));
        }
        Ok(())
    }

    /// Where the password comes from: password_env, password_file, else
    /// PGPASSWORD when set, else none (trust or certificate auth).
    pub fn password(&self) -> Option<SecretRef> {
        match (&self.password_env, &self.password_file) {
            (Some(v), _) => Some(SecretRef::Env(v.clone())),
            (None, Some(f)) => Some(SecretRef::File(f.clone())),
            (None, None) => {
                std::env::var_os("PGPASSWORD").map(|_| SecretRef::Env("PGPASSWORD".into()))
            }
        }
    }
}
