//! What an image's header says, read without decoding a pixel: its
//! dimensions (so a decompression bomb is refused before anyone decodes
//! it) and the metadata segments that may locate or identify the camera
//! (removed whole, so the image data stays byte for byte what was sent).

use crate::image_kind::ImageKind;

/// Largest side accepted, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Most pixels accepted (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Width and height as the header claims them; `None` when the header is
/// cut short, malformed, or claims a zero side.
pub fn dimensions(kind: ImageKind, data: &[u8]) -> Option<(u32, u32)> {
    let (w, h) = match kind {
        ImageKind::Gif => (u32::from(le16(data, 6)?), u32::from(le16(data, 8)?)),
        ImageKind::Png => {
            // The first chunk must be IHDR: width and height, big-endian.
            if data.get(12..16)? != b"IHDR" {
                return None;
            }
            (be32(data, 16)?, be32(data, 20)?)
        }
        ImageKind::Jpeg => jpeg_dimensions(data)?,
        ImageKind::Webp => webp_dimensions(data)?,
    };
    (w > 0 && h > 0).then_some((w, h))
}

/// Whether an image of this size is too big to accept.
pub fn too_big(width: u32, height: u32) -> bool {
    width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS
}

/// The image without its Exif, XMP and IPTC metadata (GPS position,
/// camera and owner details) and PNG text chunks; every other byte is
/// kept as sent. `None` when the container structure is malformed.
pub fn strip_metadata(kind: ImageKind, data: &[u8]) -> Option<Vec<u8>> {
    match kind {
        // GIF has no standard place for location data.
        ImageKind::Gif => Some(data.to_vec()),
        ImageKind::Png => strip_png(data),
        ImageKind::Jpeg => strip_jpeg(data),
        ImageKind::Webp => strip_webp(data),
    }
}

fn le16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn le24(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at + 3)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
}

fn le32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// A JPEG marker segment before the scan: `(marker, start, end)` with
/// `start..end` the whole segment including its `FF xx` and length.
fn jpeg_segments(data: &[u8]) -> impl Iterator<Item = Option<(u8, usize, usize)>> + '_ {
    let mut at = 2; // after SOI
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let seg = (|| {
            // Fill bytes (FF FF ...) may precede a marker.
            let mut i = at;
            while *data.get(i)? == 0xFF && *data.get(i + 1)? == 0xFF {
                i += 1;
            }
            if *data.get(i)? != 0xFF {
                return None;
            }
            let marker = *data.get(i + 1)?;
            // Standalone markers carry no length.
            if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
                return Some((marker, at, i + 2));
            }
            let len = usize::from(be16(data, i + 2)?);
            if len < 2 || i + 2 + len > data.len() {
                return None;
            }
            Some((marker, at, i + 2 + len))
        })();
        match seg {
            Some((marker, _, end)) => {
                at = end;
                // Start of scan: entropy-coded data follows, no more segments.
                done = marker == 0xDA || marker == 0xD9;
            }
            None => done = true,
        }
        Some(seg)
    })
}

fn jpeg_dimensions(data: &[u8]) -> Option<(u32, u32)> {
    for seg in jpeg_segments(data) {
        let (marker, start, _) = seg?;
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            // FF Cn, length(2), precision(1), height(2), width(2).
            let off = data[start..].iter().position(|&b| b != 0xFF)? + start - 1;
            let h = be16(data, off + 5)?;
            let w = be16(data, off + 7)?;
            return Some((u32::from(w), u32::from(h)));
        }
        if marker == 0xDA {
            return None;
        }
    }
    None
}

/// Whether a JPEG segment holds metadata to drop: APP1 Exif or XMP, APP13
/// (Photoshop IRB / IPTC).
fn jpeg_metadata(marker: u8, payload: &[u8]) -> bool {
    match marker {
        0xE1 => {
            payload.starts_with(b"Exif\0")
                || payload.starts_with(b"http://ns.adobe.com/xap/1.0/\0")
                || payload.starts_with(b"http://ns.adobe.com/xmp/extension/\0")
        }
        0xED => true,
        _ => false,
    }
}

fn strip_jpeg(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(data.get(..2)?);
    for seg in jpeg_segments(data) {
        let (marker, start, seg_end) = seg?;
        // Payload after FF xx and the two length bytes.
        let head = data[start..seg_end].iter().position(|&b| b != 0xFF)? + start + 1;
        let payload = data.get(head + 2..seg_end).unwrap_or_default();
        if !jpeg_metadata(marker, payload) {
            out.extend_from_slice(&data[start..seg_end]);
        }
        if marker == 0xDA || marker == 0xD9 {
            out.extend_from_slice(&data[seg_end..]);
            return Some(out);
        }
    }
    // No scan found: not an image anyone can display.
    None
}

const PNG_DROPPED: [&[u8; 4]; 4] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt"];

fn strip_png(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(data.get(..8)?);
    let mut at = 8;
    loop {
        let len = usize::try_from(be32(data, at)?).ok()?;
        let end = at.checked_add(12)?.checked_add(len)?;
        let kind = data.get(at + 4..at + 8)?;
        if end > data.len() {
            return None;
        }
        // Whole chunks go, each with its own CRC, so what stays is valid.
        if !PNG_DROPPED.iter().any(|d| d.as_slice() == kind) {
            out.extend_from_slice(&data[at..end]);
        }
        at = end;
        if kind == b"IEND" {
            out.extend_from_slice(&data[at..]);
            return Some(out);
        }
    }
}

/// WebP's chunks after the 12-byte RIFF header: `(fourcc, start, end)`,
/// `end` including the pad byte of an odd-sized chunk.
fn webp_chunks(data: &[u8]) -> Option<Vec<([u8; 4], usize, usize)>> {
    let mut chunks = Vec::new();
    let mut at = 12;
    while at < data.len() {
        let fourcc: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        let size = usize::try_from(le32(data, at + 4)?).ok()?;
        let end = (at + 8).checked_add(size)?.checked_add(size & 1)?;
        // The last chunk may lack its pad byte.
        let end = if end == data.len() + 1 {
            data.len()
        } else {
            end
        };
        if end > data.len() {
            return None;
        }
        chunks.push((fourcc, at, end));
        at = end;
    }
    Some(chunks)
}

fn webp_dimensions(data: &[u8]) -> Option<(u32, u32)> {
    let (fourcc, start, _) = *webp_chunks(data)?.first()?;
    let d = start + 8;
    match &fourcc {
        b"VP8X" => Some((le24(data, d + 4)? + 1, le24(data, d + 7)? + 1)),
        b"VP8 " => {
            // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit sides.
            if data.get(d + 3..d + 6)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            Some((
                u32::from(le16(data, d + 6)? & 0x3FFF),
                u32::from(le16(data, d + 8)? & 0x3FFF),
            ))
        }
        b"VP8L" => {
            if *data.get(d)? != 0x2F {
                return None;
            }
            let bits = le32(data, d + 1)?;
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        _ => None,
    }
}

fn strip_webp(data: &[u8]) -> Option<Vec<u8>> {
    let chunks = webp_chunks(data)?;
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(data.get(..12)?);
    for (fourcc, start, end) in chunks {
        match &fourcc {
            b"EXIF" | b"XMP " => {}
            b"VP8X" => {
                let mut chunk = data[start..end].to_vec();
                // Flags: EXIF (0x08) and XMP (0x04) are gone now.
                if let Some(flags) = chunk.get_mut(8) {
                    *flags &= !0x0C;
                }
                out.extend_from_slice(&chunk);
            }
            _ => out.extend_from_slice(&data[start..end]),
        }
    }
    let riff = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    Some(out)
}

#[cfg(test)]
#[path = "image_meta_tests.rs"]
mod tests;
