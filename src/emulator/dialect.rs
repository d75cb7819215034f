//! Job answers in another dialect of the same contract (see [`Faults::odd_answers`],
//! [`Faults::undocumented_status`], [`Faults::redirect_downloads`]): a client must read what
//! the docs do not forbid, not only what their examples show.

use serde_json::{Value, json};

use super::faults::Faults;
use super::wire::{JobOut, JobStatus};

/// The JSON body of `GET /v1/jobs/{id}` for `job`, in the dialect `faults` asks for.
pub fn job_answer(job: &JobOut, faults: &Faults) -> Value {
    let mut answer = serde_json::to_value(job).unwrap_or(Value::Null);
    let Some(fields) = answer.as_object_mut() else {
        return answer;
    };
    if faults.undocumented_status && job.status == JobStatus::Processing {
        fields.insert("status".into(), json!("running"));
    }
    if faults.redirect_downloads
        && let Some(Value::String(url)) = fields.get_mut("download_url")
    {
        *url = url.replacen("/downloads/", "/moved/downloads/", 1);
    }
    if faults.odd_answers {
        fields.insert("progress".into(), json!(0.5));
        fields.insert(
            "model_version".into(),
            json!({"name": "cad-2", "beta": true}),
        );
        for count in ["tokens_used", "latency_ms"] {
            if let Some(n) = fields.get(count).and_then(Value::as_u64) {
                fields.insert(count.into(), json!(n as f64));
            }
        }
        if let Some(Value::Object(brainstorm)) = fields.get_mut("brainstorm") {
            brainstorm.insert("confidence".into(), json!(0.9));
            for list in ["key_features", "design_components"] {
                brainstorm.insert(list.into(), Value::Null);
            }
            brainstorm.insert("material_recommendations".into(), Value::Null);
            if let Some(Value::Array(suggestions)) = brainstorm.get_mut("suggestions") {
                suggestions.push(Value::Null);
            }
        }
    }
    answer
}
