use super::*;

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).unwrap();
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&len.to_be_bytes());
    s.extend_from_slice(payload);
    s
}

fn sof0(w: u16, h: u16) -> Vec<u8> {
    let mut p = vec![8];
    p.extend_from_slice(&h.to_be_bytes());
    p.extend_from_slice(&w.to_be_bytes());
    p.extend_from_slice(&[1, 1, 0x11, 0]);
    segment(0xC0, &p)
}

/// Exif with a GPS IFD pointer: what a phone writes.
const EXIF_GPS: &[u8] =
    b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x88\x25\0\x04\0\0\0\x01\0\0\0\x1aGPS 48N 2E";

fn jpeg(with_exif: bool) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    if with_exif {
        j.extend(segment(0xE1, EXIF_GPS));
        j.extend(segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"));
        j.extend(segment(0xED, b"Photoshop 3.0\08BIM"));
    }
    j.extend(segment(0xE2, b"ICC_PROFILE\0\x01\x01kept"));
    j.extend(segment(0xDB, &[0; 65]));
    j.extend(sof0(640, 480));
    j.extend(segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
    // Entropy-coded data may hold anything, even what looks like Exif.
    j.extend_from_slice(b"\x12\x34Exif\xFF\x00\x56");
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn jpeg_exif_xmp_and_iptc_go_and_every_other_byte_stays() {
    let with = jpeg(true);
    assert!(contains(&with, b"GPS"));
    let stripped = strip_metadata(ImageKind::Jpeg, &with).unwrap();
    assert_eq!(stripped, jpeg(false));
    assert!(!contains(&stripped[..stripped.len() - 12], b"Exif"));
    assert!(!contains(&stripped, b"GPS") && !contains(&stripped, b"xmpmeta"));
    assert!(!contains(&stripped, b"8BIM"));
    // Nothing to strip: unchanged.
    assert_eq!(
        strip_metadata(ImageKind::Jpeg, &jpeg(false)).unwrap(),
        jpeg(false)
    );
    assert_eq!(dimensions(ImageKind::Jpeg, &with), Some((640, 480)));
}

#[test]
fn jpeg_sizes_come_from_any_sof_and_malformed_ones_have_none() {
    let mut progressive = vec![0xFF, 0xD8, 0xFF, 0xFF];
    let mut sof2 = sof0(20_000, 10);
    sof2[1] = 0xC2;
    progressive.extend(sof2);
    assert_eq!(
        dimensions(ImageKind::Jpeg, &progressive),
        Some((20_000, 10))
    );
    // A DHT (C4) is no frame header; no SOF before the scan: no size.
    let mut no_sof = vec![0xFF, 0xD8];
    no_sof.extend(segment(0xC4, &[0; 20]));
    no_sof.extend(segment(0xDA, &[0; 6]));
    assert_eq!(dimensions(ImageKind::Jpeg, &no_sof), None);
    // A length running past the end.
    let cut = [0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00, b'E'];
    assert_eq!(dimensions(ImageKind::Jpeg, &cut), None);
    assert_eq!(strip_metadata(ImageKind::Jpeg, &cut), None);
    assert_eq!(dimensions(ImageKind::Jpeg, &[0xFF, 0xD8, 0xFF]), None);
    let mut zero = vec![0xFF, 0xD8];
    zero.extend(sof0(0, 480));
    assert_eq!(dimensions(ImageKind::Jpeg, &zero), None);
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    c.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]); // CRC, kept as is
    c
}

fn png(w: u32, h: u32, text: bool) -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    p.extend(png_chunk(b"IHDR", &ihdr));
    if text {
        p.extend(png_chunk(b"eXIf", b"MM\0\x2aGPS"));
        p.extend(png_chunk(b"tEXt", b"Author\0me"));
        p.extend(png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x/>"));
        p.extend(png_chunk(b"zTXt", b"Comment\0\0xx"));
    }
    p.extend(png_chunk(b"IDAT", b"pixels"));
    p.extend(png_chunk(b"IEND", b""));
    p
}

#[test]
fn png_text_and_exif_chunks_go_whole() {
    let stripped = strip_metadata(ImageKind::Png, &png(3, 2, true)).unwrap();
    assert_eq!(stripped, png(3, 2, false));
    assert_eq!(dimensions(ImageKind::Png, &stripped), Some((3, 2)));
    assert_eq!(
        dimensions(ImageKind::Png, &png(20_000, 10, false)),
        Some((20_000, 10))
    );
    let cut = &png(3, 2, false)[..40];
    assert_eq!(strip_metadata(ImageKind::Png, cut), None);
    assert_eq!(dimensions(ImageKind::Png, &png(3, 2, false)[..20]), None);
}

fn riff(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut body = b"WEBP".to_vec();
    for (fourcc, data) in chunks {
        body.extend_from_slice(*fourcc);
        body.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        body.extend_from_slice(data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut w = b"RIFF".to_vec();
    w.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    w.extend(body);
    w
}

#[test]
fn webp_exif_and_xmp_chunks_go_and_the_header_follows() {
    // VP8X: flags ICC|EXIF|XMP, canvas 4000x3000 (stored minus one).
    let vp8x = |flags: u8| {
        let mut d = vec![flags, 0, 0, 0];
        d.extend_from_slice(&(3999u32).to_le_bytes()[..3]);
        d.extend_from_slice(&(2999u32).to_le_bytes()[..3]);
        d
    };
    let image = (b"VP8L", vec![0x2F, 0, 0, 0, 0, 1, 2, 3]);
    let with = riff(&[
        (b"VP8X", vp8x(0x20 | 0x08 | 0x04)),
        image.clone(),
        (b"EXIF", b"MM\0\x2aGPS".to_vec()),
        (b"XMP ", b"<x/>".to_vec()),
    ]);
    let without = riff(&[(b"VP8X", vp8x(0x20)), image]);
    assert_eq!(strip_metadata(ImageKind::Webp, &with).unwrap(), without);
    assert_eq!(dimensions(ImageKind::Webp, &with), Some((4000, 3000)));

    // VP8L packs width-1 and height-1 in 14 bits each.
    let bits: u32 = 99 | (49 << 14);
    let mut lossless = vec![0x2F];
    lossless.extend_from_slice(&bits.to_le_bytes());
    let w = riff(&[(b"VP8L", lossless)]);
    assert_eq!(dimensions(ImageKind::Webp, &w), Some((100, 50)));

    let mut lossy = vec![0, 0, 0, 0x9D, 0x01, 0x2A];
    lossy.extend_from_slice(&320u16.to_le_bytes());
    lossy.extend_from_slice(&240u16.to_le_bytes());
    let w = riff(&[(b"VP8 ", lossy)]);
    assert_eq!(dimensions(ImageKind::Webp, &w), Some((320, 240)));
    assert_eq!(strip_metadata(ImageKind::Webp, &w).unwrap(), w);

    let mut cut = riff(&[(b"VP8L", vec![0x2F, 0, 0, 0, 0])]);
    cut[16] = 200;
    assert_eq!(dimensions(ImageKind::Webp, &cut), None);
    assert_eq!(strip_metadata(ImageKind::Webp, &cut), None);
}

#[test]
fn gif_sizes_and_the_limits() {
    let gif = b"GIF89a\x10\x00\x20\x00\x80\x00\x00";
    assert_eq!(dimensions(ImageKind::Gif, gif), Some((16, 32)));
    assert_eq!(strip_metadata(ImageKind::Gif, gif).unwrap(), gif.to_vec());
    assert_eq!(dimensions(ImageKind::Gif, b"GIF89a\x10"), None);
    assert!(!too_big(16_384, 3_000));
    assert!(too_big(16_385, 1));
    assert!(too_big(1, 16_385));
    assert!(!too_big(10_000, 5_000));
    assert!(too_big(10_000, 5_001));
}
