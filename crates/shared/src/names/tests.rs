use super::*;

fn user(s: &str) -> UserName {
    UserName::parse(s).unwrap()
}

#[test]
fn user_names_are_trimmed_and_checked() {
    assert_eq!(user("  alice ").as_str(), "alice");
    assert!(UserName::parse("José.B-1_").is_ok());
    assert!(UserName::parse("").is_err());
    assert!(UserName::parse("   ").is_err());
    assert!(UserName::parse("a b").is_err());
    assert!(UserName::parse("a:b").is_err());
    assert!(UserName::parse("<script>").is_err());
    assert!(UserName::parse(&"x".repeat(32)).is_ok());
    assert!(UserName::parse(&"x".repeat(33)).is_err());
    assert!(UserName::parse(&"x".repeat(100_000)).is_err());
    assert_eq!(user("ALICE").key(), "alice");
}

#[test]
fn letters_of_every_script_are_names() {
    for name in [
        "민수",
        "한국어방",
        "ümlaut",
        "さくら",
        "山田太郎",
        "محمد",
        "Ελένη",
        "Жанна",
        "लक्ष्मी",
    ] {
        assert_eq!(user(name).as_str(), name, "{name}");
    }
    // Limits count characters, not bytes: 30 Hangul syllables are 90 bytes.
    assert!(UserName::parse(&"한".repeat(30)).is_ok());
    assert!(UserName::parse(&"한".repeat(32)).is_ok());
    assert!(UserName::parse(&"한".repeat(33)).is_err());
    // A mark belongs to the letter before it.
    assert!(UserName::parse("\u{0301}a").is_err());
}

#[test]
fn names_are_nfkc_and_caseless() {
    // Fullwidth letters are the letters they stand for.
    assert_eq!(user("ａｌｉｃｅ").as_str(), "alice");
    // Decomposed and composed é are one name.
    assert_eq!(user("Jose\u{0301}").as_str(), "José");
    // Decomposed Hangul jamo compose into the syllable.
    assert_eq!(user("\u{1112}\u{1161}\u{11AB}").as_str(), "한");
    // Full case folding, not just lowercase.
    assert_eq!(user("STRASSE").key(), user("straße").key());
    assert_eq!(user("ΣΊΣΥΦΟΣ").key(), user("σίσυφος").key());
    assert_eq!(user("Alice").key(), user("alice").key());
}

#[test]
fn invisible_characters_are_refused_by_name() {
    for bad in [
        "ali\u{0007}ce",
        "ali\u{202E}ce",
        "ali\u{202A}ce",
        "ali\u{2066}ce",
        "ali\u{2069}ce",
        "ali\u{200B}ce",
        "ali\u{200D}ce",
        "ali\u{FEFF}ce",
        "ali\u{00AD}ce",
        "\u{3164}",
        "ali\u{E0041}ce",
    ] {
        for err in [
            UserName::parse(bad).unwrap_err(),
            RoomName::parse(bad).unwrap_err(),
        ] {
            assert!(
                matches!(err, NameError::Invisible { .. }),
                "{bad:?}: {err:?}"
            );
            assert!(err.to_string().contains("bidi"), "{err}");
        }
    }
}

#[test]
fn confusable_names_share_a_skeleton() {
    let alice = user("alice").skeleton();
    for lookalike in ["аlice", "ALICE", "a1ice", "alIce", "ａｌｉｃｅ"] {
        assert_eq!(user(lookalike).skeleton(), alice, "{lookalike}");
    }
    // Greek omicron and Latin o; digit zero and letter O; rn and m.
    assert_eq!(user("bοb").skeleton(), user("bob").skeleton());
    assert_eq!(user("b0b").skeleton(), user("bob").skeleton());
    assert_eq!(user("rnary").skeleton(), user("mary").skeleton());
    // Different names stay different, in every script.
    for (a, b) in [
        ("alice", "alicia"),
        ("민수", "민지"),
        ("さくら", "さくま"),
        ("bob", "rob"),
    ] {
        assert_ne!(user(a).skeleton(), user(b).skeleton(), "{a} {b}");
    }
}

#[test]
fn room_names_are_canonical_and_caseless() {
    assert_eq!(
        RoomName::parse("rust-dev_2").unwrap().as_str(),
        "rust-dev_2"
    );
    assert_eq!(RoomName::parse("Rust").unwrap().as_str(), "rust");
    assert_eq!(RoomName::parse("ＲＵＳＴ").unwrap().as_str(), "rust");
    for name in ["한국어방", "ümlaut", "日本語", "العربية"] {
        assert_eq!(RoomName::parse(name).unwrap().as_str(), name);
    }
    assert!(RoomName::parse("a b").is_err());
    assert!(RoomName::parse("a.b").is_err());
    assert!(RoomName::parse("").is_err());
    assert!(RoomName::parse(&"r".repeat(48)).is_ok());
    assert!(RoomName::parse(&"방".repeat(48)).is_ok());
    assert!(RoomName::parse(&"r".repeat(49)).is_err());
}

#[test]
fn direct_rooms_are_canonical() {
    let alice = user("alice");
    let bob = user("bob");
    let room = RoomId::direct(&bob, &alice).unwrap();
    assert_eq!(room.to_string(), "dm:alice:bob");
    assert_eq!(RoomId::parse("dm:alice:bob").unwrap(), room);
    assert!(RoomId::parse("dm:bob:alice").is_err());
    assert!(RoomId::parse("dm:alice:alice").is_err());
    assert!(RoomId::parse("dm:alice").is_err());
    // Only the stored (NFKC) spelling names the conversation.
    assert!(RoomId::parse("dm:ａlice:bob").is_err());
    assert!(RoomId::direct(&alice, &user("Alice")).is_none());
    assert_eq!(room.peer_of(&alice), Some(&bob));
    assert!(!room.admits(&user("carol")));
    assert!(RoomId::lobby().admits(&alice));
    let korean = RoomId::direct(&user("민수"), &alice).unwrap();
    assert_eq!(RoomId::parse(&korean.to_string()).unwrap(), korean);
}
