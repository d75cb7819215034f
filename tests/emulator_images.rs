//! `POST /v1/image-to-cad`: multipart uploads with real PNG, JPEG, WebP and GIF files, spoofed
//! files, the 10 MiB boundary, and the form's own rules.

use image::ImageFormat;
use makistry::emulator::{Emulator, Endpoint, MAX_IMAGE_BYTES};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::support::images::{animated_gif, encoded, png_of_size};
use crate::support::{emulator, error_of, finished_job, http};

fn image_part(bytes: Vec<u8>, file_name: &str, mime: &str) -> Part {
    Part::bytes(bytes)
        .file_name(file_name.to_string())
        .mime_str(mime)
        .expect("valid mime")
}

async fn post_form(emu: &Emulator, form: Form) -> reqwest::Response {
    http()
        .post(format!("{}/image-to-cad", emu.base_url()))
        .bearer_auth(emu.api_key())
        .multipart(form)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn real_png_jpeg_webp_and_gif_files_are_accepted_and_judged_by_their_bytes() {
    let emu = emulator().await;
    let form = Form::new()
        .part(
            "image",
            image_part(encoded(ImageFormat::Png), "front.png", "image/png"),
        )
        .part(
            "image",
            image_part(encoded(ImageFormat::Jpeg), "side.jpg", "image/jpeg"),
        )
        // Declared wrongly on purpose: the bytes decide.
        .part(
            "image",
            image_part(
                encoded(ImageFormat::WebP),
                "top.bin",
                "application/octet-stream",
            ),
        )
        .text(
            "prompt",
            "front view, right side view and top view of a gear",
        )
        .text("design_mode", "standard")
        .text("output_format", "GLB")
        .text("metadata_json", r#"{"ref":"part-42"}"#);
    let response = post_form(&emu, form).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let job_id = accepted["job_id"].as_str().unwrap();

    let jobs = emu.jobs();
    let images = &jobs[0].images;
    let detected: Vec<&str> = images.iter().map(|i| i.detected_type.as_str()).collect();
    assert_eq!(detected, ["image/png", "image/jpeg", "image/webp"]);
    assert_eq!((images[0].width, images[0].height), (64, 48));
    assert_eq!(
        images[2].declared_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(jobs[0].endpoint, Endpoint::ImageToCad);
    assert_eq!(jobs[0].part, "gear");

    let done = finished_job(&emu, job_id).await;
    assert_eq!(done["status"], "success");
    assert_eq!(done["metadata"], serde_json::json!({ "ref": "part-42" }));

    let gif = Form::new().part("image", image_part(animated_gif(), "anim.gif", "image/gif"));
    let response = post_form(&emu, gif).await;
    assert_eq!(response.status(), 202);
    let gif_job = emu.jobs().pop().unwrap();
    assert_eq!(gif_job.images[0].detected_type, "image/gif");
    // The API's defaults for image jobs.
    assert_eq!(
        (gif_job.design_mode.as_str(), gif_job.output_format.as_str()),
        ("standard", "STEP")
    );
}

#[tokio::test]
async fn spoofed_truncated_and_oversized_files_get_image_parse_failed() {
    let emu = emulator().await;
    let mut png = encoded(ImageFormat::Png);
    png.truncate(png.len() / 2);
    let cases = [
        (
            b"just some text, not a picture".to_vec(),
            "notes.png",
            "image/png",
            "not a PNG",
        ),
        (
            b"%PDF-1.7 fake".to_vec(),
            "drawing.jpg",
            "image/jpeg",
            "not a PNG",
        ),
        (png, "cut.png", "image/png", "could not be decoded"),
        (
            png_of_size(MAX_IMAGE_BYTES + 1),
            "big.png",
            "image/png",
            "10 MiB",
        ),
    ];
    for (bytes, name, mime, expected) in cases {
        let form = Form::new().part("image", image_part(bytes, name, mime));
        let (status, code, message) = error_of(post_form(&emu, form).await).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "image_parse_failed"),
            "{name}"
        );
        assert!(
            message.contains(expected) && message.contains(name),
            "{name}: {message}"
        );
    }
    // Exactly 10 MiB is allowed.
    let form = Form::new().part(
        "image",
        image_part(png_of_size(MAX_IMAGE_BYTES), "max.png", "image/png"),
    );
    assert_eq!(post_form(&emu, form).await.status(), 202);

    // One bad image among good ones fails the request, and names the bad one.
    let form = Form::new()
        .part(
            "image",
            image_part(encoded(ImageFormat::Png), "good.png", "image/png"),
        )
        .part(
            "image",
            image_part(b"GIF89a-but-not-really".to_vec(), "bad.gif", "image/gif"),
        );
    let (_, code, message) = error_of(post_form(&emu, form).await).await;
    assert_eq!(code, "image_parse_failed");
    assert!(message.contains("image 2 (bad.gif)"), "{message}");
    assert_eq!(emu.jobs().len(), 1);
}

#[tokio::test]
async fn the_forms_own_rules_give_invalid_input() {
    let emu = emulator().await;
    let png = || image_part(encoded(ImageFormat::Png), "v.png", "image/png");
    let four = (0..4).fold(Form::new(), |form, _| form.part("image", png()));
    let cases = [
        (
            Form::new().text("prompt", "no image at all"),
            "at least one",
        ),
        (four, "at most 3"),
        (
            Form::new().part("image", png()).text("design_mode", "pro"),
            "pro",
        ),
        (
            Form::new()
                .part("image", png())
                .text("output_format", "PDF"),
            "output_format",
        ),
        (
            Form::new()
                .part("image", png())
                .text("metadata_json", "[1,2]"),
            "metadata_json",
        ),
        (
            Form::new()
                .part("image", png())
                .text("metadata_json", "{not json"),
            "metadata_json",
        ),
        (
            Form::new()
                .part("image", png())
                .text("callback_url", "http://hooks.example.com"),
            "callback_url",
        ),
        (
            Form::new()
                .part("image", png())
                .text("prompt", "x".repeat(5001)),
            "5000",
        ),
        (
            Form::new().part("image", png()).text("metadata", "{}"),
            "metadata",
        ),
    ];
    for (form, named) in cases {
        let (status, code, message) = error_of(post_form(&emu, form).await).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "invalid_input"),
            "expected {named}"
        );
        assert!(
            message.contains(named),
            "{message:?} should mention {named}"
        );
    }
    // JSON sent to the multipart endpoint.
    let json = http()
        .post(format!("{}/image-to-cad", emu.base_url()))
        .bearer_auth(emu.api_key())
        .json(&serde_json::json!({ "prompt": "a box" }))
        .send()
        .await
        .unwrap();
    let (_, code, message) = error_of(json).await;
    assert_eq!(code, "invalid_input");
    assert!(message.contains("multipart/form-data"), "{message}");
    // More than 3 images is refused before any image is judged.
    let bad_four = (0..4).fold(Form::new(), |form, _| {
        form.part("image", image_part(b"text".to_vec(), "t.png", "image/png"))
    });
    assert_eq!(
        error_of(post_form(&emu, bad_four).await).await.1,
        "invalid_input"
    );
    // Three images and assembly mode are fine.
    let three = (0..3).fold(Form::new().text("design_mode", "assembly"), |form, _| {
        form.part("image", png())
    });
    assert_eq!(post_form(&emu, three).await.status(), 202);
    assert_eq!(emu.jobs()[0].part, "enclosure_assembly");
}

#[tokio::test]
async fn image_jobs_replay_by_idempotency_key_too() {
    let emu = emulator().await;
    let form = || {
        Form::new().part(
            "image",
            image_part(encoded(ImageFormat::Jpeg), "photo.jpg", "image/jpeg"),
        )
    };
    let send = |form: Form| {
        http()
            .post(format!("{}/image-to-cad", emu.base_url()))
            .bearer_auth(emu.api_key())
            .header("Idempotency-Key", "img-1")
            .multipart(form)
            .send()
    };
    let first: Value = send(form()).await.unwrap().json().await.unwrap();
    let second: Value = send(form()).await.unwrap().json().await.unwrap();
    assert_eq!(first["job_id"], second["job_id"]);
    assert_eq!(emu.jobs().len(), 1);
}
