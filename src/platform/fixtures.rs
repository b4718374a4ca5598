//! Fixture bundles: the universe as JSON (`fixtures/README.md` documents the format), with a loader
//! that replaces all data in one transaction and an exporter that writes it back out.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Map, Value, json};
use sqlx::{PgConnection, PgPool, error::DatabaseError};

use crate::store::{self, bundle::Table};

/// The key of a bundle file that holds settings rather than records.
pub const SETTINGS_KEY: &str = "settings";

/// One file of a bundle: an object whose keys are entity (table) names with arrays of records,
/// and optionally `settings`.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleFile {
    pub name: String,
    pub content: Map<String, Value>,
}

/// A whole bundle: its files in name order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bundle {
    pub files: Vec<BundleFile>,
}

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// A record the database refused: `file: entity[index].field: message`.
    #[error("{file}: {entity}[{index}]{}: {message}", field.as_ref().map(|f| format!(".{f}")).unwrap_or_default())]
    Record { file: String, entity: String, index: usize, field: Option<String>, message: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What a load did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSummary {
    pub records: usize,
    pub clock: Option<DateTime<Utc>>,
}

impl Bundle {
    /// Reads every `*.json` file of a directory.
    pub fn read_dir(dir: &Path) -> Result<Bundle, FixtureError> {
        let file_error = |path: &Path, message: String| FixtureError::File { path: path.display().to_string(), message };
        let entries = fs::read_dir(dir).map_err(|error| file_error(dir, format!("cannot read the bundle directory: {error}")))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(file_error(dir, "the bundle directory has no .json file".to_owned()));
        }
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let text = fs::read_to_string(&path).map_err(|error| file_error(&path, error.to_string()))?;
            let value: Value = serde_json::from_str(&text).map_err(|error| file_error(&path, format!("invalid JSON: {error}")))?;
            let Value::Object(content) = value else {
                return Err(file_error(&path, "a bundle file must be a JSON object of entity arrays".to_owned()));
            };
            let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            files.push(BundleFile { name, content });
        }
        Ok(Bundle { files })
    }

    /// A bundle sent as one JSON object (the control plane's import), named `name`.
    pub fn from_object(name: &str, value: Value) -> Result<Bundle, FixtureError> {
        match value {
            Value::Object(content) => Ok(Bundle { files: vec![BundleFile { name: name.to_owned(), content }] }),
            _ => Err(FixtureError::File { path: name.to_owned(), message: "a bundle must be a JSON object of entity arrays".to_owned() }),
        }
    }

    /// Writes one file per entity (and `settings.json`) into `dir`.
    pub fn write_dir(&self, dir: &Path) -> Result<(), FixtureError> {
        let file_error =
            |path: &Path, error: std::io::Error| FixtureError::File { path: path.display().to_string(), message: error.to_string() };
        fs::create_dir_all(dir).map_err(|error| file_error(dir, error))?;
        for file in &self.files {
            let path = dir.join(&file.name);
            let text = serde_json::to_string_pretty(&Value::Object(file.content.clone())).unwrap_or_default();
            fs::write(&path, text + "\n").map_err(|error| file_error(&path, error))?;
        }
        Ok(())
    }

    /// The whole bundle as one object (entities merged in file order), as the control plane exports it.
    pub fn merged(&self) -> Value {
        let mut merged = Map::new();
        for file in &self.files {
            for (key, value) in &file.content {
                match (merged.get_mut(key), value) {
                    (Some(Value::Array(existing)), Value::Array(more)) => existing.extend(more.iter().cloned()),
                    _ => {
                        merged.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        Value::Object(merged)
    }

    /// How the bundle is kept in the database, for reset.
    fn to_stored(&self) -> Value {
        Value::Array(self.files.iter().map(|file| json!({"name": file.name, "content": file.content})).collect())
    }

    fn from_stored(stored: Value) -> Bundle {
        let files = match stored {
            Value::Array(files) => files
                .into_iter()
                .filter_map(|file| {
                    let name = file.get("name")?.as_str()?.to_owned();
                    let content = file.get("content")?.as_object()?.clone();
                    Some(BundleFile { name, content })
                })
                .collect(),
            _ => Vec::new(),
        };
        Bundle { files }
    }

    /// `settings.clock`: the instant the emulator's clock is frozen at.
    pub fn clock(&self) -> Result<Option<DateTime<Utc>>, FixtureError> {
        let mut found = None;
        for file in &self.files {
            let Some(settings) = file.content.get(SETTINGS_KEY) else { continue };
            let bad = |message: String| FixtureError::File { path: file.name.clone(), message };
            let Value::Object(settings) = settings else {
                return Err(bad(format!(
                    "settings must be an object such as {{\"clock\": \"2024-06-20T12:30:00+05:30\"}}, got {settings}"
                )));
            };
            if let Some(unknown) = settings.keys().find(|key| *key != "clock") {
                return Err(bad(format!("unknown setting '{unknown}'; the settings are: clock")));
            }
            let Some(clock) = settings.get("clock") else { continue };
            let not_an_instant =
                || bad(format!("settings.clock must be an RFC 3339 instant such as 2024-06-20T12:30:00+05:30, got {clock}"));
            let text = clock.as_str().ok_or_else(not_an_instant)?;
            let instant = DateTime::<FixedOffset>::parse_from_rfc3339(text).map_err(|_| not_an_instant())?;
            if found.is_some() {
                return Err(bad("settings.clock is set in more than one file of the bundle".to_owned()));
            }
            found = Some(instant.with_timezone(&Utc));
        }
        Ok(found)
    }
}

/// Replaces all data of the default tenant with `bundle`; see [`load_into`].
pub async fn load(db: &PgPool, bundle: &Bundle, source: &str) -> Result<LoadSummary, FixtureError> {
    load_into(db, "public", bundle, source).await
}

/// Replaces all data in `schema` (a tenant's universe) with `bundle` in one transaction, and
/// remembers it as the bundle to reset to. A bad bundle changes nothing. Every process hears of it.
pub async fn load_into(db: &PgPool, schema: &str, bundle: &Bundle, source: &str) -> Result<LoadSummary, FixtureError> {
    let mut tx = db.begin().await?;
    let summary = load_in(&mut tx, schema, bundle, source).await?;
    store::tenants::notify_change(&mut *tx, "bundle").await?;
    tx.commit().await?;
    store::meta::analyze(db, schema).await?;
    Ok(summary)
}

/// [`load_into`] within the caller's transaction.
pub async fn load_in(tx: &mut PgConnection, schema: &str, bundle: &Bundle, source: &str) -> Result<LoadSummary, FixtureError> {
    let clock = bundle.clock()?;
    store::tenants::use_schema_in_transaction(&mut *tx, schema).await?;
    let records = replace_universe(tx, bundle).await?;
    store::meta::store_loaded_bundle(tx, source, &bundle.to_stored()).await?;
    store::tenants::set_bundle_clock(&mut *tx, schema, clock).await?;
    Ok(LoadSummary { records, clock })
}

/// Restores the bundle last loaded into `schema`. `None` when none was ever loaded.
pub async fn reset(db: &PgPool, schema: &str) -> Result<Option<(String, LoadSummary)>, FixtureError> {
    let mut tx = db.begin().await?;
    store::tenants::use_schema_in_transaction(&mut *tx, schema).await?;
    let Some((source, stored)) = store::meta::loaded_bundle(&mut *tx).await? else { return Ok(None) };
    let bundle = Bundle::from_stored(stored);
    let summary = load_in(&mut tx, schema, &bundle, &source).await?;
    store::tenants::notify_change(&mut *tx, "bundle").await?;
    tx.commit().await?;
    store::meta::analyze(db, schema).await?;
    Ok(Some((source, summary)))
}

/// All data in `schema` as a bundle: one file per non-empty entity, plus `settings.json` for the
/// loaded bundle's clock.
pub async fn export(db: &PgPool, schema: &str) -> Result<Bundle, FixtureError> {
    let mut tx = db.begin().await?;
    store::tenants::use_schema_in_transaction(&mut *tx, schema).await?;
    let clock = match store::meta::loaded_bundle(&mut *tx).await? {
        Some((_, stored)) => Bundle::from_stored(stored).clock()?,
        None => None,
    };
    let tables = store::bundle::universe_tables(&mut tx).await?;
    let mut files = Vec::new();
    if let Some(clock) = clock {
        let mut content = Map::new();
        content.insert(SETTINGS_KEY.to_owned(), json!({"clock": clock.to_rfc3339()}));
        files.push(BundleFile { name: "00-settings.json".to_owned(), content });
    }
    for (position, table) in tables.iter().enumerate() {
        let rows = store::bundle::export(&mut tx, table).await?;
        if rows.is_empty() {
            continue;
        }
        let mut content = Map::new();
        content.insert(table.name.clone(), Value::Array(rows));
        // The number keeps parents before children when the files are read back in name order.
        files.push(BundleFile { name: format!("{:02}-{}.json", position + 1, table.name), content });
    }
    tx.commit().await?;
    Ok(Bundle { files })
}

/// One entity's records from one file, in file order.
struct Part<'a> {
    file: &'a str,
    records: &'a [Value],
    /// Index of the first record within its entity array in that file.
    first_index: usize,
}

async fn replace_universe(tx: &mut PgConnection, bundle: &Bundle) -> Result<usize, FixtureError> {
    let tables = store::bundle::universe_tables(tx).await?;
    let mut parts: BTreeMap<&str, Vec<Part<'_>>> = BTreeMap::new();
    for file in &bundle.files {
        for (entity, value) in &file.content {
            if entity == SETTINGS_KEY {
                continue;
            }
            if !tables.iter().any(|table| &table.name == entity) {
                let known: Vec<&str> = tables.iter().map(|table| table.name.as_str()).collect();
                return Err(FixtureError::File {
                    path: file.name.clone(),
                    message: format!("unknown entity '{entity}'; known entities: {}, settings", known.join(", ")),
                });
            }
            let Value::Array(records) = value else {
                return Err(FixtureError::File { path: file.name.clone(), message: format!("'{entity}' must be an array of records") });
            };
            parts.entry(entity.as_str()).or_default().push(Part { file: &file.name, records, first_index: 0 });
        }
    }
    store::bundle::truncate(tx, &tables).await?;
    // A record may leave its id to the sequence: ids are handed out past the highest id the
    // bundle gives, so they never clash with one, and later writes continue from there.
    for table in &tables {
        let Some(identity) = &table.identity else { continue };
        let parts = parts.get(table.name.as_str()).map(Vec::as_slice).unwrap_or_default();
        let highest = parts.iter().flat_map(|part| part.records).filter_map(|record| record.get(identity)?.as_i64()).max();
        store::bundle::restart_identity(tx, table, highest.unwrap_or(0).max(0) + 1).await?;
    }
    let mut total = 0;
    for table in &tables {
        for part in parts.get(table.name.as_str()).map(Vec::as_slice).unwrap_or_default() {
            total += insert_part(tx, table, part).await?;
        }
    }
    Ok(total)
}

/// Inserts a part in runs of consecutive records with the same fields, one statement a run.
async fn insert_part(tx: &mut PgConnection, table: &Table, part: &Part<'_>) -> Result<usize, FixtureError> {
    let record_error = |index: usize, field: Option<String>, message: String| FixtureError::Record {
        file: part.file.to_owned(),
        entity: table.name.clone(),
        index: part.first_index + index,
        field,
        message,
    };
    let mut objects = Vec::with_capacity(part.records.len());
    for (index, record) in part.records.iter().enumerate() {
        let Value::Object(object) = record else {
            return Err(record_error(index, None, "a record must be a JSON object".to_owned()));
        };
        if let Some(unknown) = object.keys().find(|key| !table.columns.contains(key)) {
            return Err(record_error(
                index,
                Some(unknown.clone()),
                format!("unknown field; fields of {}: {}", table.name, table.columns.join(", ")),
            ));
        }
        objects.push(object);
    }
    let mut start = 0;
    while start < objects.len() {
        let keys: Vec<&String> = objects[start].keys().collect();
        let end = (start..objects.len()).find(|&i| objects[i].keys().collect::<Vec<_>>() != keys).unwrap_or(objects.len());
        let columns: Vec<String> = keys.into_iter().cloned().collect();
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
        let run = &objects[start..end];
        match store::bundle::insert(&mut savepoint, &table.name, &columns, run).await {
            Ok(()) => savepoint.commit().await?,
            Err(error) => {
                savepoint.rollback().await?;
                let (index, field, message) = diagnose(tx, table, &columns, run, error).await?;
                return Err(record_error(start + index, field, message));
            }
        }
        start = end;
    }
    Ok(objects.len())
}

/// Finds which record of a failed run, and which field of it, the database refused.
async fn diagnose(
    tx: &mut PgConnection,
    table: &Table,
    columns: &[String],
    run: &[&Map<String, Value>],
    run_error: sqlx::Error,
) -> Result<(usize, Option<String>, String), FixtureError> {
    for (index, record) in run.iter().enumerate() {
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
        let outcome = store::bundle::insert(&mut savepoint, &table.name, columns, &[*record]).await;
        let Err(error) = outcome else {
            // Inserted alone, it stays for the records after it (a unique clash may need it).
            savepoint.commit().await?;
            continue;
        };
        savepoint.rollback().await?;
        for (column, value) in record.iter() {
            let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
            let checked = store::bundle::check_field(&mut savepoint, &table.name, column, value).await;
            savepoint.rollback().await?;
            if let Err(field_error) = checked {
                return Ok((index, Some(column.clone()), database_message(&field_error)));
            }
        }
        let field = error.as_database_error().and_then(|db| field_of(db, columns));
        return Ok((index, field, database_message(&error)));
    }
    Ok((0, None, database_message(&run_error)))
}

/// The column a database error is about: named by PostgreSQL, or in its detail "Key (col)=(…)".
fn field_of(error: &dyn DatabaseError, columns: &[String]) -> Option<String> {
    let pg = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
    if let Some(column) = pg.column() {
        return Some(column.to_owned());
    }
    let detail = pg.detail()?;
    let inside = detail.strip_prefix("Key (")?.split(')').next()?;
    inside.split(", ").map(str::trim).find(|name| columns.iter().any(|c| c == name)).map(str::to_owned)
}

fn database_message(error: &sqlx::Error) -> String {
    match error.as_database_error() {
        Some(db) => match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().and_then(|pg| pg.detail()) {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => error.to_string(),
    }
}
