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

/// One thing the user typed: a date (or its start: `2026-03`) looks in the job's date only, so
/// "12" never matches every December job; any other word looks in the text columns.
#[derive(Debug, PartialEq)]
enum Term {
    /// The parts of a date: year, then month and day where given.
    Date(Vec<String>),
    /// A word (lowercase).
    Word(String),
}

/// What `text` asks for, in order; the last term is taken as a prefix.
fn terms(text: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    for chunk in text.split_whitespace() {
        let parts: Vec<&str> = chunk.split('-').collect();
        let date_shaped = parts.len() > 1
            && parts.len() <= 3
            && parts[0].len() == 4
            && parts
                .iter()
                .all(|p| p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()));
        if date_shaped {
            let parts = parts.iter().filter(|p| !p.is_empty());
            terms.push(Term::Date(parts.map(|p| (*p).to_string()).collect()));
            continue;
        }
        terms.extend(
            chunk
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| Term::Word(w.to_lowercase())),
        );
    }
    terms
}

/// The FTS5 query for `text`: each term quoted (so no character is FTS5 syntax), limited to
/// its columns, the last a prefix.
fn match_expression(text: &str) -> Option<String> {
    let terms = terms(text);
    let last = terms.len().checked_sub(1)?;
    let quoted = |words: &[String]| format!("\"{}\"", words.join(" ").replace('"', "\"\""));
    Some(
        terms
            .iter()
            .enumerate()
            .map(|(i, term)| {
                let star = if i == last { "*" } else { "" };
                match term {
                    Term::Date(parts) => format!("created : {}{star}", quoted(parts)),
                    Term::Word(word) => format!(
                        "{{prompt project features format}} : {}{star}",
                        quoted(std::slice::from_ref(word))
                    ),
                }
            })
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

/// The same rule as the index, on a record in memory, for histories without the index (opened
/// read-only after an older build): every word starts a word of the prompt, project, key
/// features or format (whole words but the last); a date is the start of the job's date.
pub(super) fn matches(job: &super::JobRecord, text: &str) -> bool {
    let mut haystack = job.spec.prompt.clone();
    if let Some(brainstorm) = job.brainstorm() {
        haystack = format!("{haystack} {}", brainstorm.project_name);
        for feature in &brainstorm.key_features {
            haystack = format!("{haystack} {feature}");
        }
    }
    haystack = format!("{haystack} {}", job.spec.format.extension()).to_lowercase();
    let words: Vec<&str> = haystack
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let date: Vec<String> = job
        .created_at
        .format("%Y-%m-%d")
        .to_string()
        .split('-')
        .map(str::to_string)
        .collect();
    let terms = terms(text);
    terms.iter().enumerate().all(|(i, term)| {
        let prefix = i + 1 == terms.len();
        let fits = |have: &str, want: &str| {
            if prefix {
                have.starts_with(want)
            } else {
                have == want
            }
        };
        match term {
            Term::Word(word) => words.iter().any(|w| fits(w, word)),
            Term::Date(parts) => {
                parts.len() <= date.len()
                    && parts.iter().enumerate().all(|(k, part)| {
                        if k + 1 == parts.len() {
                            fits(&date[k], part)
                        } else {
                            date[k] == *part
                        }
                    })
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_quoted_and_the_last_is_a_prefix() {
        let text = "{prompt project features format} : ";
        assert_eq!(
            match_expression("variant 9000").unwrap(),
            format!("{text}\"variant\" AND {text}\"9000\"*")
        );
        assert_eq!(
            match_expression("lens-cap \"OR\" NEAR(").unwrap(),
            format!("{text}\"lens\" AND {text}\"cap\" AND {text}\"or\" AND {text}\"near\"*")
        );
        assert_eq!(match_expression("  -- "), None);
    }

    #[test]
    fn a_date_looks_in_the_date_only() {
        assert_eq!(
            terms("2026-12 bracket"),
            [
                Term::Date(vec!["2026".into(), "12".into()]),
                Term::Word("bracket".into())
            ]
        );
        assert_eq!(
            match_expression("cap 2026-03-").unwrap(),
            "{prompt project features format} : \"cap\" AND created : \"2026 03\"*"
        );
        assert_eq!(terms("12"), [Term::Word("12".into())], "a number is a word");
    }
}
