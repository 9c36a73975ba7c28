//! The UI, one component per file.

pub mod account_panel;
pub mod app;
pub mod attachment;
pub mod chat_screen;
pub mod composer;
pub mod connection_banner;
pub mod image_viewer;
pub mod join_room;
pub mod language_switch;
pub mod mention_list;
pub mod message_editor;
pub mod message_item;
pub mod message_list;
pub mod nickname;
pub mod online_users;
pub mod password_field;
pub mod room_header;
pub mod sidebar;
pub mod toasts;
pub mod typing_indicator;
pub mod upload_button;
