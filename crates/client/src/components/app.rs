//! The root component: the language, the session check, then the nickname
//! screen or the chat.

use confab_shared::User;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::{provide_meta_context, Title};

use crate::api;
use crate::components::chat_screen::ChatScreen;
use crate::components::nickname::NicknameScreen;
use crate::i18n::{t, use_i18n, I18nContextProvider};

/// Where the session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Session {
    /// `GET /api/session` is under way (also what the server renders).
    Checking,
    /// No session: ask for a nickname. The text explains a failure, if any.
    SignedOut(Option<api::Failure>),
    SignedIn(User),
}

/// The whole application. Takes no props.
///
/// The language is the one picked in the user menu (remembered in a
/// cookie, so the server renders the page in it too), else the browser's
/// (`Accept-Language`, `navigator.languages`), else English.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <I18nContextProvider>
            <Screens/>
        </I18nContextProvider>
    }
}

/// The screen for where the session stands.
#[component]
fn Screens() -> impl IntoView {
    let i18n = use_i18n();
    let session = RwSignal::new(Session::Checking);

    // Runs once, in the browser only: the session survives a reload.
    Effect::new(move |_| {
        spawn_local(async move {
            let next = match api::current_user().await {
                Ok(Some(user)) => Session::SignedIn(user),
                Ok(None) => Session::SignedOut(None),
                Err(e) => Session::SignedOut(Some(e)),
            };
            session.try_set(next);
        });
    });

    let on_login = Callback::new(move |user: User| session.set(Session::SignedIn(user)));
    let on_signed_out = Callback::new(move |()| session.set(Session::SignedOut(None)));

    view! {
        <Title text="Confab"/>
        {move || match session.get() {
            Session::Checking => {
                view! {
                    <div class="splash" role="status">
                        <p>{t!(i18n, app_loading)}</p>
                    </div>
                }
                    .into_any()
            }
            Session::SignedOut(notice) => {
                view! { <NicknameScreen notice=notice on_login=on_login/> }.into_any()
            }
            Session::SignedIn(user) => {
                view! { <ChatScreen user=user on_signed_out=on_signed_out/> }.into_any()
            }
        }}
    }
}
