//! The root component: session check, then the nickname screen or the chat.

use confab_shared::User;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::{provide_meta_context, Title};

use crate::api;
use crate::components::chat_screen::ChatScreen;
use crate::components::nickname::NicknameScreen;

/// Where the session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Session {
    /// `GET /api/session` is under way (also what the server renders).
    Checking,
    /// No session: ask for a nickname. The text explains a failure, if any.
    SignedOut(Option<String>),
    SignedIn(User),
}

/// The whole application. Takes no props.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
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
                        <p>"Loading Confab…"</p>
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
