//! Recognising the image types Confab accepts by their content (magic
//! bytes), never by the file name or the client's Content-Type.

/// An accepted image type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Gif,
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    /// Looks at the first bytes of a file.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Gif => "image/gif",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Gif => "gif",
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        [Self::Gif, Self::Png, Self::Jpeg, Self::Webp]
            .into_iter()
            .find(|k| k.extension() == ext)
    }
}

#[cfg(test)]
mod tests {
    use super::ImageKind;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(ImageKind::sniff(b"GIF89a\x01\x00"), Some(ImageKind::Gif));
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"\x7fELF\x02\x01"), None);
        assert_eq!(ImageKind::sniff(b"MZ\x90\x00"), None);
        assert_eq!(ImageKind::sniff(b"<svg xmlns="), None);
        assert_eq!(ImageKind::sniff(b""), None);
        assert_eq!(ImageKind::from_extension("jpg"), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::from_extension("exe"), None);
    }
}
