//! Searching the history: an SQLite FTS5 index over each job's prompt, project name, key
//! features, format and date, kept by triggers in the database itself, so every writer keeps
//! it (an older build, the CLI and the window alike). The index is a side table: a build
//! that does not know it ignores it, and one that finds it missing or out of step with the
//! jobs (a salvaged file, a history from before it) builds it again at open.

use rusqlite::{Connection, params};

/// The index and the triggers that keep it. Rows share the job row's rowid.
const INDEX: &str = "
    CREATE VIRTUAL TABLE IF NOT EXISTS job_search USING fts5(
        prompt, project, features, format, created,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER IF NOT EXISTS job_search_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO job_search (rowid, prompt, project, features, format, created)
        VALUES (new.rowid, COLUMNS_OF_NEW);
    END;
    CREATE TRIGGER IF NOT EXISTS job_search_update AFTER UPDATE OF record ON jobs BEGIN
        DELETE FROM job_search WHERE rowid = old.rowid;
        INSERT INTO job_search (rowid, prompt, project, features, format, created)
        VALUES (new.rowid, COLUMNS_OF_NEW);
    END;
    CREATE TRIGGER IF NOT EXISTS job_search_delete AFTER DELETE ON jobs BEGIN
        DELETE FROM job_search WHERE rowid = old.rowid;
    END;";

/// The indexed columns of a job row named `row` (its `record` is the job's JSON).
fn columns_of(row: &str) -> String {
    format!(
        "json_extract({row}.record, '$.prompt'),
         json_extract({row}.record, '$.brainstorm.project_name'),
         (SELECT group_concat(value, ' ')
            FROM json_each({row}.record, '$.brainstorm.key_features')),
         json_extract({row}.record, '$.format'),
         substr({row}.created_at, 1, 10)"
    )
}

/// Creates the index and its triggers if missing, and fills it where it is out of step with
/// the jobs (it counts as such when the counts differ: rows are only ever added and removed
/// together by the triggers).
pub(super) fn prepare(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch(&INDEX.replace("COLUMNS_OF_NEW", &columns_of("new")))?;
    let count = |table: &str| -> rusqlite::Result<i64> {
        connection.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
    };
    if count("jobs")? != count("job_search")? {
        rebuild(connection)?;
    }
    Ok(())
}

fn rebuild(connection: &Connection) -> rusqlite::Result<()> {
    tracing::info!("building the history's search index");
    connection.execute_batch(&format!(
        "BEGIN;
         DELETE FROM job_search;
         INSERT INTO job_search (rowid, prompt, project, features, format, created)
         SELECT jobs.rowid, {} FROM jobs;
         COMMIT;",
        columns_of("jobs")
    ))
}

/// What [`find`] answers with for each job.
#[derive(Clone, Copy)]
pub(super) enum Found {
    /// Its id.
    Id,
    /// Its record (JSON).
    Record,
}

/// The ids or records of jobs matching every word of `text` (the last one as a prefix, as it
/// is still being typed), newest first; `None` when `text` has no word. `Err` also where the
/// index is missing (a read-only history an older build wrote): [`matches`] serves then.
pub(super) fn find(
    connection: &Connection,
    text: &str,
    found: Found,
) -> rusqlite::Result<Option<Vec<String>>> {
    let Some(expression) = match_expression(text) else {
        return Ok(None);
    };
    let column = match found {
        Found::Id => "jobs.id",
        Found::Record => "jobs.record",
    };
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {column} FROM job_search JOIN jobs ON jobs.rowid = job_search.rowid
         WHERE job_search MATCH ?1 ORDER BY jobs.created_at DESC, jobs.id"
    ))?;
    let rows = statement.query_map(params![expression], |row| row.get(0))?;
    rows.collect::<rusqlite::Result<Vec<String>>>().map(Some)
}

/// The words of `text`, each quoted (so no character is FTS5 syntax), the last a prefix.
fn match_expression(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    let (last, first) = words.split_last()?;
    Some(
        first
            .iter()
            .cloned()
            .chain([format!("{last}*")])
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The same rule as the index, on a record in memory: every word of `text` starts a word of
/// the prompt, project, key features, format or date (case and accents aside only as far as
/// lowercase goes). For histories without the index.
pub(super) fn matches(job: &super::JobRecord, text: &str) -> bool {
    let mut haystack = job.spec.prompt.to_lowercase();
    if let Some(brainstorm) = &job.brainstorm {
        haystack.push(' ');
        haystack.push_str(&brainstorm.project_name.to_lowercase());
        for feature in &brainstorm.key_features {
            haystack.push(' ');
            haystack.push_str(&feature.to_lowercase());
        }
    }
    haystack.push(' ');
    haystack.push_str(&job.spec.format.extension().to_lowercase());
    haystack.push(' ');
    haystack.push_str(&job.created_at.format("%Y-%m-%d").to_string());
    let words: Vec<&str> = haystack
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let wanted: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let Some((last, first)) = wanted.split_last() else {
        return true;
    };
    first.iter().all(|w| words.contains(&w.as_str()))
        && words.iter().any(|w| w.starts_with(last.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_quoted_and_the_last_is_a_prefix() {
        assert_eq!(
            match_expression("variant 9000").as_deref(),
            Some("\"variant\" \"9000\"*")
        );
        assert_eq!(
            match_expression("lens-cap \"OR\" NEAR(").as_deref(),
            Some("\"lens\" \"cap\" \"OR\" \"NEAR\"*")
        );
        assert_eq!(match_expression("  -- "), None);
    }
}
