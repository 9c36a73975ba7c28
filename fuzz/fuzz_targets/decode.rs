//! The WebSocket frame decoder on arbitrary bytes: it must answer every
//! input with a frame or one of its documented error codes, and a frame it
//! accepts must decode to itself once re-encoded. A panic is a crash here.
#![no_main]

use confab_shared::{decode, ErrorCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The server only decodes text frames, which are UTF-8; feed both the
    // exact text (when it is) and the lossy form so every input counts.
    let lossy = String::from_utf8_lossy(data);
    match decode(&lossy) {
        Ok(msg) => assert_eq!(decode(&msg.to_json()), Ok(msg)),
        Err(e) => assert!(
            matches!(
                e.code,
                ErrorCode::BadJson | ErrorCode::UnknownType | ErrorCode::Invalid
            ),
            "{e:?}"
        ),
    }
});
