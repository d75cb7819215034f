//! The API's wire types as the client reads and writes them (contract §2, §3, §8).
//!
//! Written from the contract, independently of the emulator's own types. Reading is lenient
//! where the contract is vague (every JobOut field but `status` may be missing or `null`);
//! writing is exact.

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// The 202 answer to a submission.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Accepted {
    /// The server's id for the job.
    pub job_id: String,
    /// Its status (a replay may report a later one than `queued`).
    pub status: JobStatus,
}

/// Makistry's design summary of a successful job (contract §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Brainstorm {
    /// Short display name.
    pub project_name: String,
    /// Features detected in the prompt.
    pub key_features: Vec<String>,
    /// Distinct physical components.
    pub design_components: Vec<String>,
    /// Note on the geometric approach.
    pub optimal_geometry: String,
    /// Suggested materials.
    pub material_recommendations: String,
    /// Follow-up ideas, usable as next prompts.
    pub suggestions: Vec<String>,
}

/// `GET /v1/jobs/{job_id}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JobOut {
    /// Lifecycle state; the only field always required.
    pub status: JobStatus,
    /// Signed link to the file, fresh on every GET; on success.
    #[serde(default)]
    pub download_url: Option<String>,
    /// Design summary; on success.
    #[serde(default)]
    pub brainstorm: Option<Brainstorm>,
    /// Credits consumed; on completed jobs.
    #[serde(default)]
    pub tokens_used: Option<u64>,
    /// Pipeline time; on completed jobs.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Job-level error code; on failure.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Human-readable failure reason; on failure.
    #[serde(default)]
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
