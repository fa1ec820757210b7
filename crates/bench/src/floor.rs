//! The floor: a grammers client in this process, on an in-memory session seeded for the fake
//! DC, invoking the same TL requests the tools send. Nothing can answer faster than this.

use fake_tg_dc::FakeDc;
use grammers_client::Client;
use grammers_client::tl;
use grammers_mtsender::{ConnectionParams, NoRetries, SenderPool};
use grammers_session::storages::MemorySession;
use grammers_session::types::PeerRef;
use std::sync::Arc;

/// A logged-in raw client and the peers the benchmarked calls use.
pub struct Floor {
    client: Client,
    pool: tokio::task::JoinHandle<()>,
    carol: PeerRef,
}

impl Drop for Floor {
    fn drop(&mut self) {
        self.client.disconnect();
        self.pool.abort();
    }
}

impl Floor {
    /// Connects as demo account A and resolves Carol.
    pub async fn connect(dc: &FakeDc) -> anyhow::Result<Floor> {
        let session = Arc::new(MemorySession::default());
        dc.seed(&*session, Some(fake_tg_dc::demo::A_PHONE)).await.map_err(|e| anyhow::anyhow!("seed: {e:?}"))?;
        let params = ConnectionParams {
            device_model: "fmt-bench-floor".into(),
            retry_policy: Box::new(NoRetries),
            ..Default::default()
        };
        let SenderPool { runner, handle, updates } =
            SenderPool::with_configuration(session, crate::procs::API_ID.parse()?, params);
        let client = Client::new(handle);
        let pool = tokio::spawn(runner.run());
        // Updates are not used; dropping the receiver is fine for the pool.
        drop(updates);
        let carol = client
            .resolve_username("carol")
            .await?
            .ok_or_else(|| anyhow::anyhow!("@carol not found"))?
            .to_ref()
            .await
            .map_err(|e| anyhow::anyhow!("to_ref: {e}"))?
            .ok_or_else(|| anyhow::anyhow!("no ref for @carol"))?;
        Ok(Floor { client, pool, carol })
    }

    /// Carol's Bot-API id (what the tools get as `chat_id`).
    pub fn carol_id(&self) -> i64 {
        self.carol.id.bot_api_dialog_id().unwrap_or(fake_tg_dc::demo::CAROL_ID)
    }

    /// The TL request of the named tool as the bench calls it (see `crate::tool_calls`).
    pub async fn call(&self, tool: &str) -> anyhow::Result<()> {
        let peer: tl::enums::InputPeer = (&self.carol).into();
        match tool {
            "get_messages" => {
                self.client
                    .invoke(&tl::functions::messages::GetHistory {
                        peer,
                        offset_id: 0,
                        offset_date: 0,
                        add_offset: 0,
                        limit: 20,
                        max_id: 0,
                        min_id: 0,
                        hash: 0,
                    })
                    .await?;
            }
            "search_messages_globally" => {
                self.client
                    .invoke(&tl::functions::messages::SearchGlobal {
                        broadcasts_only: false,
                        groups_only: false,
                        users_only: false,
                        folder_id: None,
                        community: None,
                        q: "history".into(),
                        filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                        min_date: 0,
                        max_date: 0,
                        offset_rate: 0,
                        offset_peer: tl::enums::InputPeer::Empty,
                        offset_id: 0,
                        limit: 20,
                    })
                    .await?;
            }
            "find_chats" => {
                self.client
                    .invoke(&tl::functions::contacts::Search {
                        broadcasts: false,
                        bots: false,
                        q: "carol".into(),
                        limit: 40,
                    })
                    .await?;
            }
            "send_message" => {
                self.client.send_message(self.carol, "bench ping").await?;
            }
            other => anyhow::bail!("no floor for {other}"),
        }
        Ok(())
    }
}
