//! SQLite files kaudit did not write (an image's `rpmdb.sqlite`, a downloaded Java DB) read
//! without trusting them: no SQL from their schema runs (views, triggers, generated
//! columns), values are capped, and every connection has a budget of steps, so a crafted
//! file cannot make a query spin.

use rusqlite::Connection;

/// Sets up `connection` for an untrusted file: defensive mode, an untrusted schema, values
/// of at most `max_value_bytes`, and at most `max_steps` × 10,000 virtual-machine steps over
/// the connection's life.
pub fn guard(
    connection: &Connection,
    max_value_bytes: i32,
    max_steps: u64,
) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    use rusqlite::limits::Limit;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    connection.set_limit(Limit::SQLITE_LIMIT_LENGTH, max_value_bytes)?;
    let mut steps: u64 = 0;
    connection.progress_handler(
        10_000,
        Some(move || {
            steps += 1;
            steps > max_steps
        }),
    )
}

/// Checks that `table` is a plain table with plain columns (not a view, no generated
/// columns), so reading it runs none of the file's own SQL.
pub fn plain_table(connection: &Connection, table: &str) -> Result<(), String> {
    let kind: Option<String> = connection
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = ?1",
            [table],
            |r| r.get(0),
        )
        .ok();
    if kind.as_deref() != Some("table") {
        return Err(format!("no {table} table"));
    }
    let generated: i64 = connection
        .query_row(
            "SELECT count(*) FROM pragma_table_xinfo(?1) WHERE hidden NOT IN (0, 1)",
            [table],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    if generated > 0 {
        return Err(format!("the {table} table has generated columns; not read"));
    }
    Ok(())
}
