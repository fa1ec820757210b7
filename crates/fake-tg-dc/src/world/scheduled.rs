//! Scheduled messages: kept per account until their date, then delivered like any other.

use super::{Draft, Message, PeerKey, World};

impl World {
    /// Schedules `draft` from `owner` to `peer` at `when`; returns its scheduled id (a sequence
    /// of the account's own, apart from message ids).
    pub fn schedule(&mut self, owner: i64, peer: PeerKey, draft: Draft, when: i32) -> i32 {
        let broadcast = matches!(peer, PeerKey::Channel(c) if self.channels.get(&c).is_some_and(|c| c.broadcast));
        let Some(acc) = self.accounts.get_mut(&owner) else {
            return 0;
        };
        acc.last_scheduled_id += 1;
        let id = acc.last_scheduled_id;
        acc.scheduled.push(Message {
            id,
            peer,
            from: (!broadcast).then_some(PeerKey::User(owner)),
            date: when,
            text: draft.text,
            entities: draft.entities,
            media: draft.media,
            reply_to: draft.reply_to,
            thread: draft.thread,
            fwd: draft.fwd,
            edit_date: None,
            topic_created: None,
            post: broadcast,
            random_id: draft.random_id,
            grouped_id: draft.grouped_id,
            discussion: None,
            origin: 0,
            pinned: false,
            reactions: Vec::new(),
            pts: 0,
        });
        id
    }

    /// The messages `owner` scheduled in `peer`, newest date first.
    pub fn scheduled(&self, owner: i64, peer: PeerKey) -> Vec<&Message> {
        let mut v: Vec<&Message> = self
            .accounts
            .get(&owner)
            .map(|a| a.scheduled.iter().filter(|m| m.peer == peer).collect())
            .unwrap_or_default();
        v.sort_by_key(|m| std::cmp::Reverse((m.date, m.id)));
        v
    }

    /// Delivers every scheduled message whose date is `now` or earlier, at its scheduled date.
    pub fn send_due(&mut self, now: i32) {
        let mut due: Vec<(i64, Message)> = Vec::new();
        for acc in self.accounts.values_mut() {
            let (ready, later): (Vec<Message>, Vec<Message>) =
                acc.scheduled.drain(..).partition(|m| m.date <= now);
            acc.scheduled = later;
            due.extend(ready.into_iter().map(|m| (acc.user_id, m)));
        }
        due.sort_by_key(|(_, m)| (m.date, m.id));
        for (owner, m) in due {
            let draft = Draft {
                text: m.text,
                entities: m.entities,
                media: m.media,
                reply_to: m.reply_to,
                thread: m.thread,
                fwd: m.fwd,
                date: Some(m.date),
                random_id: m.random_id,
                grouped_id: m.grouped_id,
            };
            self.deliver(owner, m.peer, draft);
        }
    }
}
