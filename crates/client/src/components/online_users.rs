//! The list of people online; a click opens a direct conversation.

use leptos::prelude::*;

use crate::chat::Chat;

/// Everyone online in the user's rooms. Each name is a button that opens the
/// direct conversation with that person.
#[component]
pub fn OnlineUsers(
    /// Called after a conversation was opened, so a phone layout can close the drawer.
    on_pick: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    view! {
        <section class="online" aria-labelledby="online-heading">
            <h2 id="online-heading">
                "Online " <span class="count">{move || chat.online.get().len()}</span>
            </h2>
            <Show
                when=move || !chat.online.get().is_empty()
                fallback=|| view! { <p class="hint">"Nobody else is online."</p> }
            >
                <ul class="people">
                    <For
                        each=move || chat.online.get()
                        key=|m| (m.name.key(), m.color.clone())
                        children=move |m| {
                            let name = m.name.clone();
                            let label = format!("Send a direct message to {}", m.name);
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
