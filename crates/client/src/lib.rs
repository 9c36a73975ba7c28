//! Confab's browser UI, written with Leptos 0.8.
//!
//! - [`state`]: the chat state as a plain-Rust reducer over server frames
//!   and local actions (unit-tested on the host).
//! - [`chat`]: the reactive handle the components use (signals + actions).
//! - [`socket`]: the tab's one WebSocket, with reconnect and resume.
//! - [`api`]: the REST calls (session); [`account_api`]: log in with a
//!   password, claim the name, devices.
//! - [`upload`]: image uploads with progress; [`blocking`]: blocked users.
//! - [`moderation`]: moderation requests; [`room_api`]: a room's settings
//!   for its staff.
//! - [`search`]: matching typed text to names (Korean initial consonants);
//!   [`mention_complete`]: the `@name` being typed and the names it may be.
//! - [`storage`]: what survives a reload (unconfirmed messages, drafts).
//! - [`i18n`]: every sentence of the interface in English and Korean
//!   (leptos_i18n); [`words`]: sentences built from state values.
//! - [`components`]: one component per file.
//!
//! Features: `csr` (trunk, `src/main.rs`), `hydrate` (cargo-leptos, the
//! [`hydrate`] entry point) and `ssr` (the server renders [`shell`]).

pub mod account_api;
pub mod api;
pub mod backoff;
pub mod blocking;
pub mod chat;
pub mod components;
pub mod dom;
pub mod format;
pub mod i18n;
pub mod mention_complete;
pub mod moderation;
pub mod room_api;
pub mod search;
pub mod socket;
pub mod state;
pub mod storage;
pub mod timefmt;
pub mod upload;
pub mod words;

pub use components::app::App;
pub use confab_shared as shared;

use leptos::prelude::*;
use leptos_meta::MetaTags;

/// The whole HTML document, for server-side rendering (leptos_actix).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                // cargo-leptos builds style/main.css into site-pkg-dir.
                <link rel="stylesheet" id="leptos" href="/pkg/confab.css"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Entry point of the `hydrate` build: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
