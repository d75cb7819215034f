//! A finished job as the benches' histories hold it, shared by the benches (each includes
//! this file as a module).

#![allow(dead_code)]

use std::path::PathBuf;

use chrono::Utc;
use makistry::api::{Brainstorm, DesignMode, OutputFormat};
use makistry::jobs::{JobRecord, Phase, ServiceReport};

/// A finished job as the API leaves it: prompt, brainstorm, credits, file.
pub fn finished_job(n: usize) -> JobRecord {
    let mut job = JobRecord::new(
        format!("A {n} mm spacer with a 5 mm through hole and 1 mm chamfers on both ends"),
        vec![],
        DesignMode::Standard,
        OutputFormat::Step,
        Utc::now(),
    );
    job.remote_id = Some(format!("pub_{n:012x}"));
    let brainstorm = Brainstorm {
        project_name: format!("Spacer {n}"),
        key_features: vec!["through hole".into(), "chamfers".into()],
        design_components: vec!["spacer body".into()],
        optimal_geometry: "A cylinder with a coaxial hole".into(),
        material_recommendations: "PETG or aluminium".into(),
        suggestions: vec!["Add a counterbore".into(), "Knurl the outside".into()],
    };
    job.phase = Phase::Done {
        report: ServiceReport {
            brainstorm: Some(brainstorm),
            tokens_used: Some(900),
            latency_ms: Some(41_000),
        },
        file: PathBuf::from(format!("/home/user/.local/share/makistry/files/{n}.step")),
        finished_at: Some(Utc::now()),
    };
    job
}
