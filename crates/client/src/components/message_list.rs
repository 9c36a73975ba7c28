//! The scrolling list of messages of the room on screen.

use std::sync::Arc;

use confab_shared::{EntryKind, Message, RoomId, UserName};
use leptos::prelude::*;

use crate::chat::{Chat, Entry};
use crate::components::message_item::MessageItem;
use crate::components::room_event::RoomEventLine;
use crate::dom;
use crate::i18n::{t, t_string, use_i18n};
use crate::timefmt::{self, DayName};
use crate::words;

/// Messages of one author within this many milliseconds share a header.
const GROUP_MS: i64 = 5 * 60 * 1000;
/// Within this many pixels of the bottom, the list follows new messages.
const STICKY_PX: i32 = 48;
/// Within this many pixels of the top, older messages are requested.
const TOP_PX: i32 = 64;

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Row {
    Day {
        key: String,
        name: DayName,
    },
    Item {
        key: String,
        entry: Entry,
        show_author: bool,
        own: bool,
    },
    /// A moderation entry: a line of its own.
    Event {
        key: String,
        message: Arc<Message>,
    },
}

impl Row {
    fn key(&self) -> String {
        match self {
            Self::Day { key, .. } | Self::Item { key, .. } | Self::Event { key, .. } => key.clone(),
        }
    }
}

fn author_and_time(entry: &Entry, me: Option<&UserName>) -> (Option<String>, i64) {
    match entry {
        Entry::Stored(m) => (Some(m.from.key()), m.ts.millis()),
        Entry::Pending(p) => (me.map(UserName::key), p.ts_ms),
    }
}

fn rows(entries: &[Entry], me: Option<&UserName>, now_ms: i64) -> Vec<Row> {
    let today = timefmt::day(now_ms, dom::tz_offset(now_ms));
    let mut rows = Vec::with_capacity(entries.len() + 4);
    let mut prev: Option<(Option<String>, i64)> = None;
    let mut prev_day = None;
    for entry in entries {
        let (author, ts) = author_and_time(entry, me);
        let day = timefmt::day(ts, dom::tz_offset(ts));
        if day != prev_day {
            if let Some(d) = day {
                rows.push(Row::Day {
                    key: format!("d:{d}"),
                    name: timefmt::day_name(d, today),
                });
            }
            prev_day = day;
            prev = None;
        }
        if let Entry::Stored(m) = entry {
            if m.kind == EntryKind::Moderation {
                // Breaks a group: the next message shows its author again.
                rows.push(Row::Event {
                    key: format!("e:{}:{}", m.room, m.seq),
                    message: m.clone(),
                });
                prev = None;
                continue;
            }
        }
        let show_author = match &prev {
            Some((a, t)) => *a != author || ts - *t > GROUP_MS,
            None => true,
        };
        let own = matches!(entry, Entry::Pending(_))
            || (author.is_some() && author == me.map(UserName::key));
        let key = match entry {
            // Unique across rooms: the list is reused when the room changes.
            // An edit or deletion is a new key, so the row is drawn again.
            Entry::Stored(m) => format!(
                "m:{}:{}:{show_author}:{}:{}",
                m.room,
                m.seq,
                m.edited.map_or(0, |t| t.millis()),
                m.deleted
            ),
            Entry::Pending(p) => format!("p:{}:{:?}", p.client_id.as_str(), p.status),
        };
        rows.push(Row::Item {
            key,
            entry: entry.clone(),
            show_author,
            own,
        });
        prev = Some((author, ts));
    }
    rows
}

/// The messages of the room on screen, with day separators. It follows new
/// messages only while the reader is at the bottom (otherwise it offers a
/// "new messages" button), and asks for older ones when scrolled to the top
/// (or via a button, for keyboards). Takes no props.
#[component]
pub fn MessageList() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let i18n = use_i18n();
    let list_ref = NodeRef::<leptos::html::Div>::new();
    let stick = StoredValue::new(true);
    // Distance from the bottom to keep while older messages are prepended.
    let anchor = StoredValue::new(None::<i32>);
    let last_key = StoredValue::new(None::<String>);
    let unseen = RwSignal::new(false);

    let active_id = Memo::new(move |_| chat.active.get().map(|a| a.id));
    let rows = Memo::new(move |_| {
        let me = chat.me.get().map(|u| u.name);
        chat.messages
            .with(|entries| rows(entries, me.as_ref(), dom::now_ms()))
    });

    let load_older = move || {
        let Some(el) = list_ref.get_untracked() else {
            return;
        };
        let Some(active) = chat.active.get_untracked() else {
            return;
        };
        if active.more_before && !active.loading_older && chat.conn.get_untracked().is_open() {
            anchor.set_value(Some(el.scroll_height() - el.scroll_top()));
            chat.load_older(active.id);
        }
    };

    let on_scroll = move |_| {
        let Some(el) = list_ref.get_untracked() else {
            return;
        };
        let from_bottom = el.scroll_height() - el.scroll_top() - el.client_height();
        let at_bottom = from_bottom < STICKY_PX;
        stick.set_value(at_bottom);
        if at_bottom && unseen.get_untracked() {
            unseen.set(false);
        }
        if el.scroll_top() < TOP_PX {
            load_older();
        }
    };

    let scroll_to_bottom = move || {
        if let Some(el) = list_ref.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
        stick.set_value(true);
        unseen.set(false);
    };

    // After each change of the rows. The DOM is read and scrolled in the
    // next animation frame, once the list shows the new rows.
    Effect::new(move |prev_room: Option<Option<RoomId>>| {
        let last = rows.with(|r| r.last().map(Row::key));
        let room = active_id.get();
        if prev_room.as_ref() != Some(&room) {
            // Another room: start at its newest message.
            stick.set_value(true);
            anchor.set_value(None);
            unseen.set(false);
        }
        let grew_at_bottom = last_key.with_value(|k| *k != last);
        last_key.set_value(last);
        request_animation_frame(move || {
            let Some(el) = list_ref.get_untracked() else {
                return;
            };
            let loaded = chat
                .active
                .try_with_untracked(|a| a.as_ref().is_some_and(|a| !a.loading_older))
                .unwrap_or(false);
            match anchor.try_get_value().flatten() {
                Some(from_bottom) if loaded => {
                    anchor.set_value(None);
                    el.set_scroll_top(el.scroll_height() - from_bottom);
                }
                _ if stick.try_get_value().unwrap_or(false) => {
                    el.set_scroll_top(el.scroll_height())
                }
                _ if grew_at_bottom => {
                    unseen.try_set(true);
                }
                _ => {}
            }
        });
        room
    });

    let label = move || {
        chat.active
            .get()
            .map(|a| t_string!(i18n, messages_in, room = a.label))
            .unwrap_or_else(|| t_string!(i18n, messages).to_owned())
    };
    let more_before = move || chat.active.get().is_some_and(|a| a.more_before);
    let loading = move || chat.active.get().is_some_and(|a| a.loading_older);
    let empty = move || {
        rows.with(|r| r.is_empty())
            && chat
                .active
                .get()
                .is_some_and(|a| a.joined && !a.more_before)
    };

    view! {
        <div class="messages-wrap">
            <div
                class="messages"
                node_ref=list_ref
                role="log"
                aria-live="polite"
                aria-relevant="additions"
                aria-label=label
                tabindex="0"
                on:scroll=on_scroll
            >
                <Show when=more_before>
                    <button
                        type="button"
                        class="load-older"
                        disabled=loading
                        on:click=move |_| load_older()
                    >
                        {move || {
                            if loading() {
                                t_string!(i18n, loading)
                            } else {
                                t_string!(i18n, load_older)
                            }
                        }}
                    </button>
                </Show>
                <Show when=empty>
                    <p class="hint empty">{t!(i18n, no_messages)}</p>
                </Show>
                <ol class="message-rows">
                    <For
                        each=move || rows.get()
                        key=Row::key
                        children=move |row| match row {
                            Row::Day { name, .. } => {
                                view! {
                                    <li class="day">
                                        <h2>{move || words::day(i18n.get_locale(), name)}</h2>
                                    </li>
                                }
                                    .into_any()
                            }
                            Row::Event { message, .. } => {
                                view! { <RoomEventLine message=message/> }.into_any()
                            }
                            Row::Item { entry, show_author, own, .. } => {
                                view! { <MessageItem entry=entry show_author=show_author own=own/> }
                                    .into_any()
                            }
                        }
                    />
                </ol>
            </div>
            <Show when=move || unseen.get()>
                <button type="button" class="jump" on:click=move |_| scroll_to_bottom()>
                    {t!(i18n, jump_new)}
                </button>
            </Show>
        </div>
    }
}
