//! The message box.

use confab_shared::{MessageText, RoomId, UserName};
use leptos::prelude::*;

use crate::chat::{Chat, Entry};
use crate::components::mention_list::{option_id, MentionList, LIST_ID};
use crate::components::upload_button::UploadButton;
use crate::dom;
use crate::format::{char_count, counter_label};
use crate::i18n::{t, t_string, td_string, use_i18n, Locale};
use crate::mention_complete;
use crate::state::ConnStatus;
use crate::storage;

/// Why sending is not possible right now, if it is not. Being offline is
/// no reason: what is sent then waits, shown as pending, and goes out on
/// reconnect.
fn blocked_reason(locale: Locale, conn: &ConnStatus, room: Option<&RoomId>) -> Option<String> {
    match conn {
        ConnStatus::Closed => Some(td_string!(locale, disconnected).to_owned()),
        _ if room.is_none() => Some(td_string!(locale, pick_room).to_owned()),
        _ => None,
    }
}

/// What the box says while offline.
fn offline_note(locale: Locale, conn: &ConnStatus) -> Option<String> {
    match conn {
        ConnStatus::Connecting => Some(td_string!(locale, offline_connecting).to_owned()),
        ConnStatus::Reconnecting { secs, .. } if *secs > 0 => {
            Some(td_string!(locale, offline_reconnecting_in, secs))
        }
        ConnStatus::Reconnecting { .. } => {
            Some(td_string!(locale, offline_reconnecting).to_owned())
        }
        ConnStatus::Open | ConnStatus::Closed => None,
    }
}

/// Enter sends (never during an IME composition), Shift+Enter starts a new
/// line. Offline, what is sent waits as pending and goes out on reconnect.
/// Each room keeps its own draft, in the browser's storage, so a reload
/// or a trip to another room loses nothing typed. The character count is
/// shown against the 4000 limit. Takes no props; writes to the room on
/// screen.
#[component]
pub fn Composer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let room = Memo::new(move |_| chat.active.get().map(|a| a.id));
    let reason = Memo::new(move |_| {
        chat.conn
            .with(|c| room.with(|r| blocked_reason(i18n.get_locale(), c, r.as_ref())))
    });
    let count = Memo::new(move |_| text.with(|t| char_count(t)));
    // The names offered for the `@mention` being typed (see below).
    let offered = RwSignal::new(Vec::<UserName>::new());
    // Whose draft of which room the box holds: the room's own, loaded when
    // the room (or the user) changes.
    let draft_of = move || {
        chat.me
            .with(|m| m.as_ref().map(|u| u.id.clone()))
            .zip(room.get())
    };
    Effect::new(move |shown: Option<Option<(String, RoomId)>>| {
        let now = draft_of();
        if shown.flatten() != now {
            if let Some((user, room)) = &now {
                text.set(storage::load_draft(user, room));
                // Names offered for the other room's text are stale.
                offered.set(Vec::new());
            }
        }
        now
    });
    let keep_draft = move |value: &str| {
        if let (Some(me), Some(room)) = (chat.me.get_untracked(), room.get_untracked()) {
            storage::save_draft(&me.id, &room, value);
        }
    };
    let too_long = move || count.get() > MessageText::MAX_CHARS;
    let near_limit = move || count.get() > MessageText::MAX_CHARS - 200;
    let can_send =
        move || reason.with(Option::is_none) && !too_long() && text.with(|t| !t.trim().is_empty());
    let placeholder = move || {
        chat.active
            .get()
            .map(|a| t_string!(i18n, composer_label, room = a.label))
            .unwrap_or_default()
    };

    let send = move || {
        if !can_send() {
            return;
        }
        let Some(room) = room.get_untracked() else {
            return;
        };
        // can_send() checked the rules; parse once more to get the type.
        if let Ok(message) = MessageText::parse(&text.get_untracked()) {
            chat.send(room, message);
            text.set(String::new());
            keep_draft("");
            offered.set(Vec::new());
        }
    };

    // An IME (Korean, Japanese, Chinese input) composes a syllable over
    // several keys, and Enter may only finish the composition: it must
    // never send a half-typed message. The key event says so
    // (`dom::is_ime_key`), and so do the composition events, between which
    // nothing sends.
    let composing = RwSignal::new(false);

    // `@` completion: the mention being typed, the members it may name.
    let input = NodeRef::<leptos::html::Textarea>::new();
    let mention = StoredValue::new(None::<mention_complete::Typed>);
    let highlighted = RwSignal::new(0usize);
    let offer = move |value: &str, caret: usize| {
        let typed = mention_complete::mention_at(value, caret);
        let names = match &typed {
            Some(t) => chat.active.with_untracked(|a| {
                let members = a.iter().flat_map(|a| a.member_list.iter().map(|m| &m.name));
                let me = chat
                    .me
                    .with_untracked(|m| m.as_ref().map(|u| u.name.clone()));
                mention_complete::suggestions(members, me.as_ref(), &t.query)
            }),
            None => Vec::new(),
        };
        mention.set_value(typed);
        highlighted.set(0);
        offered.set(names);
    };
    let pick = Callback::new(move |name: UserName| {
        let Some(typed) = mention.get_value() else {
            return;
        };
        let Some((value, caret)) = mention_complete::complete(&text.get_untracked(), &typed, &name)
        else {
            offered.set(Vec::new());
            return;
        };
        keep_draft(&value);
        text.set(value.clone());
        offered.set(Vec::new());
        mention.set_value(None);
        if let Some(el) = input.get_untracked() {
            el.set_value(&value);
            let caret = u32::try_from(caret).unwrap_or(u32::MAX);
            let _ = el.set_selection_range(caret, caret);
            let _ = el.focus();
        }
    });

    // The seq of the user's newest message on screen that can be edited.
    let last_own_message = move || {
        let me = chat
            .me
            .with_untracked(|m| m.as_ref().map(|u| u.name.key()))?;
        chat.messages.with_untracked(|entries| {
            entries.iter().rev().find_map(|e| match e {
                Entry::Stored(m) if !m.deleted && m.from.key() == me => Some(m.seq),
                _ => None,
            })
        })
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let ime = dom::is_ime_key(&ev) || composing.get_untracked();
        let choices = offered.with_untracked(Vec::len);
        if choices > 0 && !ime {
            let step = |by: usize| highlighted.update(|h| *h = (*h + by) % choices);
            match ev.key().as_str() {
                "ArrowDown" => step(1),
                "ArrowUp" => step(choices - 1),
                "Enter" | "Tab" if !ev.shift_key() => {
                    let chosen =
                        offered.with_untracked(|n| n.get(highlighted.get_untracked()).cloned());
                    if let Some(name) = chosen {
                        pick.run(name);
                    }
                }
                "Escape" => offered.set(Vec::new()),
                _ => return,
            }
            ev.prevent_default();
            return;
        }
        if ev.key() == "Enter" && !ev.shift_key() && !ime {
            ev.prevent_default();
            send();
        }
        // Up in an empty box edits one's last message, as in Slack; never
        // during a composition (the IME may use the arrows).
        if ev.key() == "ArrowUp" && !ime && text.with_untracked(String::is_empty) {
            if let Some(seq) = last_own_message() {
                ev.prevent_default();
                chat.edit_request.set(Some(seq));
            }
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        keep_draft(&value);
        let caret = input
            .get_untracked()
            .and_then(|el| el.selection_start().ok().flatten())
            .map_or(value.encode_utf16().count(), |c| c as usize);
        offer(&value, caret);
        text.set(value);
        if let Some(room) = room.get_untracked() {
            chat.typing(room);
        }
    };

    view! {
        <form
            class="composer"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send();
            }
        >
            <label for="composer-input" class="visually-hidden">
                {placeholder}
            </label>
            <div class="composer-row">
                // Slot of the upload button (a later issue).
                <UploadButton
                    room=Signal::derive(move || room.get())
                    enabled=Signal::derive(move || {
                        reason.with(Option::is_none) && chat.conn.with(ConnStatus::is_open)
                    })
                />
                <MentionList
                    names=Signal::derive(move || offered.get())
                    highlighted=highlighted
                    on_pick=pick
                />
                <textarea
                    id="composer-input"
                    node_ref=input
                    rows="1"
                    aria-autocomplete="list"
                    // Only while the list is there: a reference to no
                    // element is an ARIA error.
                    aria-controls=move || offered.with(|n| !n.is_empty()).then_some(LIST_ID)
                    aria-activedescendant=move || {
                        offered.with(|n| !n.is_empty()).then(|| option_id(highlighted.get()))
                    }
                    placeholder=placeholder
                    aria-describedby="composer-status composer-count"
                    aria-invalid=move || if too_long() { "true" } else { "false" }
                    prop:value=move || text.get()
                    on:input=on_input
                    on:keydown=on_keydown
                    on:compositionstart=move |_| composing.set(true)
                    on:compositionend=move |_| composing.set(false)
                ></textarea>
                <button
                    type="submit"
                    class="send"
                    disabled=move || !can_send()
                    aria-disabled=move || (!can_send()).to_string()
                >
                    {t!(i18n, send)}
                </button>
            </div>
            <div class="composer-info">
                <p id="composer-status" class="composer-status" role="status">
                    {move || {
                        if too_long() {
                            Some(t_string!(i18n, too_long, max = MessageText::MAX_CHARS))
                        } else {
                            reason.get().or_else(|| chat.conn.with(|c| offline_note(i18n.get_locale(), c)))
                        }
                    }}
                </p>
                <p
                    id="composer-count"
                    class="count"
                    class:near=near_limit
                    class:over=too_long
                >
                    <span class="visually-hidden">{t!(i18n, characters)}</span>
                    {move || text.with(|t| counter_label(t))}
                </p>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sending_is_blocked_with_a_reason_but_not_by_being_offline() {
        let lobby = RoomId::lobby();
        let offline = ConnStatus::Reconnecting {
            attempt: 1,
            secs: 3,
        };
        let blocked = |c: &ConnStatus, r| blocked_reason(Locale::en, c, r);
        assert_eq!(blocked(&ConnStatus::Open, Some(&lobby)), None);
        assert!(blocked(&ConnStatus::Open, None).is_some());
        assert!(blocked(&ConnStatus::Closed, Some(&lobby)).is_some());
        assert_eq!(blocked(&offline, Some(&lobby)), None);
        assert_eq!(blocked(&ConnStatus::Connecting, Some(&lobby)), None);
        assert_eq!(
            offline_note(Locale::en, &offline).as_deref(),
            Some("Offline: reconnecting in 3 s. What you send now goes out once connected.")
        );
        assert_eq!(
            offline_note(Locale::ko, &offline).as_deref(),
            Some("오프라인: 3초 후 다시 연결합니다. 지금 보내는 메시지는 연결되면 전송됩니다.")
        );
        assert_eq!(offline_note(Locale::en, &ConnStatus::Open), None);
    }
}
