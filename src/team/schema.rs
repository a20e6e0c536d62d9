//! The team database's schema: numbered migrations, applied in order, each
//! once, in one transaction under an advisory lock (two `team init` at
//! once are safe). `firebreak_schema` holds the version.
//!
//! Least privilege: after `team init` (run by the owner of the schema),
//! responders need only `SELECT, INSERT` on `firebreak_incidents`,
//! `firebreak_entries` and `firebreak_forks`, `SELECT, INSERT, UPDATE` on
//! `firebreak_presence`, `SELECT, INSERT, UPDATE, DELETE` on
//! `firebreak_claims`, and `SELECT` on `firebreak_schema` (see README).

use tokio_postgres::Client;

use super::TeamError;

/// (version, SQL). Never edit a released one: add the next.
pub const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        r#"
CREATE TABLE firebreak_incidents (
    id          text PRIMARY KEY,
    title       text NOT NULL,
    declared_at timestamptz NOT NULL,
    declared_by text NOT NULL
);
CREATE TABLE firebreak_entries (
    arrival     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident    text NOT NULL REFERENCES firebreak_incidents (id),
    author      text NOT NULL,
    seq         bigint NOT NULL CHECK (seq >= 1),
    prev        text NOT NULL,
    hash        text NOT NULL,
    sig         text NOT NULL,
    line        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (incident, author, seq)
);
CREATE INDEX firebreak_entries_by_incident ON firebreak_entries (incident, arrival);
CREATE TABLE firebreak_forks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident     text NOT NULL,
    author       text NOT NULL,
    seq          bigint NOT NULL,
    kept_hash    text NOT NULL,
    offered_hash text NOT NULL,
    offered_sig  text NOT NULL,
    offered_line text NOT NULL,
    reported_at  timestamptz NOT NULL DEFAULT now()
);
-- Wakes listening clients up; correctness never depends on it (they
-- catch up by cursor anyway).
CREATE FUNCTION firebreak_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('firebreak', NEW.incident);
    RETURN NULL;
END $$;
CREATE TRIGGER firebreak_entries_notify AFTER INSERT ON firebreak_entries
    FOR EACH ROW EXECUTE FUNCTION firebreak_notify();
"#,
    ),
    (
        2,
        r#"
-- Who is looking at an incident now: a heartbeat per responder's
-- cockpit, believed while fresh (the cockpit renews it every few
-- seconds; a cockpit that died simply stops).
CREATE TABLE firebreak_presence (
    incident  text NOT NULL,
    author    text NOT NULL,
    responder text NOT NULL,
    host      text NOT NULL,
    seen_at   timestamptz NOT NULL,
    PRIMARY KEY (incident, author)
);
"#,
    ),
    (
        3,
        r#"
-- An action on the world one responder is carrying out (a flag flip, a
-- rollback): while it is fresh, nobody else starts the same one.
CREATE TABLE firebreak_claims (
    incident   text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL,
    author     text NOT NULL,
    responder  text NOT NULL,
    claimed_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (incident, action, target)
);
"#,
    ),
];

/// The newest schema this firebreak knows.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// What `team init` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    pub from: i32,
    pub to: i32,
}

/// Create or upgrade the schema; idempotent.
pub async fn migrate(client: &mut Client) -> Result<Migrated, TeamError> {
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('firebreak schema'))",
        &[],
    )
    .await?;
    tx.execute(
        "CREATE TABLE IF NOT EXISTS firebreak_schema (version integer NOT NULL)",
        &[],
    )
    .await?;
    let from: i32 = match tx
        .query_opt("SELECT max(version) FROM firebreak_schema", &[])
        .await?
    {
        Some(row) => row.get::<_, Option<i32>>(0).unwrap_or(0),
        None => 0,
    };
    if from > latest() {
        return Err(TeamError::Schema(format!(
            "the database has schema version {from}, newer than this firebreak knows ({}): upgrade firebreak",
            latest()
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > from) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO firebreak_schema (version) VALUES ($1)",
            &[version],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Migrated { from, to: latest() })
}

/// The database's schema version (0: none yet).
pub async fn version(client: &Client) -> Result<i32, TeamError> {
    let exists = client
        .query_one("SELECT to_regclass('firebreak_schema') IS NOT NULL", &[])
        .await?
        .get::<_, bool>(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM firebreak_schema",
            &[],
        )
        .await?
        .get(0))
}
