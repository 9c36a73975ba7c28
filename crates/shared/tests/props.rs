//! Property tests: whatever bytes or text a peer sends, the decoder and the
//! parsers of names and texts answer (never panic), and the answer is one
//! the protocol documents. What a name parser accepts is already in its
//! stored form: parsing it again gives it back unchanged.

use confab_shared::names::rules::is_invisible;
use confab_shared::*;
use proptest::prelude::*;

/// Strings rich in what makes names hard: every script, marks, controls,
/// bidi and zero-width characters, fullwidth forms, whitespace and the
/// separators names use.
fn tricky() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "A",
        "ß",
        "ẞ",
        "é",
        "e\u{0301}",
        "\u{0301}",
        "İ",
        "ı",
        "Σ",
        "ς",
        "а",
        "ο",
        "0",
        "1",
        "l",
        "I",
        "rn",
        "m",
        "한",
        "\u{1112}",
        "\u{1161}",
        "\u{11AB}",
        "さ",
        "ｶ",
        "ａ",
        "山",
        "م",
        "\u{064B}",
        "क्",
        "\u{202E}",
        "\u{2066}",
        "\u{200B}",
        "\u{200D}",
        "\u{FEFF}",
        "\u{3164}",
        "\u{0000}",
        "\n",
        " ",
        "\u{3000}",
        "\u{00A0}",
        ":",
        "dm:",
        ".",
        "-",
        "_",
        "@",
        "ﷺ",
        "ﬁ",
        "²",
        "Ⅻ",
        "\u{E0041}",
        "\u{10FFFF}",
        "\u{FFFD}",
        "😀",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), tricky()]
}

/// The codes a client frame can be refused with, as `decode` documents.
const DECODE_CODES: [ErrorCode; 3] = [
    ErrorCode::BadJson,
    ErrorCode::UnknownType,
    ErrorCode::Invalid,
];

fn check_decode(frame: &str) {
    match decode(frame) {
        Ok(msg) => {
            // Anything accepted says the same thing when sent again.
            assert_eq!(decode(&msg.to_json()), Ok(msg));
        }
        Err(e) => {
            assert!(DECODE_CODES.contains(&e.code), "{e:?}");
            assert!(!e.message.is_empty());
        }
    }
}

/// Frames that are JSON objects with a known type, so the fields' parsers
/// (not just the JSON parser) are exercised.
fn framed() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(ClientMsg::TYPES.to_vec());
    (kind, any_text(), any_text(), any::<Option<i64>>()).prop_map(|(t, a, b, n)| {
        serde_json::json!({
            "type": t, "room": a, "to": a, "text": b, "client_id": b,
            "since": n, "seq": n, "before": n, "limit": n,
        })
        .to_string()
    })
}

fn check_name<T, E>(raw: &str, parse: impl Fn(&str) -> Result<T, E>, as_str: impl Fn(&T) -> String)
where
    T: PartialEq + std::fmt::Debug,
    E: std::fmt::Display,
{
    match parse(raw) {
        Ok(name) => {
            let s = as_str(&name);
            assert!(!s.chars().any(is_invisible), "{s:?}");
            assert!(!s.chars().any(char::is_whitespace), "{s:?}");
            // Idempotent: the stored form is its own canonical form.
            let again = parse(&s).unwrap_or_else(|e| panic!("{s:?} refused on reparse: {e}"));
            assert_eq!(again, name);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_answers_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_decode(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn decode_answers_any_text(frame in any_text()) {
        check_decode(&frame);
    }

    #[test]
    fn decode_answers_any_frame(frame in framed()) {
        check_decode(&frame);
    }

    #[test]
    fn user_names_parse_to_themselves(raw in any_text()) {
        check_name(&raw, UserName::parse, |n| n.as_str().to_owned());
        if let Ok(name) = UserName::parse(&raw) {
            // The key and the skeleton are fixed points too, so a stored
            // key or skeleton always matches what is computed again.
            let key = name.key();
            prop_assert_eq!(confab_shared::names::rules::caseless_key(&key), key);
            prop_assert!(name.as_str().chars().count() <= UserName::MAX_CHARS);
        }
    }

    #[test]
    fn room_ids_parse_to_themselves(raw in any_text()) {
        check_name(&raw, RoomName::parse, |n| n.as_str().to_owned());
        check_name(&raw, RoomId::parse, |r| r.to_string());
        if let Ok(room) = RoomName::parse(&raw) {
            prop_assert!(room.as_str().chars().count() <= RoomName::MAX_CHARS);
        }
    }

    #[test]
    fn direct_rooms_round_trip(a in tricky(), b in tricky()) {
        if let (Ok(a), Ok(b)) = (UserName::parse(&a), UserName::parse(&b)) {
            match RoomId::direct(&a, &b) {
                Some(room) => prop_assert_eq!(RoomId::parse(&room.to_string()), Ok(room)),
                None => prop_assert_eq!(a.key(), b.key()),
            }
        }
    }

    #[test]
    fn texts_parse_without_panic(raw in any_text()) {
        match MessageText::parse(&raw) {
            Ok(text) => {
                // Message text is kept as written, bidi controls included:
                // clients isolate each message when they render it.
                prop_assert_eq!(text.as_str(), raw.as_str());
                prop_assert!(text.as_str().chars().count() <= MessageText::MAX_CHARS);
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let _ = MessageText::caption(&raw);
        if let Ok(id) = ClientId::parse(&raw) {
            prop_assert!(!id.as_str().chars().any(char::is_control));
        }
        let _ = confab_shared::mention::mentions(&raw);
    }

    /// The ASCII shortcuts of `nfkc` and `caseless_key` give what the
    /// Unicode rules give.
    #[test]
    fn ascii_shortcuts_follow_the_unicode_rules(raw in "[\\x00-\\x7f]{0,40}") {
        use caseless::Caseless;
        use confab_shared::names::rules::{caseless_key, nfkc};
        use unicode_normalization::UnicodeNormalization;
        prop_assert_eq!(nfkc(&raw), raw.nfkc().collect::<String>());
        let once: String = raw.chars().default_case_fold().nfkc().collect();
        let twice: String = once.chars().default_case_fold().nfkc().collect();
        prop_assert_eq!(caseless_key(&raw), twice);
    }
}
