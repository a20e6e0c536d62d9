//! The connection to the team database, and what firebreak asks of it.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::{Client, NoTls};

use super::{Arrived, Fork, Row};
use crate::sources::http::Secret;

/// How the connection is protected (libpq's names).
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Plain TCP: a database on this machine or a test rig only.
    Disable,
    /// TLS, certificate not checked.
    Require,
    /// TLS, certificate checked against the CAs and the host name.
    #[default]
    VerifyFull,
}

pub use super::TeamError;

/// What connecting needs, resolved from `[team]` (the password read).
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    pub password: Option<Secret>,
    pub sslmode: SslMode,
    pub ca_file: Option<std::path::PathBuf>,
    pub timeout: Duration,
}

impl Settings {
    /// The URL as it may be shown: it never holds the password.
    pub fn shown(&self) -> &str {
        &self.url
    }
}

/// The incident a feed belongs to, as registered in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedIncident {
    pub id: String,
    pub title: String,
    pub declared_at: DateTime<Utc>,
    pub declared_by: String,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pushed {
    /// Rows stored now, with their arrival numbers.
    pub inserted: Vec<(i64, i64)>,
    /// Rows the database already had, identical: nothing to do.
    pub already: usize,
    /// Rows whose key was taken by a different entry.
    pub forks: Vec<Fork>,
}

/// A connection to the team database.
pub struct Team {
    client: Client,
    timeout: Duration,
}

impl Team {
    /// Connect (TLS as configured), within the configured timeout.
    pub async fn connect(s: &Settings) -> Result<Team, TeamError> {
        Team::connect_with(s, None).await
    }

    /// [`Team::connect`], and LISTEN: every notification of a new row
    /// (any incident) wakes `wake`. Correctness never depends on it (it
    /// is lost when nobody listens); it only saves waiting for the next
    /// poll.
    pub async fn connect_listening(
        s: &Settings,
        wake: Arc<tokio::sync::Notify>,
    ) -> Result<Team, TeamError> {
        let team = Team::connect_with(s, Some(wake)).await?;
        team.within(team.client.batch_execute("LISTEN firebreak"))
            .await?;
        Ok(team)
    }

    async fn connect_with(
        s: &Settings,
        wake: Option<Arc<tokio::sync::Notify>>,
    ) -> Result<Team, TeamError> {
        let mut config = tokio_postgres::Config::from_str(&s.url)
            .map_err(|e| TeamError::Config(format!("[team] url: {e}")))?;
        if let Some(p) = &s.password {
            config.password(p.expose());
        }
        config.connect_timeout(s.timeout);
        config.application_name("firebreak");
        let connect = async {
            match s.sslmode {
                SslMode::Disable => {
                    let (client, conn) = config.connect(NoTls).await?;
                    tokio::spawn(drive(conn, wake));
                    Ok::<_, TeamError>(client)
                }
                mode => {
                    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(
                        mode,
                        s.ca_file.as_deref(),
                    )?);
                    let (client, conn) = config.connect(tls).await?;
                    tokio::spawn(drive(conn, wake));
                    Ok(client)
                }
            }
        };
        let client = tokio::time::timeout(s.timeout, connect)
            .await
            .map_err(|_| TeamError::Timeout(s.timeout))??;
        Ok(Team {
            client,
            timeout: s.timeout,
        })
    }

    /// Is the connection gone (the server closed it, the network broke)?
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Create or upgrade the schema (`firebreak team init`).
    pub async fn init(&mut self) -> Result<super::schema::Migrated, TeamError> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, super::schema::migrate(&mut self.client))
            .await
            .map_err(|_| TeamError::Timeout(timeout))?
    }

    /// The schema version (0: `team init` was never run).
    pub async fn version(&self) -> Result<i32, TeamError> {
        tokio::time::timeout(self.timeout, super::schema::version(&self.client))
            .await
            .map_err(|_| TeamError::Timeout(self.timeout))?
    }

    /// Fails unless the schema is the one this firebreak knows.
    pub async fn require_schema(&self) -> Result<(), TeamError> {
        let v = self.version().await?;
        let want = super::schema::latest();
        if v != want {
            return Err(TeamError::Schema(format!(
                "schema version {v}, this firebreak needs {want}: run `firebreak team init`"
            )));
        }
        Ok(())
    }

    /// Store `rows` (one author's, in seq order) of `incident`, registering
    /// the incident if it is new. Idempotent: a row the database has is
    /// skipped; a row whose key holds another hash is a fork (recorded in
    /// `firebreak_forks` and returned, never stored over the other).
    pub async fn push(
        &mut self,
        incident: &SharedIncident,
        rows: &[Row],
    ) -> Result<Pushed, TeamError> {
        let timeout = self.timeout;
        let fut = async {
            let tx = self.client.transaction().await?;
            // One incident's rows arrive one transaction at a time, so
            // arrival numbers commit in order and "everything after N"
            // never skips one that commits late.
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext('firebreak:' || $1))",
                &[&incident.id],
            )
            .await?;
            tx.execute(
                "INSERT INTO firebreak_incidents (id, title, declared_at, declared_by) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                &[
                    &incident.id,
                    &incident.title,
                    &incident.declared_at,
                    &incident.declared_by,
                ],
            )
            .await?;
            let insert = tx
                .prepare(
                    "INSERT INTO firebreak_entries (incident, author, seq, prev, hash, sig, line) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (incident, author, seq) DO NOTHING RETURNING arrival",
                )
                .await?;
            let existing = tx
                .prepare(
                    "SELECT hash FROM firebreak_entries WHERE incident = $1 AND author = $2 AND seq = $3",
                )
                .await?;
            let mut out = Pushed::default();
            for r in rows {
                let got = tx
                    .query_opt(
                        &insert,
                        &[
                            &incident.id,
                            &r.author,
                            &r.seq,
                            &r.prev,
                            &r.hash,
                            &r.sig,
                            &r.line,
                        ],
                    )
                    .await?;
                if let Some(row) = got {
                    out.inserted.push((r.seq, row.get(0)));
                    continue;
                }
                let kept: String = tx
                    .query_one(&existing, &[&incident.id, &r.author, &r.seq])
                    .await?
                    .get(0);
                if kept == r.hash {
                    out.already += 1;
                } else {
                    tx.execute(
                        "INSERT INTO firebreak_forks \
                         (incident, author, seq, kept_hash, offered_hash, offered_sig, offered_line) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        &[&incident.id, &r.author, &r.seq, &kept, &r.hash, &r.sig, &r.line],
                    )
                    .await?;
                    out.forks.push(Fork {
                        author: r.author.clone(),
                        seq: r.seq,
                        kept_hash: kept,
                        offered_hash: r.hash.clone(),
                    });
                }
            }
            tx.commit().await?;
            Ok::<_, TeamError>(out)
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| TeamError::Timeout(timeout))?
    }

    /// Rows of `incident` that arrived after `after`, in arrival order, at
    /// most `limit`.
    pub async fn pull(
        &self,
        incident: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Arrived>, TeamError> {
        let rows = self
            .within(self.client.query(
                "SELECT arrival, author, seq, prev, hash, sig, line FROM firebreak_entries \
                 WHERE incident = $1 AND arrival > $2 ORDER BY arrival LIMIT $3",
                &[&incident, &after, &limit],
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Arrived {
                arrival: r.get(0),
                row: Row {
                    author: r.get(1),
                    seq: r.get(2),
                    prev: r.get(3),
                    hash: r.get(4),
                    sig: r.get(5),
                    line: r.get(6),
                },
            })
            .collect())
    }

    /// Say this responder's cockpit is looking at `incident` now.
    pub async fn heartbeat(
        &self,
        incident: &str,
        author: &str,
        responder: &str,
        host: &str,
    ) -> Result<(), TeamError> {
        self.within(self.client.execute(
            "INSERT INTO firebreak_presence (incident, author, responder, host, seen_at) \
             VALUES ($1, $2, $3, $4, now()) \
             ON CONFLICT (incident, author) DO UPDATE \
             SET responder = EXCLUDED.responder, host = EXCLUDED.host, seen_at = now()",
            &[&incident, &author, &responder, &host],
        ))
        .await
        .map(|_| ())
    }

    /// Who looked at `incident` within the last `fresh`: (responder,
    /// author), by name.
    pub async fn present(
        &self,
        incident: &str,
        fresh: Duration,
    ) -> Result<Vec<(String, String)>, TeamError> {
        let secs = fresh.as_secs_f64();
        let rows = self
            .within(self.client.query(
                "SELECT responder, author FROM firebreak_presence \
                 WHERE incident = $1 AND seen_at > now() - make_interval(secs => $2) \
                 ORDER BY responder",
                &[&incident, &secs],
            ))
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Claim an action on the world (`action` on `target`, e.g. "flag off"
    /// on "new-checkout-flow") for `ttl`: `Ok(None)` when it is ours now
    /// (it was free, expired, or already ours); `Ok(Some(who, since))`
    /// when another responder holds it.
    pub async fn claim(
        &self,
        incident: &str,
        action: &str,
        target: &str,
        (author, responder): (&str, &str),
        ttl: Duration,
    ) -> Result<Option<(String, DateTime<Utc>)>, TeamError> {
        let secs = ttl.as_secs_f64();
        let won = self
            .within(self.client.query_opt(
                "INSERT INTO firebreak_claims \
                 (incident, action, target, author, responder, claimed_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, now(), now() + make_interval(secs => $6)) \
                 ON CONFLICT (incident, action, target) DO UPDATE \
                 SET author = EXCLUDED.author, responder = EXCLUDED.responder, \
                     claimed_at = EXCLUDED.claimed_at, expires_at = EXCLUDED.expires_at \
                 WHERE firebreak_claims.expires_at < now() \
                    OR firebreak_claims.author = EXCLUDED.author \
                 RETURNING author",
                &[&incident, &action, &target, &author, &responder, &secs],
            ))
            .await?;
        if won.is_some() {
            return Ok(None);
        }
        let held = self
            .within(self.client.query_opt(
                "SELECT responder, claimed_at FROM firebreak_claims \
                 WHERE incident = $1 AND action = $2 AND target = $3",
                &[&incident, &action, &target],
            ))
            .await?;
        Ok(Some(held.map_or_else(
            || ("another responder".to_string(), Utc::now()),
            |r| (r.get(0), r.get(1)),
        )))
    }

    /// Let go of a claim (the action is done); only the holder's.
    pub async fn release(
        &self,
        incident: &str,
        action: &str,
        target: &str,
        author: &str,
    ) -> Result<(), TeamError> {
        self.within(self.client.execute(
            "DELETE FROM firebreak_claims \
             WHERE incident = $1 AND action = $2 AND target = $3 AND author = $4",
            &[&incident, &action, &target, &author],
        ))
        .await
        .map(|_| ())
    }

    /// Forks recorded for `incident`.
    pub async fn forks(&self, incident: &str) -> Result<Vec<Fork>, TeamError> {
        let rows = self
            .within(self.client.query(
                "SELECT author, seq, kept_hash, offered_hash FROM firebreak_forks \
                 WHERE incident = $1 ORDER BY id",
                &[&incident],
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Fork {
                author: r.get(0),
                seq: r.get(1),
                kept_hash: r.get(2),
                offered_hash: r.get(3),
            })
            .collect())
    }

    /// Every shared incident, most recently declared first.
    pub async fn incidents(&self) -> Result<Vec<SharedIncident>, TeamError> {
        let rows = self
            .within(self.client.query(
                "SELECT id, title, declared_at, declared_by FROM firebreak_incidents \
                 ORDER BY declared_at DESC",
                &[],
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| SharedIncident {
                id: r.get(0),
                title: r.get(1),
                declared_at: r.get(2),
                declared_by: r.get(3),
            })
            .collect())
    }

    async fn within<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, TeamError> {
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| TeamError::Timeout(self.timeout))?
            .map_err(TeamError::Db)
    }
}

/// Run a connection until it ends, waking `wake` on every notification.
async fn drive<S, T>(
    mut conn: tokio_postgres::Connection<S, T>,
    wake: Option<Arc<tokio::sync::Notify>>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
    use futures::StreamExt;
    while let Some(m) = messages.next().await {
        match m {
            Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                if let Some(w) = &wake {
                    w.notify_one();
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!("team database connection ended: {e}");
                break;
            }
        }
    }
    // Closed: wake the sync so it notices and reconnects.
    if let Some(w) = &wake {
        w.notify_one();
    }
}

/// rustls for `require` (encrypted, any certificate) and `verify-full`
/// (the system's CAs plus `ca_file`, host name checked).
fn tls_config(
    mode: SslMode,
    ca_file: Option<&std::path::Path>,
) -> Result<rustls::ClientConfig, TeamError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TeamError::Config(format!("[team] TLS: {e}")))?;
    if mode == SslMode::Require {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        use rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| TeamError::Config(format!("[team] ca_file: {e}: {}", path.display())))?;
        for c in certs {
            let c = c.map_err(|e| {
                TeamError::Config(format!("[team] ca_file: {e}: {}", path.display()))
            })?;
            roots.add(c).map_err(|e| {
                TeamError::Config(format!("[team] ca_file: {e}: {}", path.display()))
            })?;
        }
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// `sslmode = "require"`: encrypted, the certificate not checked (as libpq).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
