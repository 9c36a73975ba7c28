//! The settings panel of a room, for its staff.

use confab_shared::moderation::{RoomAdmin, ShortText};
use confab_shared::{ModAction, RoomId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::Failure;
use crate::chat::Chat;
use crate::components::name_form::NameForm;
use crate::components::room_access::RoomAccess;
use crate::components::room_people::RoomPeople;
use crate::i18n::{t, t_string, use_i18n};
use crate::{room_api, words};

/// The room on screen as its staff manage it: its topic, invitations,
/// and for its owner who may join; then its moderators, bans and mutes.
/// Loaded from `GET /api/rooms/{room}/settings` when opened and again
/// after each moderation entry of the room; changes go over the socket.
#[component]
pub fn RoomSettings(
    /// Whether the panel is shown; its Close button (and showing another
    /// room) clears it.
    open: RwSignal<bool>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    let room = Memo::new(move |_| chat.active.get().map(|a| a.id).filter(|id| !id.is_direct()));
    let data = RwSignal::new(None::<Result<RoomAdmin, Failure>>);
    // Only the newest request's answer is shown.
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        let Some(room) = room.get() else {
            return;
        };
        // Reloaded after each change of the room.
        chat.last_event(&room);
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        spawn_local(async move {
            let got = room_api::settings(&room).await;
            if generation.try_get_value() == Some(mine) {
                data.try_set(Some(got));
            }
        });
    });
    Effect::new(move |prev: Option<Option<RoomId>>| {
        let now = room.get();
        if prev.is_some_and(|prev| prev != now) {
            open.set(false);
            data.set(None);
        }
        now
    });
    let on_action = Callback::new(move |action: ModAction| {
        if let Some(room) = room.get_untracked() {
            chat.moderate(room, action);
        }
    });
    let title = move || {
        let room = room.get().map(|r| r.to_string()).unwrap_or_default();
        t_string!(i18n, room_settings_of, room)
    };
    let content = move || match data.get() {
        None => view! { <p class="hint">{t!(i18n, loading)}</p> }.into_any(),
        Some(Err(failure)) => view! {
            <p class="error" role="alert">
                {move || words::failure(i18n.get_locale(), &failure)}
            </p>
        }
        .into_any(),
        Some(Ok(admin)) => loaded(admin, on_action).into_any(),
    };
    view! {
        <Show when=move || open.get() && room.get().is_some()>
            <section class="room-settings-panel" aria-labelledby="room-settings-title">
                <div class="panel-head">
                    <h2 id="room-settings-title">{title}</h2>
                    <button
                        type="button"
                        class="link-button close-settings"
                        on:click=move |_| open.set(false)
                    >
                        {t!(i18n, close)}
                    </button>
                </div>
                {content}
            </section>
        </Show>
    }
}

/// The panel's body once the settings are loaded.
fn loaded(admin: RoomAdmin, on_action: Callback<ModAction>) -> impl IntoView {
    let i18n = use_i18n();
    let owner = admin.owner.clone();
    let owner_line = move || match &owner {
        Some(name) => t_string!(i18n, owner_is, name),
        None => t_string!(i18n, owner_none).to_owned(),
    };
    let topic = RwSignal::new(admin.topic.clone());
    let topic_error = RwSignal::new(false);
    let set_topic = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match ShortText::parse(&topic.get_untracked()) {
            Ok(topic) => {
                topic_error.set(false);
                on_action.run(ModAction::Topic { topic });
            }
            Err(_) => topic_error.set(true),
        }
    };
    let invite = Callback::new(move |user| on_action.run(ModAction::Invite { user }));
    let access = admin
        .role
        .owns()
        .then(|| view! { <RoomAccess admin=admin.clone() on_action=on_action/> });
    view! {
        <p class="owner">{owner_line}</p>
        <form class="topic-form" on:submit=set_topic>
            <label>
                <span>{t!(i18n, topic)}</span>
                <input
                    type="text"
                    class="topic-input"
                    maxlength=ShortText::MAX_CHARS.to_string()
                    aria-invalid=move || topic_error.get().to_string()
                    prop:value=move || topic.get()
                    on:input=move |ev| topic.set(event_target_value(&ev))
                />
            </label>
            <button type="submit" class="save-topic">{t!(i18n, topic_save)}</button>
            <p class="error" role="alert">
                {move || topic_error.get().then(|| t_string!(i18n, short_text_rules))}
            </p>
        </form>
        <NameForm
            label=Signal::derive(move || t_string!(i18n, invite_name).to_owned())
            button=Signal::derive(move || t_string!(i18n, invite).to_owned())
            class="invite-form"
            on_name=invite
        />
        {access}
        <RoomPeople admin=admin on_action=on_action/>
    }
}
