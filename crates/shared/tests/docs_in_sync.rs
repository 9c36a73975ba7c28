//! docs/PROTOCOL.md must describe every frame type and error code the code
//! has; this fails when one is added to `crates/shared` but not to the doc.
//! The lists come from the enums themselves (strum's `iter()` over
//! `ClientMsgKind`, `ServerMsgKind` and `ErrorCode`), so a new variant cannot
//! slip past.

use confab_shared::{ClientMsgKind, ErrorCode, IntoEnumIterator, ServerMsgKind};

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/PROTOCOL.md");
    std::fs::read_to_string(path).expect("docs/PROTOCOL.md exists")
}

#[test]
fn every_client_frame_type_is_documented() {
    let doc = doc();
    let kinds: Vec<&str> = ClientMsgKind::iter().map(<&str>::from).collect();
    assert!(kinds.len() >= 7, "{kinds:?}");
    for t in kinds {
        assert!(
            doc.contains(&format!("| `{t}` |")),
            "client frame `{t}` missing from docs/PROTOCOL.md"
        );
    }
}

#[test]
fn every_server_frame_type_is_documented() {
    let doc = doc();
    let kinds: Vec<&str> = ServerMsgKind::iter().map(<&str>::from).collect();
    assert!(kinds.len() >= 10, "{kinds:?}");
    for t in kinds {
        assert!(
            doc.contains(&format!("| `{t}` |")),
            "server frame `{t}` missing from docs/PROTOCOL.md"
        );
    }
}

#[test]
fn every_error_code_is_documented() {
    let doc = doc();
    let codes: Vec<ErrorCode> = ErrorCode::iter().collect();
    assert!(codes.len() >= 18, "{codes:?}");
    for code in codes {
        assert!(
            doc.contains(&format!("`{}`", code.as_str())),
            "error code {code:?} missing from docs/PROTOCOL.md"
        );
    }
}
