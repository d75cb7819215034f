//! Parsing and validating the two submission bodies (contract §2.1, §2.2, §10), with no HTTP
//! types: what comes in is bytes and form fields, what goes out is a checked [`Submission`] or
//! the 422 the API would answer.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::wire::{DesignMode, OutputFormat};

/// Longest prompt, in characters (Unicode scalar values).
pub const MAX_PROMPT_CHARS: usize = 5000;
/// Most images per image job.
pub const MAX_IMAGES: usize = 3;
/// Largest image: 10 MiB; one byte more is refused (open point 15).
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Largest serialised `metadata` (open point 19).
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

/// Which POST endpoint a job came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    /// `POST /v1/text-to-cad`.
    TextToCad,
    /// `POST /v1/image-to-cad`.
    ImageToCad,
}

/// What the server learned about one accepted image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageInfo {
    /// The part's file name, if it had one.
    pub file_name: Option<String>,
    /// The part's declared `Content-Type` (not trusted).
    pub declared_type: Option<String>,
    /// The MIME type judged from the bytes.
    pub detected_type: String,
    /// Size in bytes.
    pub bytes: usize,
    /// Pixel width of the (first) frame.
    pub width: u32,
    /// Pixel height of the (first) frame.
    pub height: u32,
}

/// A valid submission.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Submission {
    /// Where it came from.
    pub endpoint: Endpoint,
    /// The prompt (may be empty for image jobs).
    pub prompt: String,
    /// Design mode.
    pub design_mode: DesignMode,
    /// Output format.
    pub output_format: OutputFormat,
    /// https callback URL, accepted but not called (see README: webhooks).
    pub callback_url: Option<String>,
    /// The metadata object, echoed on the job.
    pub metadata: Value,
    /// The images, in the order sent.
    pub images: Vec<ImageInfo>,
}

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub struct FormField {
    /// The part's `name`.
    pub name: String,
    /// The part's `filename`, if any.
    pub file_name: Option<String>,
    /// The part's declared `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub data: bytes::Bytes,
}

/// Parses and checks a `POST /v1/text-to-cad` body.
pub fn parse_text_to_cad(content_type: Option<&str>, body: &[u8]) -> Result<Submission, ApiError> {
    let is_json = content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::invalid_input(
            "Content-Type must be application/json on /v1/text-to-cad (images go to /v1/image-to-cad as multipart/form-data)",
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_input(format!("body is not valid JSON: {e}")))?;
    let Value::Object(mut fields) = value else {
        return Err(ApiError::invalid_input("body must be a JSON object"));
    };
    const KNOWN: [&str; 5] = [
        "prompt",
        "design_mode",
        "output_format",
        "callback_url",
        "metadata",
    ];
    if let Some(unknown) = fields.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ApiError::invalid_input(format!(
            "unknown field `{unknown}`; allowed fields are {}",
            KNOWN.join(", ")
        )));
    }
    // A JSON null is taken as "not given" (open point: clients often serialise absent options so).
    let mut take_string = |name: &str| -> Result<Option<String>, ApiError> {
        match fields.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid_input(format!(
                "`{name}` must be a string"
            ))),
        }
    };
    let prompt =
        take_string("prompt")?.ok_or_else(|| ApiError::invalid_input("`prompt` is required"))?;
    let design_mode = take_string("design_mode")?;
    let output_format = take_string("output_format")?;
    let callback_url = take_string("callback_url")?;
    let metadata = match fields.remove("metadata") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(object @ Value::Object(_)) => object,
        Some(_) => return Err(ApiError::invalid_input("`metadata` must be a JSON object")),
    };
    Ok(Submission {
        endpoint: Endpoint::TextToCad,
        prompt: check_prompt(prompt, true)?,
        design_mode: check_design_mode(design_mode.as_deref(), Endpoint::TextToCad)?,
        output_format: check_output_format(output_format.as_deref())?,
        callback_url: check_callback_url(callback_url)?,
        metadata: check_metadata_size(metadata)?,
        images: Vec::new(),
    })
}

/// Parses and checks a `POST /v1/image-to-cad` form. Decodes every image (CPU work: call it off
/// the async executor).
pub fn parse_image_to_cad(fields: Vec<FormField>) -> Result<Submission, ApiError> {
    const TEXT_FIELDS: [&str; 5] = [
        "prompt",
        "design_mode",
        "output_format",
        "callback_url",
        "metadata_json",
    ];
    let mut images = Vec::new();
    let mut texts: Map<String, Value> = Map::new();
    for field in fields {
        if field.name == "image" {
            images.push(field);
            continue;
        }
        if !TEXT_FIELDS.contains(&field.name.as_str()) {
            return Err(ApiError::invalid_input(format!(
                "unknown form field `{}`; allowed fields are image, {}",
                field.name,
                TEXT_FIELDS.join(", ")
            )));
        }
        let text = String::from_utf8(field.data.to_vec()).map_err(|_| {
            ApiError::invalid_input(format!("form field `{}` must be UTF-8 text", field.name))
        })?;
        if texts
            .insert(field.name.clone(), Value::String(text))
            .is_some()
        {
            return Err(ApiError::invalid_input(format!(
                "form field `{}` was sent more than once",
                field.name
            )));
        }
    }
    if images.is_empty() {
        return Err(ApiError::invalid_input(
            "at least one `image` part is required",
        ));
    }
    if images.len() > MAX_IMAGES {
        return Err(ApiError::invalid_input(format!(
            "at most {MAX_IMAGES} images are allowed; got {}",
            images.len()
        )));
    }
    let text = |name: &str| texts.get(name).and_then(Value::as_str).map(str::to_string);
    let prompt = check_prompt(text("prompt").unwrap_or_default(), false)?;
    let design_mode = check_design_mode(text("design_mode").as_deref(), Endpoint::ImageToCad)?;
    let output_format = check_output_format(text("output_format").as_deref())?;
    let callback_url = check_callback_url(text("callback_url"))?;
    let metadata = match text("metadata_json") {
        None => Value::Object(Map::new()),
        Some(json) => match serde_json::from_str::<Value>(&json) {
            Ok(object @ Value::Object(_)) => check_metadata_size(object)?,
            _ => {
                return Err(ApiError::invalid_input(
                    "`metadata_json` must be a JSON object encoded as a string, e.g. {\"ref\":\"part-42\"}",
                ));
            }
        },
    };
    let images = images
        .iter()
        .enumerate()
        .map(|(index, field)| check_image(index + 1, field))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Submission {
        endpoint: Endpoint::ImageToCad,
        prompt,
        design_mode,
        output_format,
        callback_url,
        metadata,
        images,
    })
}

fn check_prompt(prompt: String, required: bool) -> Result<String, ApiError> {
    let chars = prompt.chars().count();
    if chars > MAX_PROMPT_CHARS {
        return Err(ApiError::invalid_input(format!(
            "prompt must be at most {MAX_PROMPT_CHARS} characters (got {chars})"
        )));
    }
    if required && prompt.trim().is_empty() {
        return Err(ApiError::invalid_input("prompt must not be empty"));
    }
    Ok(prompt)
}

fn check_design_mode(value: Option<&str>, endpoint: Endpoint) -> Result<DesignMode, ApiError> {
    let Some(value) = value else {
        return Ok(DesignMode::Standard);
    };
    match (DesignMode::parse(value), endpoint) {
        (Some(DesignMode::Pro), Endpoint::ImageToCad) => Err(ApiError::invalid_input(
            "design_mode `pro` is not available on /v1/image-to-cad; use `standard` or `assembly`",
        )),
        (Some(mode), _) => Ok(mode),
        (None, Endpoint::TextToCad) => Err(ApiError::invalid_input(format!(
            "design_mode must be one of standard, pro, assembly (got `{value}`)"
        ))),
        (None, Endpoint::ImageToCad) => Err(ApiError::invalid_input(format!(
            "design_mode must be one of standard, assembly (got `{value}`)"
        ))),
    }
}

fn check_output_format(value: Option<&str>) -> Result<OutputFormat, ApiError> {
    let Some(value) = value else {
        return Ok(OutputFormat::Step);
    };
    OutputFormat::parse(value).ok_or_else(|| {
        ApiError::invalid_input(format!(
            "output_format must be one of STEP, STL, GLB, 3MF (got `{value}`)"
        ))
    })
}

fn check_callback_url(value: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    match url::Url::parse(&value) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Ok(Some(value)),
        _ => Err(ApiError::invalid_input(
            "callback_url must be an https:// URL",
        )),
    }
}

fn check_metadata_size(metadata: Value) -> Result<Value, ApiError> {
    let size = metadata.to_string().len();
    if size > MAX_METADATA_BYTES {
        return Err(ApiError::invalid_input(format!(
            "metadata must be at most {MAX_METADATA_BYTES} bytes as JSON (got {size})"
        )));
    }
    Ok(metadata)
}

/// Judges an image by its bytes, never by its name or declared type, and decodes its first frame.
fn check_image(position: usize, field: &FormField) -> Result<ImageInfo, ApiError> {
    let label = match &field.file_name {
        Some(name) => format!("image {position} ({name})"),
        None => format!("image {position}"),
    };
    let bytes = field.data.len();
    if bytes > MAX_IMAGE_BYTES {
        return Err(ApiError::image_parse_failed(format!(
            "{label} is {bytes} bytes; each image must be at most 10 MiB ({MAX_IMAGE_BYTES} bytes)"
        )));
    }
    let (format, detected_type) = match image::guess_format(&field.data) {
        Ok(ImageFormat::Png) => (ImageFormat::Png, "image/png"),
        Ok(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "image/jpeg"),
        Ok(ImageFormat::WebP) => (ImageFormat::WebP, "image/webp"),
        Ok(ImageFormat::Gif) => (ImageFormat::Gif, "image/gif"),
        _ => {
            return Err(ApiError::image_parse_failed(format!(
                "{label} is not a PNG, JPEG, WebP or GIF image"
            )));
        }
    };
    let mut reader = ImageReader::new(Cursor::new(&field.data[..]));
    reader.set_format(format);
    // Decoding (the first frame, for a GIF) is what proves the file is an image.
    let decoded = reader.decode().map_err(|e| {
        ApiError::image_parse_failed(format!(
            "{label} could not be decoded as {detected_type}: {e}"
        ))
    })?;
    Ok(ImageInfo {
        file_name: field.file_name.clone(),
        declared_type: field.content_type.clone(),
        detected_type: detected_type.to_string(),
        bytes,
        width: decoded.width(),
        height: decoded.height(),
    })
}
