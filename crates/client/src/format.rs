//! Small presentation helpers, kept apart from the components so they are
//! tested on the host.

use confab_shared::{Attachment, MessageText};

/// `1.2 MB`, `340 KB`, `12 B`.
pub fn human_bytes(bytes: u64) -> String {
    const KB: f64 = 1000.0;
    let b = bytes as f64;
    if b >= KB * KB {
        format!("{:.1} MB", b / (KB * KB))
    } else if b >= KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{bytes} B")
    }
}

/// The URL of an attachment if it is safe to put in `src`/`href`: a path on
/// this site (`/uploads/...`), never `javascript:`, `data:` or another host.
pub fn safe_media_url(url: &str) -> Option<&str> {
    let ok = url.starts_with('/')
        && !url.starts_with("//")
        && !url.contains('\\')
        && !url.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(url)
}

/// Whether an attachment is shown inline as an image.
pub fn is_inline_image(a: &Attachment) -> bool {
    matches!(
        a.mime.as_str(),
        "image/gif" | "image/png" | "image/jpeg" | "image/webp"
    ) && safe_media_url(&a.url).is_some()
}

/// Characters in the composer, counted the way the server counts them.
pub fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// The counter under the composer: `"12 / 4000"`.
pub fn counter_label(text: &str) -> String {
    format!("{} / {}", char_count(text), MessageText::MAX_CHARS)
}

/// The room name typed in the "join" box, without a leading `#`, trimmed,
/// lowercase (`RoomName::parse` then case-folds and normalises it fully).
pub fn normalize_room_input(raw: &str) -> String {
    raw.trim().trim_start_matches('#').to_lowercase()
}

/// A device as people name it, from its user agent: the browser and the
/// system ("Firefox", "Windows"; `crate::words` puts them in a sentence),
/// or the agent's first 40 characters when the browser is not known.
/// The order matters: Edge and Chrome also say "Safari", Chrome on iOS says
/// "CriOS", and Android also says "Linux".
pub fn device_parts(user_agent: &str) -> (String, Option<&'static str>) {
    let has = |needle: &str| user_agent.contains(needle);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") || has("FxiOS/") {
        "Firefox"
    } else if has("Chrome/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        return (user_agent.chars().take(40).collect(), None);
    };
    let system = if has("Android") {
        "Android"
    } else if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") {
        "macOS"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Linux") {
        "Linux"
    } else {
        return (browser.to_owned(), None);
    };
    (browser.to_owned(), Some(system))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_urls_stay_on_this_site() {
        assert_eq!(safe_media_url("/uploads/a.gif"), Some("/uploads/a.gif"));
        assert_eq!(safe_media_url("javascript:alert(1)"), None);
        assert_eq!(safe_media_url("//evil.example/x.png"), None);
        assert_eq!(safe_media_url("https://evil.example/x.png"), None);
        assert_eq!(safe_media_url("/\\evil.example"), None);
        assert_eq!(safe_media_url("/uploads/a b.png"), None);
        let a = |mime: &str, url: &str| Attachment {
            url: url.into(),
            mime: mime.into(),
            bytes: 1,
            width: None,
            height: None,
        };
        assert!(is_inline_image(&a("image/png", "/uploads/x.png")));
        assert!(!is_inline_image(&a("image/svg+xml", "/uploads/x.svg")));
        assert!(!is_inline_image(&a(
            "image/png",
            "data:image/png;base64,xx"
        )));
    }

    #[test]
    fn sizes_counts_and_room_input() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(12_345), "12 KB");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
        assert_eq!(char_count("héllo"), 5);
        assert_eq!(counter_label("hé"), "2 / 4000");
        assert_eq!(normalize_room_input("  #Rust-Dev "), "rust-dev");
    }

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(device_parts(chrome), ("Chrome".into(), Some("Linux")));
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_parts(iphone), ("Safari".into(), Some("iOS")));
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 Edg/130.0";
        assert_eq!(device_parts(edge), ("Edge".into(), Some("Windows")));
        let android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36";
        assert_eq!(device_parts(android), ("Chrome".into(), Some("Android")));
        assert_eq!(device_parts("curl/8.5.0"), ("curl/8.5.0".into(), None));
    }
}
