//! Generic SQL over the universe's tables, for loading and exporting fixture bundles.
//!
//! Table and column names come from PostgreSQL's own catalog, never from a bundle, before they are
//! put into a statement.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};
use sqlx::{AssertSqlSafe, PgConnection};

/// A table of the universe: its columns and primary key, from the catalog.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub primary_key: Vec<String>,
    /// The column whose ids come from a sequence when a record leaves it out.
    pub identity: Option<String>,
}

/// The universe's tables (not the emulator's own `emulator_*` ones), parents before children.
pub async fn universe_tables(tx: &mut PgConnection) -> sqlx::Result<Vec<Table>> {
    let columns: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.is_identity = 'YES' FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
           AND c.table_name NOT LIKE 'emulator\\_%' AND c.table_name NOT LIKE '\\_sqlx%'
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut *tx)
    .await?;
    let primary_keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT cl.relname::text, a.attname::text FROM pg_index i
         JOIN pg_class cl ON cl.oid = i.indrelid
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indisprimary AND cl.relnamespace = current_schema()::regnamespace
         ORDER BY cl.relname, k.n",
    )
    .fetch_all(&mut *tx)
    .await?;
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT child.relname::text, parent.relname::text FROM pg_constraint c
         JOIN pg_class child ON child.oid = c.conrelid
         JOIN pg_class parent ON parent.oid = c.confrelid
         WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
    )
    .fetch_all(&mut *tx)
    .await?;

    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for (table, column, is_identity) in columns {
        let table = tables.entry(table.clone()).or_insert_with(|| Table {
            name: table,
            columns: Vec::new(),
            primary_key: Vec::new(),
            identity: None,
        });
        if is_identity {
            table.identity = Some(column.clone());
        }
        table.columns.push(column);
    }
    for (table, column) in primary_keys {
        if let Some(table) = tables.get_mut(&table) {
            table.primary_key.push(column);
        }
    }
    let mut parents: BTreeMap<String, BTreeSet<String>> = tables.keys().map(|name| (name.clone(), BTreeSet::new())).collect();
    for (child, parent) in references {
        if child != parent
            && tables.contains_key(&parent)
            && let Some(set) = parents.get_mut(&child)
        {
            set.insert(parent);
        }
    }
    // Kahn's algorithm, alphabetical among the ready ones so the order is stable.
    let mut ordered = Vec::with_capacity(tables.len());
    while !parents.is_empty() {
        let ready: Vec<String> = parents.iter().filter(|(_, p)| p.is_empty()).map(|(name, _)| name.clone()).collect();
        // A cycle between tables would stall the sort; take the rest alphabetically.
        let ready = if ready.is_empty() { parents.keys().cloned().collect() } else { ready };
        for name in &ready {
            parents.remove(name);
        }
        for set in parents.values_mut() {
            for name in &ready {
                set.remove(name);
            }
        }
        ordered.extend(ready.into_iter().filter_map(|name| tables.remove(&name)));
    }
    Ok(ordered)
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Empties every table of the universe.
pub async fn truncate(tx: &mut PgConnection, tables: &[Table]) -> sqlx::Result<()> {
    if tables.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = tables.iter().map(|table| quoted(&table.name)).collect();
    let sql = format!("TRUNCATE {} CASCADE", names.join(", "));
    sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.map(drop)
}

/// Inserts records that all have exactly `columns` as keys; columns they leave out take their
/// defaults.
pub async fn insert(tx: &mut PgConnection, table: &str, columns: &[String], records: &[&Map<String, Value>]) -> sqlx::Result<()> {
    let list: Vec<String> = columns.iter().map(|column| quoted(column)).collect();
    let list = list.join(", ");
    let sql =
        format!("INSERT INTO {table} ({list}) SELECT {list} FROM jsonb_populate_recordset(NULL::{table}, $1)", table = quoted(table),);
    let records = Value::Array(records.iter().map(|record| Value::Object((*record).clone())).collect());
    sqlx::query(AssertSqlSafe(sql)).bind(records).execute(&mut *tx).await.map(drop)
}

/// Whether one field's value converts to its column's type.
pub async fn check_field(tx: &mut PgConnection, table: &str, column: &str, value: &Value) -> sqlx::Result<()> {
    let sql = format!("SELECT jsonb_populate_record(NULL::{}, jsonb_build_object($1::text, $2::jsonb)) IS NULL", quoted(table));
    sqlx::query(AssertSqlSafe(sql)).bind(column).bind(value).execute(&mut *tx).await.map(drop)
}

/// Every row of a table as JSON objects keyed by column, in primary-key order, times in UTC.
pub async fn export(tx: &mut PgConnection, table: &Table) -> sqlx::Result<Vec<Value>> {
    sqlx::query("SET LOCAL TimeZone = 'UTC'").execute(&mut *tx).await?;
    let order: Vec<String> = table.primary_key.iter().map(|column| quoted(column)).collect();
    let order = if order.is_empty() { "1".to_owned() } else { order.join(", ") };
    let sql = format!(
        "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY {order}), '[]'::jsonb) FROM (SELECT * FROM {table} ORDER BY {order}) t",
        table = quoted(&table.name),
    );
    let rows: Value = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut *tx).await?;
    Ok(match rows {
        Value::Array(rows) => rows,
        _ => Vec::new(),
    })
}

/// Makes the table's identity sequence hand out `next` first (and upwards).
pub async fn restart_identity(tx: &mut PgConnection, table: &Table, next: i64) -> sqlx::Result<()> {
    let Some(column) = &table.identity else { return Ok(()) };
    sqlx::query("SELECT setval(pg_get_serial_sequence($1, $2), $3, false)")
        .bind(quoted(&table.name))
        .bind(column)
        .bind(next)
        .execute(&mut *tx)
        .await
        .map(drop)
}
