//! The history read in pages, for a window that shows thousands of jobs: the outline of every
//! job (its id and the job it follows up, newest first: a few dozen bytes each), the records
//! of the jobs still under way, and any records by id as the list scrolls to them. A record
//! is parsed only when something shows it.

use rusqlite::params_from_iter;

use super::{JobRecord, JobStore, StoreError};

/// Records read per query (SQLite allows 32,766 parameters; a screenful is far fewer).
const IDS_PER_QUERY: usize = 500;

/// One job in the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineEntry {
    /// The job's id.
    pub id: String,
    /// The job it follows up, where it does.
    pub follow_up_of: Option<String>,
}

/// Every job of the history, newest first, and the revision it was read at.
#[derive(Debug, Default)]
pub struct Outline {
    /// The jobs.
    pub entries: Vec<OutlineEntry>,
    /// The newest revision seen (to watch for changes from).
    pub revision: u64,
}

/// A row whose record cannot be read (a newer build's) is left out, as `JobStore::all` does.
fn parsed(records: Vec<String>) -> Vec<JobRecord> {
    (records.into_iter())
        .filter_map(|record| match serde_json::from_str(&record) {
            Ok(job) => Some(job),
            Err(e) => {
                tracing::warn!("a job in the history could not be read: {e}");
                None
            }
        })
        .collect()
}

impl JobStore {
    /// Every job's id and the job it follows up, newest first (no record is parsed).
    pub fn outline(&self) -> Result<Outline, StoreError> {
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, json_extract(record, '$.follow_up_of'), revision FROM jobs
                 ORDER BY created_at DESC, id",
            )?;
            let mut outline = Outline::default();
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                outline.entries.push(OutlineEntry {
                    id: row.get(0)?,
                    follow_up_of: row.get(1)?,
                });
                let revision = u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0);
                outline.revision = outline.revision.max(revision);
            }
            Ok(outline)
        })
    }

    /// The records of jobs not settled yet (under way, or to be sent), newest first.
    pub fn unfinished(&self) -> Result<Vec<JobRecord>, StoreError> {
        let records = self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT record FROM jobs
                 WHERE json_extract(record, '$.phase')
                       NOT IN ('done', 'failed', 'expired', 'still_running')
                 ORDER BY created_at DESC, id",
            )?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(parsed(records))
    }

    /// The records of `ids` that are in the history, in no particular order.
    pub fn records(&self, ids: &[String]) -> Result<Vec<JobRecord>, StoreError> {
        let mut records = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let marks = vec!["?"; chunk.len()].join(",");
            let read = self.with_connection(|connection| {
                let sql = format!("SELECT record FROM jobs WHERE id IN ({marks})");
                let mut statement = connection.prepare(&sql)?;
                let rows = statement.query_map(params_from_iter(chunk), |row| row.get(0))?;
                rows.collect::<rusqlite::Result<Vec<String>>>()
            })?;
            records.extend(parsed(read));
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DesignMode, OutputFormat};
    use crate::jobs::{Phase, ServiceReport};
    use chrono::{Duration, Utc};

    fn job(n: i64, phase: Phase) -> JobRecord {
        let created = Utc::now() - Duration::minutes(100 - n);
        let mut job = JobRecord::new(
            format!("variant {n}"),
            vec![],
            DesignMode::Standard,
            OutputFormat::Step,
            created,
        );
        job.phase = phase;
        job
    }

    #[test]
    fn the_outline_unfinished_jobs_and_records_by_id_come_from_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = JobStore::open(dir.path()).unwrap();
        let failed = Phase::Failed {
            report: ServiceReport::default(),
            finished_at: Some(Utc::now()),
        };
        let first = job(1, failed.clone());
        let mut follow_up = job(2, Phase::Queued);
        follow_up.spec.follow_up_of = Some(first.id.clone());
        let sending = job(3, Phase::Submitting);
        let done = job(4, failed);
        store
            .insert_all(&[first.clone(), follow_up.clone(), sending.clone(), done])
            .unwrap();

        let outline = store.outline().unwrap();
        let prompts: Vec<_> = (outline.entries.iter())
            .map(|e| store.get(&e.id).unwrap().unwrap().spec.prompt)
            .collect();
        assert_eq!(
            prompts,
            ["variant 4", "variant 3", "variant 2", "variant 1"]
        );
        assert_eq!(outline.entries[2].follow_up_of.as_ref(), Some(&first.id));
        assert_eq!(outline.entries[3].follow_up_of, None);
        assert!(outline.revision > 0);

        let unfinished: Vec<_> = (store.unfinished().unwrap().into_iter())
            .map(|j| j.id)
            .collect();
        assert_eq!(unfinished, [sending.id.clone(), follow_up.id.clone()]);

        let mut read: Vec<_> = (store.records(&[first.id.clone(), "gone".into()]).unwrap())
            .into_iter()
            .map(|j| j.spec.prompt)
            .collect();
        read.sort();
        assert_eq!(read, ["variant 1"]);
    }
}
