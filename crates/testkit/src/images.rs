//! Images for upload tests: a real GIF, and PNGs of any claimed size.

/// A real 1x1 GIF89a.
pub const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// A PNG of `w`x`h` pixels as its header claims, `len` bytes long. The
/// pixel data is filler: the server never decodes it, and a browser fails
/// to, which shows what a page does before (or without) the image.
pub fn png(w: u32, h: u32, len: usize) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    p.extend(chunk(b"IHDR", &ihdr));
    let fill = len.saturating_sub(p.len() + 12 + 12);
    p.extend(chunk(b"IDAT", &vec![7; fill]));
    p.extend(chunk(b"IEND", b""));
    p
}
