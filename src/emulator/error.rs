//! Request-time errors (contract §9.1) and how they go on the wire.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::wire::ErrorBody;

/// A request-time error: status, `error_code` and `message`; 404 and 5xx carry no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error_code`, absent for 404 and 5xx.
    pub code: Option<&'static str>,
    /// `message` (unused when there is no body).
    pub message: String,
    /// `Retry-After` seconds, for 429.
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    fn with_body(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: Some(code),
            message: message.into(),
            retry_after_secs: None,
        }
    }

    /// 401 `invalid_api_key`.
    pub fn invalid_api_key(message: impl Into<String>) -> Self {
        Self::with_body(StatusCode::UNAUTHORIZED, "invalid_api_key", message)
    }

    /// 402 `payment_required`.
    pub fn payment_required(message: impl Into<String>) -> Self {
        Self::with_body(StatusCode::PAYMENT_REQUIRED, "payment_required", message)
    }

    /// 404 with no body.
    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: None,
            message: String::new(),
            retry_after_secs: None,
        }
    }

    /// 410 `output_expired`.
    pub fn output_expired(message: impl Into<String>) -> Self {
        Self::with_body(StatusCode::GONE, "output_expired", message)
    }

    /// 422 `invalid_input`.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::with_body(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
    }

    /// 422 `image_parse_failed`.
    pub fn image_parse_failed(message: impl Into<String>) -> Self {
        Self::with_body(
            StatusCode::UNPROCESSABLE_ENTITY,
            "image_parse_failed",
            message,
        )
    }

    /// 429 `quota_exceeded` with `Retry-After`.
    pub fn quota_exceeded(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::with_body(StatusCode::TOO_MANY_REQUESTS, "quota_exceeded", message)
        }
    }

    /// A 5xx with no body (open point 25).
    pub fn server_error(status: StatusCode) -> Self {
        Self {
            status,
            code: None,
            message: String::new(),
            retry_after_secs: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = match self.code {
            Some(code) => {
                let body = ErrorBody {
                    error_code: code.to_string(),
                    message: self.message,
                };
                (self.status, axum::Json(body)).into_response()
            }
            None => self.status.into_response(),
        };
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
