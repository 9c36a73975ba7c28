//! docs/PROTOCOL.md must describe every frame type and error code the code
//! has; this fails when one is added to `crates/shared` but not to the doc.

use confab_shared::{ClientMsg, ErrorCode};

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/PROTOCOL.md");
    std::fs::read_to_string(path).expect("docs/PROTOCOL.md exists")
}

#[test]
fn every_client_frame_type_is_documented() {
    let doc = doc();
    for t in ClientMsg::TYPES {
        assert!(
            doc.contains(&format!("| `{t}` |")),
            "client frame `{t}` missing from docs/PROTOCOL.md"
        );
    }
}

#[test]
fn every_server_frame_type_is_documented() {
    let doc = doc();
    for t in [
        "welcome",
        "joined",
        "left",
        "message",
        "ack",
        "presence",
        "typing",
        "history",
        "notification",
        "error",
    ] {
        assert!(
            doc.contains(&format!("| `{t}` |")),
            "server frame `{t}` missing from docs/PROTOCOL.md"
        );
    }
}

#[test]
fn every_error_code_is_documented() {
    let doc = doc();
    let codes = [
        ErrorCode::BadJson,
        ErrorCode::UnknownType,
        ErrorCode::Invalid,
        ErrorCode::BinaryUnsupported,
        ErrorCode::NotMember,
        ErrorCode::Forbidden,
        ErrorCode::UnknownUser,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unauthorized,
        ErrorCode::NameTaken,
        ErrorCode::NotFound,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Unavailable,
    ];
    for code in codes {
        assert!(
            doc.contains(&format!("`{}`", code.as_str())),
            "error code {code:?} missing from docs/PROTOCOL.md"
        );
    }
}
