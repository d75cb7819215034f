//! The HTTP surface: the documented `/v1` API, signed downloads, and `/_emulator` controls.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{StreamExt, stream};
use serde::Deserialize;

use super::error::ApiError;
use super::faults::{DownloadFault, Faults, RequestFault};
use super::requests::{self, FormField, Submission};
use super::state::{DownloadRefusal, ServerState};

/// Largest multipart body read before refusing: 3 images of 10 MiB plus room for the rest.
const MAX_IMAGE_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Downloads are sent in chunks of this size, so clients see progress and cuts land mid-file.
const DOWNLOAD_CHUNK_BYTES: usize = 64 * 1024;

type AppState = Arc<ServerState>;

/// The whole server.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/text-to-cad", post(text_to_cad))
        .route(
            "/v1/image-to-cad",
            post(image_to_cad).layer(DefaultBodyLimit::max(MAX_IMAGE_BODY_BYTES)),
        )
        .route("/v1/jobs/{job_id}", get(get_job))
        .route("/v1/keys/{api_key_id}/rotate-secret", post(rotate_secret))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            api_faults_and_stats,
        ));
    let control = Router::new()
        .route("/_emulator/jobs", get(list_jobs))
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/faults", get(get_faults).put(put_faults))
        .route("/_emulator/clock", post(advance_clock))
        .route("/_emulator/keys", post(add_key))
        .route("/_emulator/keys/revoke", post(revoke_key));
    Router::new()
        .merge(api)
        .merge(control)
        .route("/downloads/{job_id}/{file_name}", get(download))
        .route("/moved/downloads/{job_id}/{file_name}", get(moved_download))
        .with_state(state)
}

/// Injects the configured faults into `/v1` requests and counts every answer by status.
async fn api_faults_and_stats(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let delay_ms = state.with_faults(|f| f.delay_ms);
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    let (response, status) = match state.with_faults(Faults::next_request) {
        RequestFault::None => {
            let response = next.run(request).await;
            let status = response.status().as_u16();
            (response, status)
        }
        RequestFault::ServiceUnavailable => (
            ApiError::server_error(StatusCode::SERVICE_UNAVAILABLE).into_response(),
            503,
        ),
        // Counted as status 0: no answer reached the client.
        RequestFault::Drop => (dropped_connection(), 0),
    };
    state.record_status(status);
    response
}

/// A response whose body fails before any byte: hyper then closes the connection, and the
/// client sees a transport error instead of an answer.
fn dropped_connection() -> Response {
    let failing = stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::ErrorKind::ConnectionReset.into())
    });
    Body::from_stream(failing).into_response()
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn submit_response(
    state: &AppState,
    key: &str,
    idempotency_key: Option<&str>,
    parsed: Result<Submission, ApiError>,
) -> Response {
    let submitted = state.submit(key, idempotency_key, parsed);
    if submitted.is_ok() && state.state_file.is_some() {
        let state = state.clone();
        tokio::task::spawn_blocking(move || state.save());
    }
    match submitted {
        Ok((accepted, false)) => (StatusCode::ACCEPTED, Json(accepted)).into_response(),
        Ok((_, true)) => ApiError::server_error(StatusCode::BAD_GATEWAY).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn text_to_cad(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let key = match state.admit(header_str(&headers, header::AUTHORIZATION)) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let parsed = match body {
        Ok(body) => requests::parse_text_to_cad(header_str(&headers, header::CONTENT_TYPE), &body),
        Err(rejection) => Err(ApiError::invalid_input(format!(
            "could not read the request body: {rejection}"
        ))),
    };
    submit_response(
        &state,
        &key,
        header_str(&headers, "idempotency-key"),
        parsed,
    )
}

async fn image_to_cad(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let key = match state.admit(header_str(&headers, header::AUTHORIZATION)) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let parsed = match read_form(request).await {
        // Decoding up to 30 MiB of images is CPU work: keep it off the async workers.
        Ok(fields) => tokio::task::spawn_blocking(move || requests::parse_image_to_cad(fields))
            .await
            .unwrap_or_else(|_| Err(ApiError::server_error(StatusCode::INTERNAL_SERVER_ERROR))),
        Err(error) => Err(error),
    };
    submit_response(
        &state,
        &key,
        header_str(&headers, "idempotency-key"),
        parsed,
    )
}

async fn read_form(request: Request) -> Result<Vec<FormField>, ApiError> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| ApiError::invalid_input(format!("body must be multipart/form-data: {e}")))?;
    let mut fields = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(fields),
            Err(e) => return Err(form_error(&e)),
        };
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(str::to_string);
        let data = field.bytes().await.map_err(|e| form_error(&e))?;
        fields.push(FormField {
            name,
            file_name,
            content_type,
            data,
        });
    }
}

fn form_error(error: &axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::image_parse_failed(
            "the request body is over 64 MiB: send at most 3 images of at most 10 MiB each",
        )
    } else {
        ApiError::invalid_input(format!("malformed multipart body: {error}"))
    }
}

async fn get_job(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    let result = state
        .admit(header_str(&headers, header::AUTHORIZATION))
        .and_then(|key| state.job_out(&key, &job_id));
    match result {
        Ok(job) => {
            let faults = state.with_faults(|f| f.clone());
            Json(super::dialect::job_answer(&job, &faults)).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// A moved download link: redirects to the signed file, query and all.
async fn moved_download(
    Path((job_id, file_name)): Path<(String, String)>,
    request: Request,
) -> Response {
    let query = request.uri().query().unwrap_or_default();
    let target = format!("/downloads/{job_id}/{file_name}?{query}");
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response()
}

async fn rotate_secret(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(api_key_id): Path<String>,
) -> Response {
    let result = state
        .admit(header_str(&headers, header::AUTHORIZATION))
        .and_then(|key| state.rotate_secret(&key, &api_key_id));
    match result {
        Ok(rotated) => Json(rotated).into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct SignedQuery {
    expires: i64,
    signature: String,
}

async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((job_id, file_name)): Path<(String, String)>,
    query: Result<Query<SignedQuery>, QueryRejection>,
) -> Response {
    let delay_ms = state.with_faults(|f| f.delay_ms);
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    let Ok(Query(query)) = query else {
        return (StatusCode::FORBIDDEN, "This download link is incomplete: it needs `expires` and `signature`. GET the job for a fresh link.")
            .into_response();
    };
    let with_credentials = headers.contains_key(header::AUTHORIZATION);
    let file = match state.download(
        &job_id,
        &file_name,
        query.expires,
        &query.signature,
        with_credentials,
    ) {
        Ok(file) => file,
        Err(DownloadRefusal::BadSignature) => {
            return (
                StatusCode::FORBIDDEN,
                "This download link's signature does not match. GET the job for a fresh link.",
            )
                .into_response();
        }
        Err(DownloadRefusal::LinkExpired) => {
            return (StatusCode::FORBIDDEN, "This download link has expired. GET the job again: every GET returns a freshly signed link.")
                .into_response();
        }
        Err(DownloadRefusal::NotFound) => return StatusCode::NOT_FOUND.into_response(),
        Err(DownloadRefusal::OutputExpired) => {
            return ApiError::output_expired(
                "this job's output has expired; submit a new job to regenerate it",
            )
            .into_response();
        }
    };
    let (sent, declared_len, cut) = match file.fault {
        DownloadFault::None => (file.bytes, file.bytes.len(), false),
        DownloadFault::Truncate => (
            &file.bytes[..file.bytes.len() / 2],
            file.bytes.len() / 2,
            false,
        ),
        DownloadFault::Cut => (&file.bytes[..file.bytes.len() / 2], file.bytes.len(), true),
    };
    let chunks = stream::iter(
        sent.chunks(DOWNLOAD_CHUNK_BYTES)
            .map(|c| Ok::<_, std::io::Error>(Bytes::from_static(c))),
    );
    // The pause lets hyper flush the first half, so the client really receives part of the file
    // before the connection dies, as on a flaky network.
    let cut_at_end = stream::iter(cut.then_some(())).then(|()| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::ErrorKind::ConnectionReset.into())
    });
    let body = Body::from_stream(chunks.chain(cut_at_end));
    let disposition = format!("attachment; filename=\"{}\"", file.file_name);
    let headers = [
        (header::CONTENT_TYPE, file.mime.to_string()),
        (header::CONTENT_LENGTH, declared_len.to_string()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    (headers, body).into_response()
}

async fn list_jobs(State(state): State<AppState>) -> Response {
    Json(state.job_summaries()).into_response()
}

async fn stats(State(state): State<AppState>) -> Response {
    Json(state.stats()).into_response()
}

async fn get_faults(State(state): State<AppState>) -> Response {
    Json(state.faults()).into_response()
}

async fn put_faults(
    State(state): State<AppState>,
    faults: Result<Json<Faults>, JsonRejection>,
) -> Response {
    match faults {
        Ok(Json(faults)) => {
            state.set_faults(faults.clone());
            Json(faults).into_response()
        }
        Err(rejection) => (StatusCode::UNPROCESSABLE_ENTITY, rejection.body_text()).into_response(),
    }
}

#[derive(Deserialize)]
struct AdvanceClock {
    /// Seconds to move the emulator clock forward.
    advance_secs: f64,
}

async fn advance_clock(
    State(state): State<AppState>,
    body: Result<Json<AdvanceClock>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(AdvanceClock { advance_secs }))
            if advance_secs.is_finite() && advance_secs >= 0.0 =>
        {
            state.clock.advance(Duration::from_secs_f64(advance_secs));
            Json(serde_json::json!({ "now": state.clock.now().to_rfc3339() })).into_response()
        }
        _ => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected {\"advance_secs\": <non-negative number>}",
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct AddKey {
    /// The key to accept; a new one is made when absent.
    api_key: Option<String>,
    /// Its credit balance.
    credits: u64,
}

async fn add_key(
    State(state): State<AppState>,
    body: Result<Json<AddKey>, JsonRejection>,
) -> Response {
    let Ok(Json(AddKey { api_key, credits })) = body else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected {\"api_key\": \"mk_pub_…\" (optional), \"credits\": N}",
        )
            .into_response();
    };
    let key = api_key.unwrap_or_else(super::state::generate_key);
    if !super::state::is_well_formed_key(&key) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "api_key must be mk_pub_ followed by 32 lower-case hex characters",
        )
            .into_response();
    }
    state.add_key(&key, credits);
    Json(serde_json::json!({ "api_key": key, "api_key_id": super::state::key_id(&key) }))
        .into_response()
}

#[derive(Deserialize)]
struct RevokeKey {
    api_key: String,
}

async fn revoke_key(
    State(state): State<AppState>,
    body: Result<Json<RevokeKey>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(RevokeKey { api_key })) if state.revoke(&api_key) => {
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(_) => StatusCode::NOT_FOUND.into_response(),
        Err(rejection) => (StatusCode::UNPROCESSABLE_ENTITY, rejection.body_text()).into_response(),
    }
}
