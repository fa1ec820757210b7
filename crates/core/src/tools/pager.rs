//! Multi-term pagination: each comma-separated term is its own result stream
//! (a Telegram search), the streams are merged round-robin without duplicates,
//! and the position of every stream is kept in one opaque cursor, so following
//! `next_cursor` walks every stream to its end without gaps or repeats.

use super::ToolError;
use super::args::{decode_cursor, encode_cursor};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use std::collections::{HashSet, VecDeque};

/// One result, already filtered and formatted, with the stream position just after it.
pub struct Hit<C> {
    /// Chat (Bot-API id) and message id: the dedup key.
    pub key: (i64, i32),
    /// Sort key: every stream yields hits in descending order of it (e.g. date, chat, id).
    pub order: (i64, i64, i64),
    /// The formatted message.
    pub json: Value,
    /// Where this stream continues after this hit.
    pub after: C,
}

/// One fetched page of a stream.
pub struct Page<C> {
    /// Hits that passed the filters, in stream order.
    pub hits: Vec<Hit<C>>,
    /// Position after the last raw item of the page; `None` when the stream has ended.
    pub next: Option<C>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CursorState<C> {
    /// Number of terms, to catch a cursor reused with another query.
    n: usize,
    /// Per term: `None` = finished; `Some(c)` = continue at c.
    pos: Vec<Option<C>>,
}

/// The merged page and the cursor for the next one.
pub struct Merged {
    /// Up to `limit` results.
    pub items: Vec<Value>,
    /// Cursor for the next page, if any stream has more.
    pub next_cursor: Option<String>,
}

struct Stream<C> {
    buf: VecDeque<Hit<C>>,
    /// Position after the last fetched raw item (`None` = stream ended).
    end: Option<C>,
    /// Position after the last hit handed out (or skipped as a duplicate).
    consumed: Option<Option<C>>,
    start: Option<C>,
    pages: usize,
}

/// Fetches and merges the streams of `n_terms` terms: a k-way merge in descending
/// `order`, so a message found by two terms is met at the same point of both streams
/// and returned once, on whatever page. `start` is the position of a fresh stream;
/// `fetch(term_index, position)` returns one page; at most `max_pages` pages are
/// fetched per stream per call.
pub async fn merge<C, F, Fut>(
    n_terms: usize,
    start: C,
    cursor: Option<&str>,
    limit: usize,
    max_pages: usize,
    mut fetch: F,
) -> Result<Merged, ToolError>
where
    C: Clone + Serialize + DeserializeOwned,
    F: FnMut(usize, C) -> Fut,
    Fut: std::future::Future<Output = Result<Page<C>, ToolError>>,
{
    let pos: Vec<Option<C>> = match cursor {
        None => vec![Some(start); n_terms],
        Some(c) => {
            let st: CursorState<C> = decode_cursor(c)?;
            if st.n != n_terms || st.pos.len() != n_terms {
                return Err(ToolError::invalid(
                    "cursor belongs to a different query; repeat the same query with next_cursor",
                ));
            }
            st.pos
        }
    };
    let mut streams: Vec<Stream<C>> = pos
        .into_iter()
        .map(|p| Stream { buf: VecDeque::new(), end: p.clone(), consumed: None, start: p, pages: 0 })
        .collect();
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    while items.len() < limit {
        // Refill empty streams that can go on.
        for (i, s) in streams.iter_mut().enumerate() {
            while s.buf.is_empty() && s.pages < max_pages {
                let Some(at) = s.end.clone() else { break };
                let page = fetch(i, at).await?;
                s.pages += 1;
                s.buf.extend(page.hits);
                s.end = page.next;
            }
        }
        // A stream that is empty but not finished means we cannot order past it now.
        if streams.iter().any(|s| s.buf.is_empty() && s.end.is_some()) {
            break;
        }
        let Some(best) =
            (0..streams.len()).filter(|&i| !streams[i].buf.is_empty()).max_by_key(|&i| streams[i].buf[0].order)
        else {
            break;
        };
        let hit = streams[best].buf.pop_front().expect("non-empty");
        streams[best].consumed = Some(Some(hit.after.clone()));
        // The same message at the head of other streams is the same result: skip it there.
        for s in streams.iter_mut() {
            while s.buf.front().is_some_and(|h| h.key == hit.key) {
                let dup = s.buf.pop_front().expect("non-empty");
                s.consumed = Some(Some(dup.after));
            }
        }
        if seen.insert(hit.key) {
            items.push(hit.json);
        }
    }
    let pos: Vec<Option<C>> =
        streams.into_iter().map(|s| if s.buf.is_empty() { s.end } else { s.consumed.unwrap_or(s.start) }).collect();
    let more = pos.iter().any(Option::is_some);
    Ok(Merged { items, next_cursor: more.then(|| encode_cursor(&CursorState { n: n_terms, pos })) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A fake stream over `data[term]` (descending ids), page size 3, filtering out multiples of 5.
    async fn run(data: &[Vec<i32>], limit: usize, cursor: Option<String>) -> Merged {
        let data = data.to_vec();
        merge(data.len(), i32::MAX, cursor.as_deref(), limit, 10, |t, after: i32| {
            let d = data[t].clone();
            async move {
                let raw: Vec<i32> = d.into_iter().filter(|&x| x < after).take(3).collect();
                let next = if raw.len() < 3 { None } else { raw.last().copied() };
                let hits = raw
                    .iter()
                    .filter(|&&x| x % 5 != 0)
                    .map(|&x| Hit { key: (1, x), order: (x as i64, 0, 0), json: json!(x), after: x })
                    .collect();
                Ok(Page { hits, next })
            }
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn following_cursors_yields_everything_once() {
        let data = vec![vec![20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9], vec![19, 14, 8, 7, 3]];
        let mut all = Vec::new();
        let mut cursor = None;
        let mut calls = 0;
        loop {
            let m = run(&data, 4, cursor).await;
            assert!(m.items.len() <= 4);
            all.extend(m.items.iter().map(|v| v.as_i64().unwrap()));
            calls += 1;
            match m.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
            assert!(calls < 20, "pagination must terminate");
        }
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "no duplicates across pages: {all:?}");
        assert_eq!(
            sorted,
            vec![3, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19],
            "filtered items never appear, others all do"
        );
    }

    #[tokio::test]
    async fn cursor_of_another_query_is_refused() {
        let m = run(&[vec![4, 3, 2, 1, 0]], 1, None).await;
        let c = m.next_cursor.unwrap();
        let err = merge::<i32, _, _>(2, 0, Some(&c), 1, 1, |_, _| async { Ok(Page { hits: vec![], next: None }) })
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("different query"));
    }
}
