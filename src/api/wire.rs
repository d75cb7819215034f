//! The API's wire types as the client reads and writes them (contract §2, §3, §8).
//!
//! Written from the contract, independently of the emulator's own types. Reading is tolerant
//! (what the docs do not promise may change): unknown fields are ignored, `null` or an
//! unexpected shape in an optional field reads as absent, an undocumented status means "still
//! running". Writing is exact.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `design_mode`: how the service builds the part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DesignMode {
    /// One agent, fast; simple to moderately complex parts.
    #[default]
    Standard,
    /// A stronger model for complex single parts; text jobs only.
    Pro,
    /// Several agents for multi-part assemblies.
    Assembly,
}

impl DesignMode {
    /// Every mode, in the order a UI lists them.
    pub const ALL: [Self; 3] = [Self::Standard, Self::Pro, Self::Assembly];

    /// The wire value, also used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Pro => "pro",
            Self::Assembly => "assembly",
        }
    }

    /// Typical duration as the contract's async-jobs page gives it (the wider range).
    pub fn typical_duration(self) -> (Duration, Duration) {
        let (lo, hi) = match self {
            Self::Standard => (30, 120),
            Self::Pro => (60, 300),
            Self::Assembly => (120, 900),
        };
        (Duration::from_secs(lo), Duration::from_secs(hi))
    }

    /// How long the client tracks a job before saying "still running on the server".
    pub fn client_timeout(self) -> Duration {
        Duration::from_secs(match self {
            Self::Standard => 5 * 60,
            Self::Pro => 10 * 60,
            Self::Assembly => 25 * 60,
        })
    }

    /// Relative credit cost (contract §6.2).
    pub fn relative_cost(self) -> &'static str {
        match self {
            Self::Standard => "1×",
            Self::Pro => "2–3×",
            Self::Assembly => "3–5×",
        }
    }
}

/// `output_format`: the file the job produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum OutputFormat {
    /// Exact B-rep solid for CAD programs; no mesh to preview.
    #[serde(rename = "STEP")]
    Step,
    /// Triangle mesh for 3D printing.
    #[serde(rename = "STL")]
    Stl,
    /// Binary glTF with per-part colours; the app's default, because it previews.
    #[default]
    #[serde(rename = "GLB")]
    Glb,
    /// 3D Manufacturing Format.
    #[serde(rename = "3MF")]
    ThreeMf,
}

impl OutputFormat {
    /// Every format, in the order a UI lists them.
    pub const ALL: [Self; 4] = [Self::Glb, Self::Stl, Self::ThreeMf, Self::Step];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Step => "STEP",
            Self::Stl => "STL",
            Self::Glb => "GLB",
            Self::ThreeMf => "3MF",
        }
    }

    /// The file extension, lower case.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Step => "step",
            Self::Stl => "stl",
            Self::Glb => "glb",
            Self::ThreeMf => "3mf",
        }
    }

    /// Parses a wire value or extension, any case (`glb`, `GLB`, `3mf`, `step`, `stp`).
    pub fn parse_loose(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "step" | "stp" => Some(Self::Step),
            "stl" => Some(Self::Stl),
            "glb" => Some(Self::Glb),
            "3mf" => Some(Self::ThreeMf),
            _ => None,
        }
    }
}

/// A job's lifecycle state on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Accepted, waiting for a worker.
    Queued,
    /// The pipeline is running.
    Processing,
    /// Done; the file can be downloaded.
    Success,
    /// Ended with a job-level error.
    Failed,
    /// A status the contract does not list (say `"running"`): the job is still under way, as
    /// far as the client can tell, so it keeps polling.
    Other,
}

impl JobStatus {
    /// Reads a wire value, any case; an undocumented one is [`JobStatus::Other`].
    pub fn from_wire(value: &str) -> Self {
        match value.trim().to_ascii_lowercase().as_str() {
            "queued" => Self::Queued,
            "processing" => Self::Processing,
            "success" => Self::Success,
            "failed" => Self::Failed,
            _ => Self::Other,
        }
    }
}

/// Logs an undocumented status once per value and process (the client keeps polling).
pub(crate) fn note_undocumented_status(body: &[u8]) {
    static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let status = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("status")?.as_str().map(str::to_string))
        .unwrap_or_default();
    if let Ok(mut seen) = SEEN.lock()
        && !seen.contains(&status)
    {
        tracing::warn!("the API answered an undocumented job status {status:?}; polling on");
        seen.push(status);
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|value| Self::from_wire(&value))
    }
}

/// `null` where a value is optional reads as its default (an empty list, an empty text).
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// A list of texts: `null` reads as empty, and items that are not texts are left out.
fn text_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .filter_map(|item| match item {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// A count the client only shows: a whole number, a float, or a numeric string all read;
/// anything else reads as absent rather than making the whole answer unreadable.
fn lenient_count<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::Number(n)) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.is_finite())
                .map(|f| f.round() as u64)
        }),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// An optional text: a string, or absent for `null` and anything that is not a string.
fn lenient_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    })
}

/// The 202 answer to a submission.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Accepted {
    /// The server's id for the job.
    pub job_id: String,
    /// Its status (a replay may report a later one than `queued`).
    pub status: JobStatus,
}

/// Makistry's design summary of a successful job (contract §3.1). Every field may be missing
/// or `null`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Brainstorm {
    /// Short display name.
    #[serde(deserialize_with = "null_as_default")]
    pub project_name: String,
    /// Features detected in the prompt.
    #[serde(deserialize_with = "text_list")]
    pub key_features: Vec<String>,
    /// Distinct physical components.
    #[serde(deserialize_with = "text_list")]
    pub design_components: Vec<String>,
    /// Note on the geometric approach.
    #[serde(deserialize_with = "null_as_default")]
    pub optimal_geometry: String,
    /// Suggested materials.
    #[serde(deserialize_with = "null_as_default")]
    pub material_recommendations: String,
    /// Follow-up ideas, usable as next prompts.
    #[serde(deserialize_with = "text_list")]
    pub suggestions: Vec<String>,
}

/// A brainstorm that is not an object (or has fields of other shapes) reads as absent: it is
/// a nicety, never a reason to fail a job the server finished.
fn lenient_brainstorm<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Brainstorm>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

/// `GET /v1/jobs/{job_id}`. Read tolerantly: unknown fields are ignored, and every field but
/// `status` may be missing, `null` or of another shape than documented (it then reads as
/// absent). Only a missing `status` makes the answer unreadable.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JobOut {
    /// Lifecycle state; the only field always required.
    pub status: JobStatus,
    /// Signed link to the file, fresh on every GET; on success.
    #[serde(default, deserialize_with = "lenient_text")]
    pub download_url: Option<String>,
    /// Design summary; on success.
    #[serde(default, deserialize_with = "lenient_brainstorm")]
    pub brainstorm: Option<Brainstorm>,
    /// Credits consumed; on completed jobs.
    #[serde(default, deserialize_with = "lenient_count")]
    pub tokens_used: Option<u64>,
    /// Pipeline time; on completed jobs.
    #[serde(default, deserialize_with = "lenient_count")]
    pub latency_ms: Option<u64>,
    /// Job-level error code; on failure.
    #[serde(default, deserialize_with = "lenient_text")]
    pub error_code: Option<String>,
    /// Human-readable failure reason; on failure.
    #[serde(default, deserialize_with = "lenient_text")]
    pub error_message: Option<String>,
}

/// `POST /v1/text-to-cad` body.
#[derive(Debug, Serialize)]
pub(crate) struct TextToCadBody<'a> {
    pub prompt: &'a str,
    pub design_mode: DesignMode,
    pub output_format: OutputFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// Body of request-time errors; both fields optional (open point 9).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_within_the_contract_but_unlike_the_docs_are_read() {
        let out: JobOut = serde_json::from_str(
            r#"{"status":"RUNNING","progress":0.4,"brainstorm":{"project_name":null,
                "key_features":null,"suggestions":["a",null],"extra":1},
                "tokens_used":12.0,"latency_ms":"900","error_code":null,"download_url":null}"#,
        )
        .unwrap();
        assert_eq!(out.status, JobStatus::Other);
        assert_eq!(out.tokens_used, Some(12));
        assert_eq!(out.latency_ms, Some(900));
        let brainstorm = out.brainstorm.unwrap();
        assert_eq!(brainstorm.project_name, "");
        assert!(brainstorm.key_features.is_empty());
        assert_eq!(brainstorm.suggestions, ["a"]);
        let out: JobOut = serde_json::from_str(
            r#"{"status":"success","brainstorm":{"project_name":"Cap","key_features":null}}"#,
        )
        .unwrap();
        assert_eq!(out.status, JobStatus::Success);
        assert_eq!(out.brainstorm.unwrap().project_name, "Cap");
        assert!(serde_json::from_str::<JobOut>(r#"{"download_url":"x"}"#).is_err());
    }
}
