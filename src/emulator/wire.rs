//! The emulator's wire types, written from the contract (`shared/makistry-api.md` §2–3, §9).
//!
//! Deliberately separate from the client's types in `crate::api`: the emulator is the client's
//! examiner, and a mistake shared by both would pass every test.

use serde::{Deserialize, Serialize};

/// `status` of a job (contract §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Accepted, waiting for a worker.
    Queued,
    /// Pipeline running.
    Processing,
    /// Done; `download_url` set.
    Success,
    /// Unrecoverable; `error_code` and `error_message` set.
    Failed,
}

impl JobStatus {
    /// True for `success` and `failed`.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Success | Self::Failed)
    }
}

/// `design_mode` (contract §2.1); exact, case-sensitive values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DesignMode {
    /// One agent, fast.
    Standard,
    /// Stronger model; text jobs only.
    Pro,
    /// Multi-agent, for multi-part assemblies.
    Assembly,
}

impl DesignMode {
    /// Parses the wire value (exact match, open point 18).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "standard" => Some(Self::Standard),
            "pro" => Some(Self::Pro),
            "assembly" => Some(Self::Assembly),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Pro => "pro",
            Self::Assembly => "assembly",
        }
    }
}

/// `output_format` (contract §8); exact, upper-case values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutputFormat {
    /// Exact B-rep solid.
    #[serde(rename = "STEP")]
    Step,
    /// Triangle mesh.
    #[serde(rename = "STL")]
    Stl,
    /// Binary glTF with per-part colours.
    #[serde(rename = "GLB")]
    Glb,
    /// 3D Manufacturing Format.
    #[serde(rename = "3MF")]
    ThreeMf,
}

impl OutputFormat {
    /// Parses the wire value (exact match, open point 18).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "STEP" => Some(Self::Step),
            "STL" => Some(Self::Stl),
            "GLB" => Some(Self::Glb),
            "3MF" => Some(Self::ThreeMf),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Step => "STEP",
            Self::Stl => "STL",
            Self::Glb => "GLB",
            Self::ThreeMf => "3MF",
        }
    }

    /// File extension of the served file.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Step => "step",
            Self::Stl => "stl",
            Self::Glb => "glb",
            Self::ThreeMf => "3mf",
        }
    }

    /// MIME type the download is served with (contract §8).
    pub fn mime(self) -> &'static str {
        match self {
            Self::Step => "application/step",
            Self::Stl => "model/stl",
            Self::Glb => "model/gltf-binary",
            Self::ThreeMf => "application/3mf",
        }
    }
}

/// 202 body of both POST endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// `pub_` + 12 lowercase hex characters.
    pub job_id: String,
    /// `queued` for a new job; a replay reports the job's current status (open point 11).
    pub status: JobStatus,
}

/// The `brainstorm` object of a successful job (contract §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Brainstorm {
    /// Short display name of the design.
    pub project_name: String,
    /// Functional features detected in the prompt.
    pub key_features: Vec<String>,
    /// Distinct physical components.
    pub design_components: Vec<String>,
    /// Short note on the geometric approach.
    pub optimal_geometry: String,
    /// Suggested materials, one string.
    pub material_recommendations: String,
    /// 2–3 follow-up ideas.
    pub suggestions: Vec<String>,
}

/// `GET /v1/jobs/{job_id}` body. Every key is always present, `null` where it does not apply
/// (open point 1); `created_at` is an emulator addition clients must not require (open point 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOut {
    /// The job's id.
    pub job_id: String,
    /// Lifecycle state.
    pub status: JobStatus,
    /// Signed, expiring link to the file; re-signed on every GET; set on success.
    pub download_url: Option<String>,
    /// Design summary; set on success.
    pub brainstorm: Option<Brainstorm>,
    /// Credits consumed; set on completed jobs (0 for failed ones, which are not charged).
    pub tokens_used: Option<u64>,
    /// Pipeline wall-clock time; set on completed jobs.
    pub latency_ms: Option<u64>,
    /// Job-level error code (contract §9.2); set on failure.
    pub error_code: Option<String>,
    /// Human-readable failure reason; set on failure.
    pub error_message: Option<String>,
    /// The request's `metadata` (or parsed `metadata_json`), unchanged.
    pub metadata: serde_json::Value,
    /// ISO 8601 creation time (emulator addition).
    pub created_at: String,
}

/// Body of request-time errors (contract §9.1). 404 has no body at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `invalid_input`.
    pub error_code: String,
    /// What is wrong, naming the field where there is one.
    pub message: String,
}

/// `POST /v1/keys/{api_key_id}/rotate-secret` body (open point 22: shape chosen here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedSecret {
    /// The new webhook signing secret, shown once.
    pub signing_secret: String,
    /// ISO 8601 time of the rotation.
    pub signing_secret_rotated_at: String,
}
