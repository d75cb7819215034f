//! Real image files, made by the `image` crate's encoders.

use std::io::Cursor;

use image::codecs::gif::GifEncoder;
use image::{DynamicImage, Frame, ImageFormat, Rgba, RgbaImage};

/// A small sketch-like picture: a dark rectangle outline on white.
pub fn sketch(width: u32, height: u32) -> DynamicImage {
    let mut img = RgbaImage::from_pixel(width, height, Rgba([255, 255, 255, 255]));
    for x in width / 4..3 * width / 4 {
        for y in [height / 4, 3 * height / 4] {
            img.put_pixel(x, y, Rgba([20, 20, 20, 255]));
        }
    }
    DynamicImage::ImageRgba8(img)
}

/// `sketch` encoded as `format`.
pub fn encoded(format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let img = match format {
        // JPEG has no alpha channel.
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(sketch(64, 48).to_rgb8()),
        _ => sketch(64, 48),
    };
    img.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

/// A two-frame animated GIF.
pub fn animated_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        let frames = [
            sketch(32, 32).to_rgba8(),
            RgbaImage::from_pixel(32, 32, Rgba([200, 0, 0, 255])),
        ];
        encoder
            .encode_frames(frames.into_iter().map(Frame::new))
            .expect("encodes");
    }
    out
}

/// A real PNG padded after its IEND chunk (decoders ignore trailing bytes) to exactly `size`.
pub fn png_of_size(size: usize) -> Vec<u8> {
    let mut png = encoded(ImageFormat::Png);
    assert!(png.len() <= size);
    png.resize(size, 0);
    png
}
