//! The list of people online; a click opens a direct conversation.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::i18n::{t, t_string, use_i18n};

/// Everyone online in the user's rooms. Each name is a button that opens the
/// direct conversation with that person.
#[component]
pub fn OnlineUsers(
    /// Called after a conversation was opened, so a phone layout can close the drawer.
    on_pick: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    view! {
        <section class="online" aria-labelledby="online-heading">
            <h2 id="online-heading">
                {t!(i18n, online_heading)}
                " "
                <span class="count">{move || chat.online.get().len()}</span>
            </h2>
            <Show
                when=move || !chat.online.get().is_empty()
                fallback=move || view! { <p class="hint">{t!(i18n, nobody_online)}</p> }
            >
                <ul class="people">
                    <For
                        each=move || chat.online.get()
                        key=|m| (m.name.key(), m.color.clone())
                        children=move |m| {
                            let name = m.name.clone();
                            let peer = m.name.clone();
                            let label = move || t_string!(i18n, dm_to, name = peer.clone());
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        class="person"
                                        aria-label=label
                                        on:click=move |_| {
                                            chat.open_dm(name.clone());
                                            on_pick.run(());
                                        }
                                    >
                                        <span
                                            class="dot"
                                            aria-hidden="true"
                                            style:background-color=m.color.clone()
                                        ></span>
                                        <bdi>{m.name.to_string()}</bdi>
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
        </section>
    }
}
